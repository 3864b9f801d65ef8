package pivcard_test

// Integration tests: piv-go v2 talks to the emulated card through the real
// pcscd and vsmartcard-vpcd (see package pivtest).

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/go-piv/piv-go/v2/piv"

	"github.com/bpkeys/bpkeys/internal/pivcard"
	"github.com/bpkeys/bpkeys/internal/pivcard/pivtest"
)

var profiles = []struct {
	name    string
	profile pivcard.Profile
	version piv.Version
}{
	{"5.7", pivcard.Profile57, piv.Version{Major: 5, Minor: 7, Patch: 1}},
	{"5.4", pivcard.Profile54, piv.Version{Major: 5, Minor: 4, Patch: 3}},
}

// forEachProfile runs f in parallel subtests, one fresh card per profile.
func forEachProfile(t *testing.T, f func(t *testing.T, c *pivtest.Card, yk *piv.YubiKey, v piv.Version)) {
	t.Parallel()
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			c := pivtest.NewCard(t, pivtest.WithProfile(p.profile))
			f(t, c, c.Open(t), p.version)
		})
	}
}

func TestPIVGoIdentityAndPIN(t *testing.T) {
	forEachProfile(t, func(t *testing.T, c *pivtest.Card, yk *piv.YubiKey, v piv.Version) {
		if got := yk.Version(); got != v {
			t.Errorf("Version %+v, want %+v", got, v)
		}
		if s, err := yk.Serial(); err != nil || s != c.Serial() {
			t.Errorf("Serial %d, %v; want %d", s, err, c.Serial())
		}
		if n, err := yk.Retries(); err != nil || n != 3 {
			t.Fatalf("Retries %d, %v", n, err)
		}
		var authErr piv.AuthErr
		if err := yk.VerifyPIN("000000"); !errors.As(err, &authErr) || authErr.Retries != 2 {
			t.Fatalf("wrong PIN: %v", err)
		}
		if n, err := yk.Retries(); err != nil || n != 2 {
			t.Fatalf("Retries after wrong PIN %d, %v", n, err)
		}
		if err := yk.VerifyPIN(piv.DefaultPIN); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			_ = yk.VerifyPIN("000000")
		}
		if err := yk.VerifyPIN(piv.DefaultPIN); !errors.As(err, &authErr) || authErr.Retries != 0 {
			t.Fatalf("blocked PIN: %v", err)
		}
		if err := yk.Unblock(piv.DefaultPUK, "13579246"); err != nil {
			t.Fatal(err)
		}
		if err := yk.SetPIN("13579246", "24681357"); err != nil {
			t.Fatal(err)
		}
		if err := yk.VerifyPIN("24681357"); err != nil {
			t.Fatal(err)
		}
	})
}

func sha(msg string) []byte {
	d := sha256.Sum256([]byte(msg))
	return d[:]
}

