package pivcard

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"strings"
	"testing"
)

// cmd builds a short APDU; data longer than 255 bytes must be chained by the caller.
func cmd(cla, ins, p1, p2 byte, data []byte) []byte {
	out := []byte{cla, ins, p1, p2}
	if len(data) > 0 {
		out = append(append(out, byte(len(data))), data...)
	}
	return out
}

func split(t *testing.T, resp []byte) ([]byte, uint16) {
	t.Helper()
	if len(resp) < 2 {
		t.Fatalf("response %x has no status word", resp)
	}
	n := len(resp) - 2
	return resp[:n], uint16(resp[n])<<8 | uint16(resp[n+1])
}

func send(t *testing.T, c *Card, apdu []byte) ([]byte, uint16) {
	t.Helper()
	return split(t, c.Process(apdu))
}

// mustSend sends apdu, collects chained answers with GET RESPONSE and
// expects 9000.
func mustSend(t *testing.T, c *Card, apdu []byte) []byte {
	t.Helper()
	data, sw := send(t, c, apdu)
	for sw&0xff00 == 0x6100 {
		var more []byte
		more, sw = send(t, c, []byte{0, 0xc0, 0, 0, 0})
		data = append(data, more...)
	}
	if sw != swOK {
		t.Fatalf("APDU %x: SW %04x, want 9000", apdu, sw)
	}
	return data
}

func newCard(t *testing.T, p Profile) *Card {
	t.Helper()
	c, err := New(Config{Profile: p, Serial: 7654321})
	if err != nil {
		t.Fatal(err)
	}
	mustSend(t, c, cmd(0, 0xa4, 0x04, 0x00, aidPIV[:5]))
	return c
}

func pinData(pins ...string) []byte {
	var out []byte
	for _, p := range pins {
		out = append(out, padPIN([]byte(p))...)
	}
	return out
}

// authenticate runs the client side of management-key mutual authentication
// and returns the card's final status word.
func authenticate(t *testing.T, c *Card, alg byte, key []byte) uint16 {
	t.Helper()
	block, err := mgmtCipher(alg, key)
	if err != nil {
		t.Fatal(err)
	}
	n := block.BlockSize()
	resp, sw := send(t, c, cmd(0, 0x87, alg, 0x9b, []byte{0x7c, 0x02, 0x80, 0x00}))
	if sw != swOK {
		return sw
	}
	if len(resp) != 4+n || resp[2] != 0x80 {
		t.Fatalf("witness answer %x", resp)
	}
	witness := make([]byte, n)
	block.Decrypt(witness, resp[4:])
	challenge := randomBytes(n)
	data := tlv(nil, 0x7c, tlv(nil, 0x80, witness), tlv(nil, 0x81, challenge))
	resp, sw = send(t, c, cmd(0, 0x87, alg, 0x9b, data))
	if sw != swOK {
		return sw
	}
	want := make([]byte, n)
	block.Encrypt(want, challenge)
	if !bytes.Equal(resp, tlv(nil, 0x7c, tlv(nil, 0x82, want))) {
		t.Fatalf("card proved the wrong key: %x", resp)
	}
	return sw
}

