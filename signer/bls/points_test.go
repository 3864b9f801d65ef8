package bls

import (
	"errors"
	"testing"

	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
)

// onCurveOutsideSubgroup finds a G1 point on the curve but not in the
// prime-order subgroup (the cofactor is large, so nearly every x works).
func onCurveOutsideSubgroup(t *testing.T) bls12381.G1Affine {
	t.Helper()
	var four fp.Element
	four.SetUint64(4)
	for x := uint64(1); x < 1000; x++ {
		var p bls12381.G1Affine
		p.X.SetUint64(x)
		var rhs fp.Element
		rhs.Square(&p.X).Mul(&rhs, &p.X).Add(&rhs, &four)
		if p.Y.Sqrt(&rhs) == nil {
			continue
		}
		if p.IsOnCurve() && !p.IsInSubGroup() {
			return p
		}
	}
	t.Fatal("no point found")
	return bls12381.G1Affine{}
}

func rawG1(p bls12381.G1Affine) []byte {
	b := make([]byte, PublicKeySize)
	putFieldLE(b[:48], p.X)
	putFieldLE(b[48:], p.Y)
	return b
}

// Strings with a valid checksum but a bad point are refused with the reason.
func TestBadPointsRefused(t *testing.T) {
	var offCurve bls12381.G1Affine
	offCurve.X.SetUint64(1)
	offCurve.Y.SetUint64(1)
	big := make([]byte, PublicKeySize)
	for i := range big {
		big[i] = 0xff
	}
	cases := []struct {
		name string
		raw  []byte
		want error
	}{
		{"identity", make([]byte, PublicKeySize), ErrIdentity},
		{"off curve", rawG1(offCurve), ErrNotOnCurve},
		{"outside subgroup", rawG1(onCurveOutsideSubgroup(t)), ErrSubgroup},
		{"coordinate above the prime", big, ErrField},
	}
	for _, c := range cases {
		s := encode(PublicKeyPrefix, c.raw)
		if _, err := DecodePublicKey(s); err != nil {
			t.Fatalf("%s: the string form itself should decode: %v", c.name, err)
		}
		if _, err := ParsePublicKey(s); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := ParseSignature(encode(SignaturePrefix, make([]byte, SignatureSize))); !errors.Is(err, ErrIdentity) {
		t.Errorf("identity signature: %v", err)
	}
	off := make([]byte, SignatureSize)
	off[0], off[96] = 1, 1
	if _, err := ParseSignature(encode(SignaturePrefix, off)); !errors.Is(err, ErrNotOnCurve) {
		t.Errorf("off-curve signature: %v", err)
	}
}