func TestPIVGoGenerateSign(t *testing.T) {
	forEachProfile(t, func(t *testing.T, c *pivtest.Card, yk *piv.YubiKey, _ piv.Version) {
		slots := []piv.Slot{piv.SlotAuthentication, piv.SlotSignature, piv.SlotKeyManagement, piv.SlotCardAuthentication}
		policies := []piv.PINPolicy{piv.PINPolicyNever, piv.PINPolicyOnce, piv.PINPolicyAlways}
		for i, pp := range policies {
			for _, alg := range []piv.Algorithm{piv.AlgorithmEC256, piv.AlgorithmEC384} {
				slot := slots[i]
				key := piv.Key{Algorithm: alg, PINPolicy: pp, TouchPolicy: piv.TouchPolicyNever}
				pub, err := yk.GenerateKey(piv.DefaultManagementKey, slot, key)
				if err != nil {
					t.Fatalf("GenerateKey %v: %v", key, err)
				}
				info, err := yk.KeyInfo(slot)
				if err != nil {
					t.Fatal(err)
				}
				if info.Algorithm != alg || info.PINPolicy != pp || info.TouchPolicy != piv.TouchPolicyNever ||
					info.Origin != piv.OriginGenerated || !pub.(*ecdsa.PublicKey).Equal(info.PublicKey) {
					t.Fatalf("KeyInfo %+v for %+v", info, key)
				}
				priv, err := yk.PrivateKey(slot, pub, piv.KeyAuth{PIN: piv.DefaultPIN})
				if err != nil {
					t.Fatal(err)
				}
				for n := range 2 { // twice: PIN always must verify again
					digest := sha("trx " + string(rune('a'+n)))
					sig, err := priv.(crypto.Signer).Sign(rand.Reader, digest, crypto.SHA256)
					if err != nil {
						t.Fatalf("Sign %v #%d: %v", key, n, err)
					}
					if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest, sig) {
						t.Fatalf("signature by %v does not verify", key)
					}
				}
			}
		}
		// Without a PIN, only the PIN-never key (9a) signs.
		yk2 := reopen(t, c, yk)
		for _, tc := range []struct {
			slot piv.Slot
			ok   bool
		}{{piv.SlotAuthentication, true}, {piv.SlotSignature, false}, {piv.SlotKeyManagement, false}} {
			info, err := yk2.KeyInfo(tc.slot)
			if err != nil {
				t.Fatal(err)
			}
			priv, err := yk2.PrivateKey(tc.slot, info.PublicKey, piv.KeyAuth{PINPolicy: piv.PINPolicyNever})
			if err != nil {
				t.Fatal(err)
			}
			_, err = priv.(crypto.Signer).Sign(rand.Reader, sha("x"), crypto.SHA256)
			if (err == nil) != tc.ok || (err != nil && !strings.Contains(err.Error(), "6982")) {
				t.Errorf("slot %v without PIN: %v", tc.slot, err)
			}
		}
	})
}

// reopen closes yk and opens the card again (a new session: SELECT forgets
// the PIN).
func reopen(t *testing.T, c *pivtest.Card, yk *piv.YubiKey) *piv.YubiKey {
	t.Helper()
	if err := yk.Close(); err != nil {
		t.Fatal(err)
	}
	return c.Open(t)
}

func TestPIVGoAttestation(t *testing.T) {
	forEachProfile(t, func(t *testing.T, c *pivtest.Card, yk *piv.YubiKey, v piv.Version) {
		roots, err := pivcard.AttestationRoots()
		if err != nil {
			t.Fatal(err)
		}
		key := piv.Key{Algorithm: piv.AlgorithmEC256, PINPolicy: piv.PINPolicyOnce, TouchPolicy: piv.TouchPolicyCached}
		pub, err := yk.GenerateKey(piv.DefaultManagementKey, piv.SlotSignature, key)
		if err != nil {
			t.Fatal(err)
		}
		slotCert, err := yk.Attest(piv.SlotSignature)
		if err != nil {
			t.Fatal(err)
		}
		attCert, err := yk.AttestationCertificate()
		if err != nil {
			t.Fatal(err)
		}
		a, err := (&piv.Verifier{Roots: roots}).Verify(attCert, slotCert)
		if err != nil {
			t.Fatal(err)
		}
		want := piv.Attestation{Version: v, Serial: c.Serial(), Formfactor: piv.FormfactorUSBAKeychain,
			PINPolicy: piv.PINPolicyOnce, TouchPolicy: piv.TouchPolicyCached, Slot: piv.SlotSignature}
		if *a != want {
			t.Errorf("attestation %+v, want %+v", *a, want)
		}
		if !pub.(*ecdsa.PublicKey).Equal(slotCert.PublicKey) {
			t.Error("attested key differs from the generated one")
		}
		if _, err := piv.Verify(attCert, slotCert); err == nil {
			t.Error("emulator attestation verified against Yubico's roots")
		}

		// Imported keys: origin imported, no attestation, still usable.
		imported, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		policy := piv.Key{PINPolicy: piv.PINPolicyNever, TouchPolicy: piv.TouchPolicyNever}
		if err := yk.SetPrivateKeyInsecure(piv.DefaultManagementKey, piv.SlotKeyManagement, imported, policy); err != nil {
			t.Fatal(err)
		}
		if info, err := yk.KeyInfo(piv.SlotKeyManagement); err != nil || info.Origin != piv.OriginImported {
			t.Errorf("imported KeyInfo %+v, %v", info, err)
		}
		if _, err := yk.Attest(piv.SlotKeyManagement); !errors.Is(err, piv.ErrNotFound) {
			t.Errorf("Attest of imported key: %v, want ErrNotFound (6a80)", err)
		}
		priv, err := yk.PrivateKey(piv.SlotKeyManagement, &imported.PublicKey, piv.KeyAuth{PINPolicy: piv.PINPolicyNever})
		if err != nil {
			t.Fatal(err)
		}
		sig, err := priv.(crypto.Signer).Sign(rand.Reader, sha("imported"), crypto.SHA256)
		if err != nil || !ecdsa.VerifyASN1(&imported.PublicKey, sha("imported"), sig) {
			t.Errorf("imported key signature: %v", err)
		}
	})
}