func TestPINLifecycle(t *testing.T) {
	c := newCard(t, Profile57)
	steps := []struct {
		name string
		apdu []byte
		sw   uint16
	}{
		{"status", cmd(0, 0x20, 0, 0x80, nil), 0x63c3},
		{"wrong PIN", cmd(0, 0x20, 0, 0x80, pinData("000000")), 0x63c2},
		{"status after wrong", cmd(0, 0x20, 0, 0x80, nil), 0x63c2},
		{"right PIN resets counter", cmd(0, 0x20, 0, 0x80, pinData(DefaultPIN)), swOK},
		{"status when verified", cmd(0, 0x20, 0, 0x80, nil), swOK},
		{"deauthenticate", cmd(0, 0x20, 0xff, 0x80, nil), swOK},
		{"status after deauth", cmd(0, 0x20, 0, 0x80, nil), 0x63c3},
		{"unpadded PIN length", cmd(0, 0x20, 0, 0x80, []byte("123456")), swWrongData},
		{"wrong 1", cmd(0, 0x20, 0, 0x80, pinData("111111")), 0x63c2},
		{"wrong 2", cmd(0, 0x20, 0, 0x80, pinData("111111")), 0x63c1},
		{"wrong 3", cmd(0, 0x20, 0, 0x80, pinData("111111")), 0x63c0},
		{"blocked right PIN", cmd(0, 0x20, 0, 0x80, pinData(DefaultPIN)), swBlocked},
		{"blocked status", cmd(0, 0x20, 0, 0x80, nil), swBlocked},
		{"reset refused while PUK works", cmd(0, 0xfb, 0, 0, nil), swConditionsOfUse},
		{"unblock wrong PUK", cmd(0, 0x2c, 0, 0x80, pinData("87654321", "654321")), 0x63c2},
		{"unblock new PIN too short", cmd(0, 0x2c, 0, 0x80, pinData(DefaultPUK, "12345")), swWrongData},
		{"unblock", cmd(0, 0x2c, 0, 0x80, pinData(DefaultPUK, "654321")), swOK},
		{"new PIN", cmd(0, 0x20, 0, 0x80, pinData("654321")), swOK},
		{"change PIN wrong old", cmd(0, 0x24, 0, 0x80, pinData("000000", "11223344")), 0x63c2},
		{"change PIN", cmd(0, 0x24, 0, 0x80, pinData("654321", "11223344")), swOK},
		{"changed PIN", cmd(0, 0x20, 0, 0x80, pinData("11223344")), swOK},
		{"change PUK", cmd(0, 0x24, 0, 0x81, pinData(DefaultPUK, "99887766")), swOK},
		{"old PUK refused", cmd(0, 0x2c, 0, 0x80, pinData(DefaultPUK, "123456")), 0x63c2},
		{"unknown reference", cmd(0, 0x20, 0, 0x96, nil), swRefNotFound},
	}
	for _, s := range steps {
		if _, sw := send(t, c, s.apdu); sw != s.sw {
			t.Fatalf("%s: SW %04x, want %04x", s.name, sw, s.sw)
		}
	}
}

func TestManagementKeyAuthentication(t *testing.T) {
	aes128 := bytes.Repeat([]byte{0x42}, 16)
	aes256 := bytes.Repeat([]byte{0x24}, 32)
	genAC := []byte{0xac, 0x03, 0x80, 0x01, AlgECCP256}
	tests := []struct {
		name    string
		profile Profile
		alg     byte
	}{
		{"5.7 AES-192 default", Profile57, AlgAES192},
		{"5.4 3DES default", Profile54, Alg3DES},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCard(t, tt.profile)
			if _, sw := send(t, c, cmd(0, 0x47, 0, 0x9a, genAC)); sw != swSecurityStatus {
				t.Fatalf("generate without management key: SW %04x", sw)
			}
			other := Alg3DES
			if tt.alg == Alg3DES {
				other = AlgAES192
			}
			if sw := authenticate(t, c, other, DefaultManagementKey); sw != swWrongData {
				t.Fatalf("wrong algorithm: SW %04x, want 6a80", sw)
			}
			wrong := bytes.Repeat([]byte{9}, 24)
			if sw := authenticate(t, c, tt.alg, wrong); sw != swSecurityStatus {
				t.Fatalf("wrong key: SW %04x, want 6982", sw)
			}
			if _, sw := send(t, c, cmd(0, 0x47, 0, 0x9a, genAC)); sw != swSecurityStatus {
				t.Fatalf("generate after failed auth: SW %04x", sw)
			}
			if sw := authenticate(t, c, tt.alg, DefaultManagementKey); sw != swOK {
				t.Fatalf("default key: SW %04x", sw)
			}
			mustSend(t, c, cmd(0, 0x47, 0, 0x9a, genAC))

			// A witness answer without a witness request is refused.
			data := tlv(nil, 0x7c, tlv(nil, 0x80, make([]byte, 8)), tlv(nil, 0x81, make([]byte, 8)))
			if _, sw := send(t, c, cmd(0, 0x87, tt.alg, 0x9b, data)); sw != swSecurityStatus && sw != swWrongData {
				t.Fatalf("unsolicited witness: SW %04x", sw)
			}

			for _, next := range []struct {
				alg byte
				key []byte
			}{{AlgAES128, aes128}, {AlgAES256, aes256}, {Alg3DES, DefaultManagementKey}} {
				if sw := authenticate(t, c, c.mgmtAlg, c.mgmtKey); sw != swOK {
					t.Fatalf("re-auth: %04x", sw)
				}
				mustSend(t, c, cmd(0, 0xff, 0xff, 0xff, append([]byte{next.alg, 0x9b, byte(len(next.key))}, next.key...)))
				mustSend(t, c, cmd(0, 0xa4, 0x04, 0, aidPIV[:5]))
				if sw := authenticate(t, c, next.alg, next.key); sw != swOK {
					t.Fatalf("alg %02x: SW %04x", next.alg, sw)
				}
			}
			if _, sw := send(t, c, cmd(0, 0xff, 0xff, 0xff, []byte{AlgAES128, 0x9b, 3, 1, 2, 3})); sw != swWrongData {
				t.Fatalf("short AES key: SW %04x", sw)
			}
		})
	}
}

