package bls

import (
	"fmt"

	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
)

// Signature is a BLS signature: a G2 point in the prime-order subgroup.
type Signature struct {
	raw   [SignatureSize]byte
	point bls12381.G2Affine
}

// ParseSignature reads a SIG_BLS_ string and checks the point.
func ParseSignature(s string) (Signature, error) {
	raw, err := DecodeSignature(s)
	if err != nil {
		return Signature{}, fmt.Errorf("BLS signature: %w", err)
	}
	sig, err := SignatureFromBytes(raw[:])
	if err != nil {
		return Signature{}, fmt.Errorf("BLS signature: %w", err)
	}
	return sig, nil
}

// SignatureFromBytes reads the 192 raw bytes (x.c0, x.c1, y.c0, y.c1,
// little-endian) and checks the point is on the curve, in the subgroup and
// not the identity.
func SignatureFromBytes(b []byte) (Signature, error) {
	if len(b) != SignatureSize {
		return Signature{}, ErrInvalidSize
	}
	var s Signature
	copy(s.raw[:], b)
	var err error
	if s.point.X.A0, err = fieldLE(b[0:48]); err != nil {
		return Signature{}, err
	}
	if s.point.X.A1, err = fieldLE(b[48:96]); err != nil {
		return Signature{}, err
	}
	if s.point.Y.A0, err = fieldLE(b[96:144]); err != nil {
		return Signature{}, err
	}
	if s.point.Y.A1, err = fieldLE(b[144:192]); err != nil {
		return Signature{}, err
	}
	if s.point.IsInfinity() {
		return Signature{}, ErrIdentity
	}
	if !s.point.IsOnCurve() {
		return Signature{}, ErrNotOnCurve
	}
	if !s.point.IsInSubGroup() {
		return Signature{}, ErrSubgroup
	}
	return s, nil
}

// SignatureFromPoint serialises a point as fc does.
func SignatureFromPoint(p bls12381.G2Affine) (Signature, error) {
	var raw [SignatureSize]byte
	putFieldLE(raw[0:48], p.X.A0)
	putFieldLE(raw[48:96], p.X.A1)
	putFieldLE(raw[96:144], p.Y.A0)
	putFieldLE(raw[144:192], p.Y.A1)
	return SignatureFromBytes(raw[:])
}

// Bytes returns the raw form.
func (s Signature) Bytes() [SignatureSize]byte { return s.raw }

// Point returns the G2 point.
func (s Signature) Point() bls12381.G2Affine { return s.point }

// Equal compares two signatures.
func (s Signature) Equal(o Signature) bool { return s.raw == o.raw }

// String returns the SIG_BLS_ form, byte for byte what fc prints.
func (s Signature) String() string { return encode(SignaturePrefix, s.raw[:]) }

// MarshalText implements encoding.TextMarshaler.
func (s Signature) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Signature) UnmarshalText(b []byte) error {
	p, err := ParseSignature(string(b))
	if err != nil {
		return err
	}
	*s = p
	return nil
}
