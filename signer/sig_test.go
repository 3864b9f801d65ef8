package signer_test

import (
	"context"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/signer/signertest"
)

var curves = []signer.Curve{signer.CurveK1, signer.CurveR1}

// The EOS-mainnet R1 transaction quoted in eosjs PR #731 (block 123,803,753):
// its signature has r's high bit set, so it fails the K1 byte rule, yet
// nodeos accepted it: R1 is held only to low S.
const (
	mainnetChainID = "aca376f206b8fc25a6ed44dbdc66547c36c6c33e3a119ffbeaef943642f0e906"
	mainnetR1Pub   = "PUB_R1_5ie6pYwskXQY7VqbsRovPnfJweqPaaT97zdgYrAxuXUBdqadM6"
)

func TestConformanceInMemory(t *testing.T) {
	for _, c := range curves {
		t.Run(c.String(), func(t *testing.T) {
			signertest.Run(t, testsigner.New(c), signertest.Options{Signatures: 200})
		})
	}
}

func TestCompactFromDeviceOutput(t *testing.T) {
	for _, c := range curves {
		k := testsigner.New(c)
		var sawHigh, sawNonCanonical bool
		for i := 0; i < 300; i++ {
			d := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(c)})
			r, s := k.RawRS(d[:])
			high := s.Cmp(new(big.Int).Rsh(order(c), 1)) > 0
			sawHigh = sawHigh || high
			der, _ := asn1.Marshal(struct{ R, S *big.Int }{r, s})
			raw := make([]byte, 64)
			r.FillBytes(raw[:32])
			s.FillBytes(raw[32:])
			a, err := signer.Compact(k.PublicKey(), d[:], der)
			if err != nil {
				t.Fatalf("%s DER: %v", c, err)
			}
			b, err := signer.Compact(k.PublicKey(), d[:], raw)
			if err != nil {
				t.Fatalf("%s raw: %v", c, err)
			}
			if a != b {
				t.Fatalf("%s: DER and raw forms of one signature convert differently", c)
			}
			if !a.IsLowS() {
				t.Fatalf("%s: not low-S after conversion", c)
			}
			got, err := a.Recover(d[:])
			if err != nil || got != k.PublicKey() {
				t.Fatalf("%s: recovers to %v, %v", c, got, err)
			}
			if c == signer.CurveK1 && !a.IsCanonical() {
				sawNonCanonical = true
			}
		}
		if !sawHigh {
			t.Errorf("%s: no high-S input in 300 signatures; the test does not cover normalisation", c)
		}
		if c == signer.CurveK1 && !sawNonCanonical {
			t.Error("K1: no non-canonical signature seen; the retry path is untested")
		}
	}
}

func order(c signer.Curve) *big.Int {
	s := "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"
	if c == signer.CurveR1 {
		s = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"
	}
	n, _ := new(big.Int).SetString(s, 16)
	return n
}

func TestCompactWrongKey(t *testing.T) {
	for _, c := range curves {
		a, b := testsigner.New(c), testsigner.New(c)
		d := sha256.Sum256([]byte("x"))
		_, err := signer.Compact(b.PublicKey(), d[:], a.DER(d[:]))
		if !errors.Is(err, signer.ErrBadSignature) {
			t.Errorf("%s: signature by another key: err = %v", c, err)
		}
	}
}