// generate authenticates and generates a key, returning the public key.
func generate(t *testing.T, c *Card, slot, alg, pp, tp byte) *ecdsa.PublicKey {
	t.Helper()
	if sw := authenticate(t, c, c.mgmtAlg, c.mgmtKey); sw != swOK {
		t.Fatalf("auth: %04x", sw)
	}
	resp := mustSend(t, c, cmd(0, 0x47, 0, slot, []byte{0xac, 0x09, 0x80, 0x01, alg, 0xaa, 0x01, pp, 0xab, 0x01, tp}))
	curve := curveOf(alg)
	size := (curve.Params().BitSize + 7) / 8
	if len(resp) != 5+1+2*size || resp[0] != 0x7f || resp[1] != 0x49 || resp[3] != 0x86 || resp[5] != 0x04 {
		t.Fatalf("public key template %x", resp)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, resp[5:])
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func signAPDU(slot, alg byte, digest []byte) []byte {
	return cmd(0, 0x87, alg, slot, tlv(nil, 0x7c, []byte{0x82, 0x00}, tlv(nil, 0x81, digest)))
}

func TestGenerateAndSign(t *testing.T) {
	digest := sha256.Sum256([]byte("eosio transaction"))
	verifyPIN := cmd(0, 0x20, 0, 0x80, pinData(DefaultPIN))
	tests := []struct {
		name       string
		alg        byte
		pp         byte
		needPIN    bool // a fresh session cannot sign without VERIFY
		everySign  bool // every signature needs its own VERIFY
		slot       byte
		digestSize int
	}{
		{"P-256 never", AlgECCP256, pinPolicyNever, false, false, 0x9a, 32},
		{"P-256 once", AlgECCP256, pinPolicyOnce, true, false, 0x9c, 32},
		{"P-256 always", AlgECCP256, pinPolicyAlways, true, true, 0x9d, 32},
		{"P-256 match once treated as once", AlgECCP256, 0x04, true, false, 0x82, 32},
		{"P-384 once", AlgECCP384, pinPolicyOnce, true, false, 0x9e, 48},
		{"P-256 short digest", AlgECCP256, pinPolicyNever, false, false, 0x95, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCard(t, Profile57)
			pub := generate(t, c, tt.slot, tt.alg, tt.pp, touchPolicyNever)
			d := bytes.Repeat(digest[:], 2)[:tt.digestSize]
			sign := signAPDU(tt.slot, tt.alg, d)
			_, sw := send(t, c, sign)
			if got := sw == swSecurityStatus; got != tt.needPIN {
				t.Fatalf("sign before VERIFY: SW %04x, needPIN %v", sw, tt.needPIN)
			}
			mustSend(t, c, verifyPIN)
			for i := range 2 {
				resp, sw := send(t, c, sign)
				if tt.everySign && i == 1 {
					if sw != swSecurityStatus {
						t.Fatalf("second sign without VERIFY: SW %04x, want 6982", sw)
					}
					break
				}
				if sw != swOK {
					t.Fatalf("sign %d: SW %04x", i, sw)
				}
				if len(resp) < 4 || resp[0] != 0x7c || resp[2] != 0x82 {
					t.Fatalf("signature template %x", resp)
				}
				if !ecdsa.VerifyASN1(pub, d, resp[4:]) {
					t.Fatalf("signature %x does not verify", resp[4:])
				}
			}
			if _, sw := send(t, c, signAPDU(tt.slot, AlgECCP384+AlgECCP256-tt.alg, d)); sw != swWrongData {
				t.Fatalf("sign with wrong algorithm: SW %04x", sw)
			}
			mustSend(t, c, cmd(0, 0xa4, 0x04, 0, aidPIV[:5]))
			if _, sw := send(t, c, sign); (sw == swSecurityStatus) != tt.needPIN {
				t.Fatalf("sign after reselect: SW %04x", sw)
			}
		})
	}
}

