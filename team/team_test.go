package team

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

var (
	kAlice = testsigner.FromSeed(signer.CurveR1, "team-alice").PublicKey()
	kBob   = testsigner.FromSeed(signer.CurveK1, "team-bob").PublicKey()
)

func good() string {
	return `members:
  - name: Alice
    contact: alice@example.org
  - name: bob
keys:
  - key: ` + kAlice.String() + `
    holder: Alice
    device: "yubikey:serial=12345678;slot=9c"
    hardware: true
  - key: ` + kBob.Legacy() + `
    holder: bob
    device: "pkcs11:token=bp-hsm;object=claim"
    hardware: true
`
}

func TestParseAndLabel(t *testing.T) {
	tm, err := Parse([]byte(good()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		k    signer.PublicKey
		want string
	}{
		{kAlice, "Alice's YubiKey 12345678 slot 9c"},
		{kBob, "bob's HSM bp-hsm/claim"},
		{testsigner.FromSeed(signer.CurveK1, "nobody").PublicKey(), "not in the team file"},
	} {
		if got := tm.Label(tc.k); got != tc.want {
			t.Errorf("label %q, want %q", got, tc.want)
		}
	}
	if h, ok := tm.Holder(kBob); !ok || h != "bob" || !tm.IsHardware(kBob) || tm.HasAttestation(kBob) {
		t.Fatal("holder/hardware")
	}
	if got := tm.MemberNames(); len(got) != 2 || got[0] != "Alice" {
		t.Fatalf("members %v", got)
	}
	var nilTeam *Team
	if _, ok := nilTeam.Holder(kBob); ok || nilTeam.HeldKeys() != nil {
		t.Fatal("nil team")
	}
}

func selfSigned(t *testing.T) (string, signer.PublicKey) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "YubiKey PIV Attestation 9c"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := signer.PublicKeyFromECDSA(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), pub
}

func indent(s string) string {
	return "      " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n      ")
}

