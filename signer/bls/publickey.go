package bls

import (
	"fmt"

	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
)

// PublicKey is a finalizer public key: a G1 point in the prime-order
// subgroup, other than the point at infinity.
type PublicKey struct {
	raw   [PublicKeySize]byte
	point bls12381.G1Affine
}

// ParsePublicKey reads a PUB_BLS_ string and checks the point. A private key
// is refused with ErrPrivateKey and is not echoed.
func ParsePublicKey(s string) (PublicKey, error) {
	raw, err := DecodePublicKey(s)
	if err != nil {
		return PublicKey{}, fmt.Errorf("BLS public key: %w", err)
	}
	k, err := PublicKeyFromBytes(raw[:])
	if err != nil {
		return PublicKey{}, fmt.Errorf("BLS public key: %w", err)
	}
	return k, nil
}

// PublicKeyFromBytes reads the 96 raw bytes (x then y, little-endian) and
// checks the point is on the curve, in the subgroup and not the identity.
func PublicKeyFromBytes(b []byte) (PublicKey, error) {
	if len(b) != PublicKeySize {
		return PublicKey{}, ErrInvalidSize
	}
	var k PublicKey
	copy(k.raw[:], b)
	var err error
	if k.point.X, err = fieldLE(b[:48]); err != nil {
		return PublicKey{}, err
	}
	if k.point.Y, err = fieldLE(b[48:]); err != nil {
		return PublicKey{}, err
	}
	if k.point.IsInfinity() {
		return PublicKey{}, ErrIdentity
	}
	if !k.point.IsOnCurve() {
		return PublicKey{}, ErrNotOnCurve
	}
	if !k.point.IsInSubGroup() {
		return PublicKey{}, ErrSubgroup
	}
	return k, nil
}

// PublicKeyFromPoint serialises a point as fc does; it refuses the identity
// and points outside the subgroup.
func PublicKeyFromPoint(p bls12381.G1Affine) (PublicKey, error) {
	var raw [PublicKeySize]byte
	putFieldLE(raw[:48], p.X)
	putFieldLE(raw[48:], p.Y)
	return PublicKeyFromBytes(raw[:])
}

// Bytes returns the raw form: what the system contract stores as
// finalizer_key_binary and what a proof of possession signs.
func (k PublicKey) Bytes() [PublicKeySize]byte { return k.raw }

// Point returns the G1 point.
func (k PublicKey) Point() bls12381.G1Affine { return k.point }

// IsZero reports whether k is the zero value (no key).
func (k PublicKey) IsZero() bool { return k.raw == [PublicKeySize]byte{} }

// Equal compares two keys.
func (k PublicKey) Equal(o PublicKey) bool { return k.raw == o.raw }

// String returns the PUB_BLS_ form, byte for byte what fc prints.
func (k PublicKey) String() string { return encode(PublicKeyPrefix, k.raw[:]) }

// MarshalText implements encoding.TextMarshaler.
func (k PublicKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *PublicKey) UnmarshalText(b []byte) error {
	p, err := ParsePublicKey(string(b))
	if err != nil {
		return err
	}
	*k = p
	return nil
}