func TestECDH(t *testing.T) {
	c := newCard(t, Profile57)
	pub := generate(t, c, 0x9d, AlgECCP256, pinPolicyNever, touchPolicyNever)
	peer, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	peerECDH, _ := peer.ECDH()
	resp := mustSend(t, c, cmd(0, 0x87, AlgECCP256, 0x9d, tlv(nil, 0x7c, []byte{0x82, 0x00}, tlv(nil, 0x85, peerECDH.PublicKey().Bytes()))))
	cardPub, _ := pub.ECDH()
	want, err := peerECDH.ECDH(cardPub)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp, tlv(nil, 0x7c, tlv(nil, 0x82, want))) {
		t.Fatalf("shared secret %x, want %x", resp, want)
	}
}

func TestChainingAndGetResponse(t *testing.T) {
	c := newCard(t, Profile57)
	if sw := authenticate(t, c, c.mgmtAlg, c.mgmtKey); sw != swOK {
		t.Fatal(sw)
	}
	value := make([]byte, 700)
	for i := range value {
		value[i] = byte(i)
	}
	put := append([]byte{0x5c, 0x03, 0x5f, 0xc1, 0x0a}, tlv(nil, 0x53, value)...)
	for len(put) > 255 {
		mustSend(t, c, cmd(0x10, 0xdb, 0x3f, 0xff, put[:255]))
		put = put[255:]
	}
	mustSend(t, c, cmd(0, 0xdb, 0x3f, 0xff, put))

	resp, sw := send(t, c, cmd(0, 0xcb, 0x3f, 0xff, []byte{0x5c, 0x03, 0x5f, 0xc1, 0x0a}))
	got := resp
	var sws []uint16
	for sw&0xff00 == 0x6100 {
		sws = append(sws, sw)
		resp, sw = send(t, c, []byte{0, 0xc0, 0, 0, 0})
		got = append(got, resp...)
	}
	if sw != swOK {
		t.Fatalf("final SW %04x", sw)
	}
	// 704 bytes: 256 + 61 00, 256 + 61 C0, 192 + 9000.
	if want := []uint16{0x6100, 0x61c0}; len(sws) != 2 || sws[0] != want[0] || sws[1] != want[1] {
		t.Fatalf("status words %04x, want %04x", sws, want)
	}
	if !bytes.Equal(got, tlv(nil, 0x53, value)) {
		t.Fatalf("object read back differs")
	}
	if _, sw := send(t, c, []byte{0, 0xc0, 0, 0, 0}); sw != swConditionsOfUse {
		t.Fatalf("GET RESPONSE with nothing pending: SW %04x", sw)
	}
	// An empty value deletes the object.
	mustSend(t, c, cmd(0, 0xdb, 0x3f, 0xff, []byte{0x5c, 0x03, 0x5f, 0xc1, 0x0a, 0x53, 0x00}))
	if _, sw := send(t, c, cmd(0, 0xcb, 0x3f, 0xff, []byte{0x5c, 0x03, 0x5f, 0xc1, 0x0a})); sw != swFileNotFound {
		t.Fatalf("deleted object: SW %04x", sw)
	}
}