// bigCert makes a self-signed certificate over 600 bytes, so that writing it
// needs command chaining and reading it GET RESPONSE.
func bigCert(t *testing.T) *x509.Certificate {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "bpkeys test " + strings.Repeat("x", 500)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestPIVGoCertificatesAndManagementKey(t *testing.T) {
	forEachProfile(t, func(t *testing.T, c *pivtest.Card, yk *piv.YubiKey, _ piv.Version) {
		if _, err := yk.Certificate(piv.SlotAuthentication); !errors.Is(err, piv.ErrNotFound) {
			t.Fatalf("empty certificate slot: %v", err)
		}
		cert := bigCert(t)
		c.TakeLog()
		if err := yk.SetCertificate(piv.DefaultManagementKey, piv.SlotAuthentication, cert); err != nil {
			t.Fatal(err)
		}
		got, err := yk.Certificate(piv.SlotAuthentication)
		if err != nil || !bytes.Equal(got.Raw, cert.Raw) {
			t.Fatalf("certificate read back: %v", err)
		}
		var chained, getResponse bool
		for _, e := range c.TakeLog() {
			chained = chained || (e.Command[0] == 0x10 && e.Command[1] == 0xdb)
			getResponse = getResponse || e.Command[1] == 0xc0
		}
		if !chained || !getResponse {
			t.Errorf("expected command chaining (%v) and GET RESPONSE (%v) on the wire", chained, getResponse)
		}

		// AES-192 (piv-go picks AES from 5.4 on). Not AES-256: piv-go's
		// SetMetadata writes "89 18" before a key of any length.
		newKey := bytes.Repeat([]byte{0x5a}, 24)
		if err := yk.SetManagementKey(piv.DefaultManagementKey, newKey); err != nil {
			t.Fatal(err)
		}
		key := piv.Key{Algorithm: piv.AlgorithmEC256, PINPolicy: piv.PINPolicyNever, TouchPolicy: piv.TouchPolicyNever}
		if _, err := yk.GenerateKey(piv.DefaultManagementKey, piv.SlotSignature, key); err == nil {
			t.Fatal("old management key still accepted")
		}
		if _, err := yk.GenerateKey(newKey, piv.SlotSignature, key); err != nil {
			t.Fatal(err)
		}
		if err := yk.SetMetadata(newKey, &piv.Metadata{ManagementKey: &newKey}); err != nil {
			t.Fatal(err)
		}
		m, err := yk.Metadata(piv.DefaultPIN)
		if err != nil || m.ManagementKey == nil || !bytes.Equal(*m.ManagementKey, newKey) {
			t.Fatalf("PIN-protected metadata: %+v, %v", m, err)
		}

		if err := yk.Reset(); err != nil {
			t.Fatal(err)
		}
		if _, err := yk.KeyInfo(piv.SlotSignature); !errors.Is(err, piv.ErrNotFound) {
			t.Errorf("key survived Reset: %v", err)
		}
		if _, err := yk.Certificate(piv.SlotAuthentication); !errors.Is(err, piv.ErrNotFound) {
			t.Errorf("certificate survived Reset: %v", err)
		}
		if n, err := yk.Retries(); err != nil || n != 3 {
			t.Errorf("Retries after Reset: %d, %v", n, err)
		}
		if _, err := yk.GenerateKey(piv.DefaultManagementKey, piv.SlotSignature, key); err != nil {
			t.Errorf("default management key after Reset: %v", err)
		}
		if err := yk.SetRetries(piv.DefaultManagementKey, piv.DefaultPIN, 5, 4); err != nil {
			t.Fatal(err)
		}
		if n, err := yk.Retries(); err == nil || n != 0 {
			// The PIN is still verified in this session: a real key answers 9000
			// to the empty VERIFY and piv-go reports that as an error.
			t.Errorf("Retries while verified: %d, %v", n, err)
		}
		yk = reopen(t, c, yk)
		if n, err := yk.Retries(); err != nil || n != 5 {
			t.Errorf("Retries after SetRetries(5, 4): %d, %v", n, err)
		}
	})
}

func TestPIVGoFaults(t *testing.T) {
	forEachProfile(t, func(t *testing.T, c *pivtest.Card, yk *piv.YubiKey, _ piv.Version) {
		// A forced status word reaches piv-go as the card's error.
		c.FailINS(0xf8, 1, 0x6f00)
		if _, err := yk.Serial(); err == nil || !strings.Contains(err.Error(), "6f00") {
			t.Errorf("forced 6f00: %v", err)
		}
		if s, err := yk.Serial(); err != nil || s != c.Serial() {
			t.Errorf("Serial after the fault: %d, %v", s, err)
		}
		// INS-specific faults only: other processes' tests may open this
		// reader too (e.g. to discover serials) and would consume FailNext.
		c.FailINS(0xf7, 1, 0x6a82)
		if _, err := yk.KeyInfo(piv.SlotSignature); !errors.Is(err, piv.ErrNotFound) {
			t.Errorf("forced 6a82: %v", err)
		}

		// Slow card.
		const delay = 300 * time.Millisecond
		c.SetDelay(delay)
		start := time.Now()
		if _, err := yk.Serial(); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < delay {
			t.Errorf("slow Serial took %v, want at least %v", took, delay)
		}
		c.SetDelay(0)

		// Touch policy without touch.
		pub, err := yk.GenerateKey(piv.DefaultManagementKey, piv.SlotSignature,
			piv.Key{Algorithm: piv.AlgorithmEC256, PINPolicy: piv.PINPolicyNever, TouchPolicy: piv.TouchPolicyAlways})
		if err != nil {
			t.Fatal(err)
		}
		priv, err := yk.PrivateKey(piv.SlotSignature, pub, piv.KeyAuth{PINPolicy: piv.PINPolicyNever})
		if err != nil {
			t.Fatal(err)
		}
		signer := priv.(crypto.Signer)
		c.SetTouchTimeout(true)
		if _, err := signer.Sign(rand.Reader, sha("t"), crypto.SHA256); err == nil || !strings.Contains(err.Error(), "6982") {
			t.Errorf("sign without touch: %v, want 6982", err)
		}
		c.SetTouchTimeout(false)
		if _, err := signer.Sign(rand.Reader, sha("t"), crypto.SHA256); err != nil {
			t.Errorf("sign with touch: %v", err)
		}

		// Removal in the middle of a signature.
		c.RemoveOnINS(0x87)
		if _, err := signer.Sign(rand.Reader, sha("r"), crypto.SHA256); err == nil {
			t.Fatal("sign succeeded on a removed card")
		}
		if err := yk.Close(); err != nil {
			t.Logf("closing after removal: %v", err)
		}
		c.Reinsert(t)
		yk = c.Open(t)
		priv, err = yk.PrivateKey(piv.SlotSignature, pub, piv.KeyAuth{PINPolicy: piv.PINPolicyNever})
		if err != nil {
			t.Fatal(err)
		}
		sig, err := priv.(crypto.Signer).Sign(rand.Reader, sha("r"), crypto.SHA256)
		if err != nil || !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), sha("r"), sig) {
			t.Errorf("sign after reinsertion: %v", err)
		}
	})
}