func TestParseECDSAErrors(t *testing.T) {
	n := order(signer.CurveR1)
	over, _ := asn1.Marshal(struct{ R, S *big.Int }{n, big.NewInt(1)})
	zero, _ := asn1.Marshal(struct{ R, S *big.Int }{big.NewInt(0), big.NewInt(1)})
	neg, _ := asn1.Marshal(struct{ R, S *big.Int }{big.NewInt(-5), big.NewInt(1)})
	good, _ := asn1.Marshal(struct{ R, S *big.Int }{big.NewInt(5), big.NewInt(1)})
	for name, in := range map[string][]byte{
		"empty":          nil,
		"65 bytes":       make([]byte, 65),
		"r = n":          over,
		"r = 0":          zero,
		"negative r":     neg,
		"trailing bytes": append(good, 0),
		"raw zeros":      make([]byte, 64),
	} {
		if _, _, err := signer.ParseECDSA(signer.CurveR1, in); !errors.Is(err, signer.ErrDERFormat) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// deviceFunc builds a fake device from a function; the real devices are
// tested in hsm/pkcs11 and hsm/piv with this same loop.
func TestSignRawRetries(t *testing.T) {
	k := testsigner.New(signer.CurveK1)
	d := sha256.Sum256([]byte("retry"))

	// A device with random nonces reaches a canonical signature.
	calls := 0
	sig, err := signer.SignRaw(context.Background(), k.PublicKey(), d, func(ctx context.Context, digest []byte) ([]byte, error) {
		calls++
		return k.Raw(digest), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	signertest.Check(t, sig, d, k.PublicKey())

	// A deterministic device that happens to give a non-canonical signature
	// repeats it: reported on the second attempt, not after 32.
	var fixed []byte
	for fixed == nil {
		raw := k.Raw(d[:])
		c, err := signer.Compact(k.PublicKey(), d[:], raw)
		if err != nil {
			t.Fatal(err)
		}
		if !c.IsCanonical() {
			fixed = raw
		}
	}
	calls = 0
	_, err = signer.SignRaw(context.Background(), k.PublicKey(), d, func(ctx context.Context, digest []byte) ([]byte, error) {
		calls++
		return fixed, nil
	})
	if !errors.Is(err, signer.ErrDeterministicNonce) {
		t.Fatalf("deterministic device: err = %v", err)
	}
	var nce *signer.NonCanonicalError
	if !errors.As(err, &nce) || nce.Attempts != 2 || calls != 2 {
		t.Fatalf("attempts = %+v, calls = %d; want 2", nce, calls)
	}
	if !strings.Contains(err.Error(), "expiration") {
		t.Errorf("error does not tell the caller what to do: %v", err)
	}

	// A device error is returned as is, wrapped nowhere it would be lost.
	devErr := errors.New("token removed")
	_, err = signer.SignRaw(context.Background(), k.PublicKey(), d, func(context.Context, []byte) ([]byte, error) { return nil, devErr })
	if !errors.Is(err, devErr) {
		t.Fatalf("device error lost: %v", err)
	}

	// R1: the device is asked exactly once.
	r1 := testsigner.New(signer.CurveR1)
	calls = 0
	sig, err = signer.SignRaw(context.Background(), r1.PublicKey(), d, func(ctx context.Context, digest []byte) ([]byte, error) {
		calls++
		return r1.DER(digest), nil
	})
	if err != nil || calls != 1 {
		t.Fatalf("R1: %v, calls %d", err, calls)
	}
	signertest.Check(t, sig, d, r1.PublicKey())
}

func TestSignatureStrings(t *testing.T) {
	for _, c := range curves {
		k := testsigner.New(c)
		d := sha256.Sum256([]byte("strings"))
		sig, err := k.Sign(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		s := sig.String()
		if !strings.HasPrefix(s, "SIG_"+c.String()+"_") {
			t.Fatalf("%s: %s", c, s)
		}
		back, err := signer.ParseSignature(s)
		if err != nil || back != sig {
			t.Fatalf("%s: round trip: %v", c, err)
		}
		e := sig.ECC()
		if len(e.Content) != 65 || byte(e.Curve) != byte(c) {
			t.Fatalf("%s: ECC() wrong", c)
		}
		// Flip one character: checksum error.
		bad := []byte(s)
		if bad[20] == 'a' {
			bad[20] = 'b'
		} else {
			bad[20] = 'a'
		}
		if _, err := signer.ParseSignature(string(bad)); !errors.Is(err, signer.ErrChecksum) {
			t.Errorf("%s: altered signature: %v", c, err)
		}
		if _, err := signer.ParseSignature(s[:len(s)-3]); !errors.Is(err, signer.ErrSigFormat) {
			t.Errorf("%s: truncated signature: %v", c, err)
		}
		// Other curve's prefix: checksum uses the curve suffix.
		other := "SIG_K1_" + s[7:]
		if c == signer.CurveK1 {
			other = "SIG_R1_" + s[7:]
		}
		if _, err := signer.ParseSignature(other); !errors.Is(err, signer.ErrChecksum) {
			t.Errorf("%s: wrong-curve prefix: %v", c, err)
		}
	}
}

func TestCanonicalRuleBytes(t *testing.T) {
	// Build K1 compact signatures by hand around each clause of fc's rule.
	mk := func(r0, r1, s0, s1 byte) signer.Signature {
		var sig signer.Signature
		sig.Curve = signer.CurveK1
		sig.Data[0] = 31
		for i := 1; i < 65; i++ {
			sig.Data[i] = 0x11
		}
		sig.Data[1], sig.Data[2], sig.Data[33], sig.Data[34] = r0, r1, s0, s1
		return sig
	}
	for _, tc := range []struct {
		name           string
		r0, r1, s0, s1 byte
		want           bool
	}{
		{"typical", 0x12, 0x34, 0x56, 0x78, true},
		{"r high bit", 0x80, 0x34, 0x56, 0x78, false},
		{"s high bit", 0x12, 0x34, 0x80, 0x78, false},
		{"r short", 0x00, 0x34, 0x56, 0x78, false},
		{"r zero-led but full", 0x00, 0x80, 0x56, 0x78, true},
		{"s short", 0x12, 0x34, 0x00, 0x7f, false},
		{"s zero-led but full", 0x12, 0x34, 0x00, 0x80, true},
	} {
		if got := mk(tc.r0, tc.r1, tc.s0, tc.s1).IsCanonical(); got != tc.want {
			t.Errorf("%s: IsCanonical = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	for _, c := range curves {
		k := testsigner.New(c)
		d := sha256.Sum256([]byte("verify"))
		sig, err := k.Sign(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if err := sig.Verify(d[:], k.PublicKey()); err != nil {
			t.Fatalf("%s: good signature: %v", c, err)
		}
		other := testsigner.New(c).PublicKey()
		if err := sig.Verify(d[:], other); !errors.Is(err, signer.ErrBadSignature) {
			t.Errorf("%s: wrong key: %v", c, err)
		}
		// High-S twin: same (r, n-s) with flipped recid still recovers, but is refused.
		r := new(big.Int).SetBytes(sig.Data[1:33])
		s := new(big.Int).SetBytes(sig.Data[33:])
		hs := new(big.Int).Sub(order(c), s)
		var twin [65]byte
		r.FillBytes(twin[1:33])
		hs.FillBytes(twin[33:])
		twin[0] = byte(31 + (sig.RecID() ^ 1))
		tw, err := signer.NewSignature(c, twin[:])
		if err != nil {
			t.Fatal(err)
		}
		if got, err := tw.Recover(d[:]); err != nil || got != k.PublicKey() {
			t.Fatalf("%s: high-S twin should recover to the same key: %v", c, err)
		}
		if tw.IsLowS() {
			t.Fatalf("%s: twin not high-S", c)
		}
		if err := tw.Verify(d[:], k.PublicKey()); !errors.Is(err, signer.ErrBadSignature) {
			t.Errorf("%s: high-S twin verified: %v", c, err)
		}
	}
}

func TestDigest(t *testing.T) {
	id, err := signer.ParseChainID(mainnetChainID)
	if err != nil {
		t.Fatal(err)
	}
	trx := []byte("packed transaction bytes")
	got := signer.Digest(id, trx, nil)
	want := sha256.Sum256(append(append(id[:], trx...), make([]byte, 32)...))
	if got != want {
		t.Fatal("digest without context-free data")
	}
	if signer.Digest(id, trx, []byte{0}) != want {
		t.Fatal("a packed empty cfd vector must count as none, as in nodeos")
	}
	cfd := []byte{1, 3, 'a', 'b', 'c'}
	h := sha256.Sum256(cfd)
	want = sha256.Sum256(append(append(id[:], trx...), h[:]...))
	if signer.Digest(id, trx, cfd) != want {
		t.Fatal("digest with context-free data")
	}
	if _, err := signer.ParseChainID("abc"); err == nil {
		t.Fatal("short chain id accepted")
	}
	if _, err := signer.ParseChainID(strings.Repeat("zz", 32)); err == nil {
		t.Fatal("non-hex chain id accepted")
	}
	_ = hex.EncodeToString
}