func TestMetadata(t *testing.T) {
	c57 := newCard(t, Profile57)
	c54 := newCard(t, Profile54)
	tests := []struct {
		name string
		card *Card
		p2   byte
		want string
		sw   uint16
	}{
		{"AES-192 management key", c57, 0x9b, "01010a 02020001 050101", swOK},
		{"3DES management key", c54, 0x9b, "010103 02020001 050101", swOK},
		{"PIN", c57, 0x80, "0101ff 050101 06020303", swOK},
		{"PUK", c57, 0x81, "0101ff 050101 06020303", swOK},
		{"empty slot", c57, 0x9a, "", swRefNotFound},
	}
	for _, tt := range tests {
		data, sw := send(t, tt.card, cmd(0, 0xf7, 0, tt.p2, nil))
		want, _ := hex.DecodeString(strings.ReplaceAll(tt.want, " ", ""))
		if sw != tt.sw || !bytes.Equal(data, want) {
			t.Errorf("%s: %x %04x, want %x %04x", tt.name, data, sw, want, tt.sw)
		}
	}

	send(t, c57, cmd(0, 0x20, 0, 0x80, pinData("000000")))
	if data := mustSend(t, c57, cmd(0, 0xf7, 0, 0x80, nil)); !bytes.HasSuffix(data, []byte{0x06, 0x02, 0x03, 0x02}) {
		t.Errorf("PIN metadata after a wrong PIN: %x", data)
	}
	pub := generate(t, c57, 0x9c, AlgECCP256, pinPolicyOnce, touchPolicyCached)
	point, _ := pub.Bytes()
	want := append([]byte{0x01, 0x01, 0x11, 0x02, 0x02, 0x02, 0x03, 0x03, 0x01, 0x01, 0x04, 0x43, 0x86, 0x41}, point...)
	if data := mustSend(t, c57, cmd(0, 0xf7, 0, 0x9c, nil)); !bytes.Equal(data, want) {
		t.Errorf("slot metadata %x, want %x", data, want)
	}
	// Default policies: 9C is PIN-always, touch never.
	if sw := authenticate(t, c57, c57.mgmtAlg, c57.mgmtKey); sw != swOK {
		t.Fatal(sw)
	}
	mustSend(t, c57, cmd(0, 0x47, 0, 0x9c, []byte{0xac, 0x03, 0x80, 0x01, AlgECCP384}))
	if data := mustSend(t, c57, cmd(0, 0xf7, 0, 0x9c, nil)); !bytes.HasPrefix(data, []byte{0x01, 0x01, 0x14, 0x02, 0x02, 0x03, 0x01, 0x03, 0x01, 0x01, 0x04, 0x63}) {
		t.Errorf("default-policy metadata %x", data)
	}
}

func importAPDU(slot byte, d []byte) []byte {
	return cmd(0, 0xfe, AlgECCP256, slot, append(tlv(nil, 0x06, d), 0xaa, 0x01, pinPolicyNever, 0xab, 0x01, touchPolicyNever))
}

func TestAttestation(t *testing.T) {
	c := newCard(t, Profile54)
	pub := generate(t, c, 0x9a, AlgECCP256, pinPolicyAlways, touchPolicyCached)

	f9 := mustSend(t, c, cmd(0, 0xcb, 0x3f, 0xff, []byte{0x5c, 0x03, 0x5f, 0xff, 0x01}))
	t53, ok := parseTLVs(f9)
	if !ok {
		t.Fatalf("f9 object %x", f9)
	}
	inner, ok := parseTLVs(t53[0x53])
	if !ok || !bytes.Equal(inner[0x71], []byte{0}) {
		t.Fatalf("f9 object content %x", t53[0x53])
	}
	attCert, err := x509.ParseCertificate(inner[0x70])
	if err != nil {
		t.Fatal(err)
	}

	der := mustSend(t, c, cmd(0, 0xf9, 0x9a, 0, nil))
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	root, err := AttestationRoot()
	if err != nil {
		t.Fatal(err)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root)
	inter.AddCert(attCert)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("attestation does not chain to the emulator root: %v", err)
	}
	if !pub.Equal(cert.PublicKey) {
		t.Fatal("attested public key differs from the generated one")
	}
	if cn := cert.Subject.CommonName; cn != "YubiKey PIV Attestation 9a" {
		t.Errorf("subject CN %q", cn)
	}
	serial, _ := asn1.Marshal(int64(7654321))
	want := map[string][]byte{
		extFirmware.String():   {5, 4, 3},
		extSerial.String():     serial,
		extPolicy.String():     {pinPolicyAlways, touchPolicyCached},
		extFormFactor.String(): {0x01},
	}
	for _, e := range cert.Extensions {
		if w, ok := want[e.Id.String()]; ok {
			if !bytes.Equal(e.Value, w) {
				t.Errorf("extension %v = %x, want %x", e.Id, e.Value, w)
			}
			delete(want, e.Id.String())
		}
	}
	if len(want) != 0 {
		t.Errorf("missing extensions %v", want)
	}

	if _, sw := send(t, c, cmd(0, 0xf9, 0x9c, 0, nil)); sw != swWrongData {
		t.Errorf("attest empty slot: SW %04x, want 6a80", sw)
	}
	mustSend(t, c, importAPDU(0x9c, randomScalar(t)))
	if _, sw := send(t, c, cmd(0, 0xf9, 0x9c, 0, nil)); sw != swWrongData {
		t.Errorf("attest imported key: SW %04x, want 6a80", sw)
	}
	if data := mustSend(t, c, cmd(0, 0xf7, 0, 0x9c, nil)); !bytes.Contains(data, []byte{0x03, 0x01, 0x02}) {
		t.Errorf("imported key metadata %x lacks origin imported", data)
	}
}