func TestAttestation(t *testing.T) {
	cert, pub := selfSigned(t)
	doc := "members:\n  - name: a\nkeys:\n  - key: " + pub.String() + "\n    holder: a\n    hardware: true\n    attestation: |\n" + indent(cert) + "\n"
	tm, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if !tm.HasAttestation(pub) {
		t.Fatal("attestation lost")
	}
	wrong := strings.Replace(doc, pub.String(), kAlice.String(), 1)
	if _, err := Parse([]byte(wrong)); err == nil || !strings.Contains(err.Error(), "not this key") {
		t.Fatalf("mismatched attestation: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"unknown field", strings.Replace(good(), "hardware: true\n", "hardware: true\n    colour: red\n", 1), "line 10: field colour not found"},
		{"holder not a member", strings.Replace(good(), "holder: bob", "holder: carol", 1), `line 10: key`},
		{"duplicate key", strings.Replace(good(), kBob.Legacy(), kAlice.Legacy(), 1), "listed twice"},
		{"bad key", strings.Replace(good(), kBob.Legacy(), "EOS123", 1), "line 10: keys[1].key"},
		{"bad device", strings.Replace(good(), "yubikey:serial=12345678;slot=9c", "yubikey:serial=1;pin-value=1234", 1), "pin-value is refused"},
		{"duplicate member", strings.Replace(good(), "name: bob", "name: Alice", 1), "appears twice"},
		{"empty", "", "empty"},
		{"not yaml", "members: [", "did not find"},
		{"attestation not PEM", strings.Replace(good(), "hardware: true\n", "hardware: true\n    attestation: hello\n", 1), "not a PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPrivateKeysRefused(t *testing.T) {
	wif := "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3"
	for _, doc := range []string{
		strings.Replace(good(), kBob.Legacy(), wif, 1),
		strings.Replace(good(), "alice@example.org", wif, 1),
		strings.Replace(good(), "hardware: true\n", "hardware: true\n    attestation: \"-----BEGIN EC PRIVATE KEY-----\\nMHc=\\n-----END EC PRIVATE KEY-----\"\n", 1),
	} {
		_, err := Parse([]byte(doc))
		if !errors.Is(err, signer.ErrPrivateKey) {
			t.Fatalf("got %v, want ErrPrivateKey", err)
		}
		if strings.Contains(err.Error(), wif) {
			t.Fatal("the private key was echoed")
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good()))
	f.Add([]byte("members: []\nkeys: []\n"))
	f.Add([]byte("keys:\n  - key: PVT_K1_x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tm, err := Parse(b)
		if err != nil {
			return
		}
		for _, k := range tm.Keys {
			if _, ok := tm.Holder(k.Key); !ok {
				t.Fatal("a parsed key has no holder")
			}
			if !tm.containsMember(k.Holder) {
				t.Fatal("holder is not a member")
			}
		}
	})
}

func (t *Team) containsMember(name string) bool {
	for _, m := range t.Members {
		if m.Name == name {
			return true
		}
	}
	return false
}

func TestMemberAccount(t *testing.T) {
	doc := strings.Replace(good(), "contact: alice@example.org\n", "contact: alice@example.org\n    account: alice@active\n", 1)
	tm, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := tm.Account(kAlice); !ok || a != "alice@active" {
		t.Fatalf("Account(alice's key) = %q, %v", a, ok)
	}
	if a, ok := tm.Account(kBob); ok {
		t.Fatalf("bob names no account, got %q", a)
	}
	bad := strings.Replace(good(), "contact: alice@example.org\n", "contact: alice@example.org\n    account: alice\n", 1)
	if _, err := Parse([]byte(bad)); err == nil || !strings.Contains(err.Error(), "ACTOR@PERMISSION") {
		t.Fatalf("account without a permission: %v", err)
	}
}

func TestHostsAndUnheldKeys(t *testing.T) {
	kHost := testsigner.FromSeed(signer.CurveK1, "team-host").PublicKey()
	kNobody := testsigner.FromSeed(signer.CurveK1, "team-nobody").PublicKey()
	doc := `members:
  - name: alice
    account: alice@active
hosts:
  - name: bp1
    role: producer
  - name: claimer
keys:
  - key: ` + kAlice.String() + `
    holder: alice
    hardware: true
  - key: ` + kHost.String() + `
    host: bp1
    device: "pkcs11:token=bp-hsm;object=claim"
    hardware: true
  - key: ` + kNobody.String() + `
`
	tm, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(tm.Hosts) != 2 || tm.Hosts[0].Name != "bp1" || tm.Hosts[0].Role != "producer" || tm.Hosts[1].Role != "" {
		t.Fatalf("hosts %+v", tm.Hosts)
	}
	if h, ok := tm.HostOf(kHost); !ok || h != "bp1" {
		t.Fatalf("host of the claim key: %q %v", h, ok)
	}
	if _, ok := tm.Holder(kHost); ok {
		t.Fatal("a host key has a holder")
	}
	if _, ok := tm.Holder(kNobody); ok {
		t.Fatal("an unheld key has a holder")
	}
	if _, ok := tm.HostOf(kAlice); ok {
		t.Fatal("alice's key is on a host")
	}
	held := tm.HeldKeys()
	if len(held) != 2 || !slices.Contains(held, kHost) || slices.Contains(held, kNobody) {
		t.Fatalf("held keys %v", held)
	}
	if got := tm.Label(kHost); got != "host bp1's HSM bp-hsm/claim (unattended)" {
		t.Fatalf("label %q", got)
	}
	if got := tm.Label(kNobody); got != "software key held by nobody" {
		t.Fatalf("label %q", got)
	}
	if m, ok := tm.MemberOfLevel("alice@active"); !ok || m != "alice" {
		t.Fatalf("member of alice@active: %q %v", m, ok)
	}
	if _, ok := tm.MemberOfLevel("alice@owner"); ok {
		t.Fatal("alice@owner is not named")
	}
	for _, tc := range []struct{ doc, want string }{
		{"members: [{name: a}]\nhosts: [{name: h}]\nkeys:\n  - key: " + kAlice.String() + "\n    holder: a\n    host: h\n", "both a holder and a host"},
		{"members: [{name: a}]\nkeys:\n  - key: " + kAlice.String() + "\n    host: h\n", `host "h" is not one of the hosts`},
		{"members: [{name: a}]\nhosts: [{name: a}]\n", "has the name of a member"},
		{"members: [{name: a}]\nhosts: [{name: h}, {name: h}]\n", `host "h" appears twice`},
		{"members: [{name: a}]\nhosts: [{role: producer}]\n", "has no name"},
		{"members: [{name: a}]\nhosts: [{name: h, rol: x}]\n", "field rol not found in a host entry"},
	} {
		if _, err := Parse([]byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.doc, err, tc.want)
		}
	}
}

// Hosts: block and finalizer keys per machine, checked like other keys.
func TestHosts(t *testing.T) {
	const fin = "PUB_BLS_82P3oM1u0IEv64u9i4vSzvg1-QDl4Fb2n50Mp8Sk7Fr1Tz0MJypzL39nSd5VPFgFC9WqrjopRbBm1Pf0RkP018fo1k2rXaJY7Wtzd9RKlE8PoQ6XhDm4PyZlIupQg_gOuiMhcg"
	const block = "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63"
	good := "members:\n  - name: alice\nkeys: []\nhosts:\n  - name: bp1\n    role: primary\n    block_key: " + block + "\n    finalizer_keys: [" + fin + "]\n  - name: bp2\n    role: backup\n"
	tm, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	h, ok := tm.Host("bp1")
	if !ok || h.Role != "primary" || h.BlockKey == nil || h.BlockKey.String() != block || len(h.FinalizerKeys) != 1 || h.FinalizerKeys[0].String() != fin || h.Line != 5 {
		t.Fatalf("bp1: %+v", h)
	}
	if got := tm.HostsOfFinalizerKey(h.FinalizerKeys[0]); len(got) != 1 || got[0] != "bp1" {
		t.Fatalf("hosts of the key: %v", got)
	}
	for _, c := range []struct{ doc, want string }{
		{"hosts:\n  - role: primary\n", "has no name"},
		{"hosts:\n  - name: a\n  - name: a\n", "appears twice"},
		{"hosts:\n  - name: a\n    finalizer_keys: [PUB_BLS_xyz]\n", "finalizer_keys[0]"},
		{"hosts:\n  - name: a\n    block_key: PUB_K1_xyz\n", "block_key"},
		{"hosts:\n  - name: a\n    finalizer_keys: [PVT_BLS_vh0bYgBLOLxs_h9zvYNtj20yj8UJxWeFFAtDUW2_pG44e5yc]\n", "private key"},
		{"hosts:\n  - name: a\n    colour: red\n", "colour"},
	} {
		_, err := Parse([]byte("members:\n  - name: alice\n" + c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.doc, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "vh0bYg") {
			t.Error("the private key was echoed")
		}
	}
}