func randomScalar(t *testing.T) []byte {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d, err := k.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestReset(t *testing.T) {
	c := newCard(t, Profile57)
	generate(t, c, 0x9a, AlgECCP256, pinPolicyNever, touchPolicyNever)
	mustSend(t, c, cmd(0, 0x24, 0, 0x80, pinData(DefaultPIN, "24682468")))
	if _, sw := send(t, c, cmd(0, 0xfb, 0, 0, nil)); sw != swConditionsOfUse {
		t.Fatalf("reset with PIN unblocked: SW %04x", sw)
	}
	for range 3 {
		send(t, c, cmd(0, 0x20, 0, 0x80, pinData("000000")))
		send(t, c, cmd(0, 0x24, 0, 0x81, pinData("00000000", "00000000")))
	}
	mustSend(t, c, cmd(0, 0xfb, 0, 0, nil))
	if _, sw := send(t, c, cmd(0, 0xf7, 0, 0x9a, nil)); sw != swRefNotFound {
		t.Errorf("key survived reset: SW %04x", sw)
	}
	mustSend(t, c, cmd(0, 0x20, 0, 0x80, pinData(DefaultPIN)))
	mustSend(t, c, cmd(0, 0xcb, 0x3f, 0xff, []byte{0x5c, 0x03, 0x5f, 0xff, 0x01}))
	if sw := authenticate(t, c, AlgAES192, DefaultManagementKey); sw != swOK {
		t.Errorf("default management key after reset: SW %04x", sw)
	}
}

func TestFaults(t *testing.T) {
	c := newCard(t, Profile57)
	getSerial := cmd(0, 0xf8, 0, 0, nil)

	c.FailNext(2, 0x6f00)
	for i := range 2 {
		if _, sw := send(t, c, cmd(0, 0x20, 0, 0x80, pinData("000000"))); sw != 0x6f00 {
			t.Fatalf("forced command %d: SW %04x", i, sw)
		}
	}
	if _, sw := send(t, c, cmd(0, 0x20, 0, 0x80, nil)); sw != 0x63c3 {
		t.Fatalf("forced commands must not reach the applet: SW %04x", sw)
	}

	c.FailINS(0xf8, 1, 0x6a82)
	if got := mustSend(t, c, cmd(0, 0xfd, 0, 0, nil)); !bytes.Equal(got, []byte{5, 7, 1}) {
		t.Fatalf("GET VERSION hit by a GET SERIAL fault: %x", got)
	}
	if _, sw := send(t, c, getSerial); sw != 0x6a82 {
		t.Fatalf("FailINS: SW %04x", sw)
	}
	if got := mustSend(t, c, getSerial); !bytes.Equal(got, []byte{0x00, 0x74, 0xcb, 0xb1}) {
		t.Fatalf("serial %x", got)
	}
	c.FailINS(0xf8, 0, 0x6d00)
	for range 3 {
		if _, sw := send(t, c, getSerial); sw != 0x6d00 {
			t.Fatalf("persistent FailINS: SW %04x", sw)
		}
	}
	c.ClearFaults()
	mustSend(t, c, getSerial)

	c.RemoveOnINS(0xf8)
	if resp := c.Process(getSerial); resp != nil {
		t.Fatalf("removal answered %x", resp)
	}
	mustSend(t, c, getSerial)

	generate(t, c, 0x9a, AlgECCP256, pinPolicyNever, touchPolicyAlways)
	generate(t, c, 0x9e, AlgECCP256, pinPolicyNever, touchPolicyNever)
	d := make([]byte, 32)
	c.SetTouchTimeout(true)
	if _, sw := send(t, c, signAPDU(0x9a, AlgECCP256, d)); sw != swSecurityStatus {
		t.Fatalf("touch timeout: SW %04x, want 6982", sw)
	}
	mustSend(t, c, signAPDU(0x9e, AlgECCP256, d))
	c.SetTouchTimeout(false)
	mustSend(t, c, signAPDU(0x9a, AlgECCP256, d))
}
