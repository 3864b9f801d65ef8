package signer

import (
	"bytes"
	"fmt"
	"math/big"
	"strings"

	"github.com/eoscanada/eos-go/ecc"
)

// Signature is an EOSIO compact signature: header byte (27+4+recid), r and s
// as 32-byte big-endian numbers. Signature is comparable with ==.
type Signature struct {
	Curve Curve
	Data  [65]byte
}

// ParseSignature reads SIG_K1_... and SIG_R1_... strings.
func ParseSignature(s string) (Signature, error) {
	s = strings.TrimSpace(s)
	if looksPrivate(s) {
		return Signature{}, ErrPrivateKey
	}
	var c Curve
	switch {
	case strings.HasPrefix(s, "SIG_K1_"):
		c = CurveK1
	case strings.HasPrefix(s, "SIG_R1_"):
		c = CurveR1
	case strings.HasPrefix(s, "SIG_WA_"):
		return Signature{}, fmt.Errorf("%w: WebAuthn (SIG_WA_) signatures are not supported", ErrUnsupported)
	default:
		return Signature{}, fmt.Errorf("%w: %s: expected SIG_K1_ or SIG_R1_ followed by base58", ErrSigFormat, preview(s))
	}
	raw, err := b58Decode(s[7:], 69)
	if err != nil || len(raw) != 69 {
		return Signature{}, fmt.Errorf("%w: %s: the base58 part must encode 69 bytes (65-byte signature + 4-byte checksum); is it truncated?", ErrSigFormat, preview(s))
	}
	if !bytes.Equal(ripemdChecksum(raw[:65], c.String()), raw[65:]) {
		return Signature{}, fmt.Errorf("signature %s: %w", preview(s), ErrChecksum)
	}
	return NewSignature(c, raw[:65])
}

// NewSignature builds a signature from a curve and its 65 compact bytes,
// checking the header byte and the ranges of r and s.
func NewSignature(c Curve, compact []byte) (Signature, error) {
	if !c.valid() {
		return Signature{}, fmt.Errorf("%w: %s", ErrUnsupported, c)
	}
	if len(compact) != 65 {
		return Signature{}, fmt.Errorf("%w: compact signatures are 65 bytes, got %d", ErrSigFormat, len(compact))
	}
	if compact[0] < 27 || compact[0] >= 35 {
		return Signature{}, fmt.Errorf("%w: header byte %d is outside 27..34", ErrSigFormat, compact[0])
	}
	var sig Signature
	sig.Curve = c
	copy(sig.Data[:], compact)
	r, s := sig.rs()
	n := c.order()
	if r.Sign() == 0 || s.Sign() == 0 || r.Cmp(n) >= 0 || s.Cmp(n) >= 0 {
		return Signature{}, fmt.Errorf("%w: r and s must be between 1 and the curve order", ErrSigFormat)
	}
	return sig, nil
}

func (sig Signature) rs() (r, s *big.Int) {
	return new(big.Int).SetBytes(sig.Data[1:33]), new(big.Int).SetBytes(sig.Data[33:65])
}

// RecID returns the recovery id (0..3) carried by the header byte.
func (sig Signature) RecID() int { return int(sig.Data[0]-27) & 3 }

// String returns SIG_K1_... or SIG_R1_....
func (sig Signature) String() string {
	suffix := sig.Curve.String()
	data := append(sig.Data[:0:0], sig.Data[:]...)
	data = append(data, ripemdChecksum(sig.Data[:], suffix)...)
	return "SIG_" + suffix + "_" + b58Encode(data)
}

// Bytes returns the binary form nodeos serialises: type byte then 65 bytes.
func (sig Signature) Bytes() []byte { return append([]byte{byte(sig.Curve)}, sig.Data[:]...) }

// IsCanonical reports whether nodeos accepts the signature's form: for K1 the
// fc is_canonical byte rule (r and s each exactly 32 bytes in DER, s low), for
// R1 a low s (nodeos applies no other rule to R1).
func (sig Signature) IsCanonical() bool {
	d := sig.Data
	if sig.Curve == CurveK1 {
		return d[1]&0x80 == 0 &&
			!(d[1] == 0 && d[2]&0x80 == 0) &&
			d[33]&0x80 == 0 &&
			!(d[33] == 0 && d[34]&0x80 == 0)
	}
	return sig.IsLowS()
}

// IsLowS reports whether s <= n/2.
func (sig Signature) IsLowS() bool {
	_, s := sig.rs()
	return s.Cmp(sig.Curve.halfOrder()) <= 0
}

// Recover returns the public key that made the signature over digest. It does
// not check canonical form; Verify does.
func (sig Signature) Recover(digest []byte) (PublicKey, error) {
	if len(digest) != 32 {
		return PublicKey{}, ErrDigestLength
	}
	switch sig.Curve {
	case CurveK1:
		return recoverK1(sig.Data, digest)
	case CurveR1:
		return recoverR1(sig.Data, digest)
	}
	return PublicKey{}, fmt.Errorf("%w: %s", ErrUnsupported, sig.Curve)
}

// Verify checks that the signature over digest was made by pub and has the
// form nodeos accepts. Every signature bpkeys hands out has passed it.
func (sig Signature) Verify(digest []byte, pub PublicKey) error {
	if sig.Curve != pub.Curve {
		return fmt.Errorf("%w: a %s signature cannot come from a %s key", ErrBadSignature, sig.Curve, pub.Curve)
	}
	got, err := sig.Recover(digest)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	if got != pub {
		return fmt.Errorf("%w: it recovers to %s, not %s", ErrBadSignature, got, pub)
	}
	if !sig.IsCanonical() {
		if sig.Curve == CurveK1 {
			return fmt.Errorf("%w: K1 signature is not canonical; nodeos would reject it", ErrBadSignature)
		}
		return fmt.Errorf("%w: R1 signature has a high s value; nodeos would reject it", ErrBadSignature)
	}
	return nil
}

// ECC converts to eos-go's type for inclusion in a SignedTransaction.
func (sig Signature) ECC() ecc.Signature {
	s, err := ecc.NewSignatureFromData(sig.Bytes())
	if err != nil {
		panic(fmt.Sprintf("eos-go refused a %s signature: %v", sig.Curve, err))
	}
	return s
}

// SignatureFromECC converts from eos-go's type.
func SignatureFromECC(s ecc.Signature) (Signature, error) {
	return NewSignature(Curve(s.Curve), s.Content)
}

// MarshalText writes the SIG_ form.
func (sig Signature) MarshalText() ([]byte, error) { return []byte(sig.String()), nil }

// UnmarshalText reads the SIG_ form.
func (sig *Signature) UnmarshalText(b []byte) error {
	p, err := ParseSignature(string(b))
	if err != nil {
		return err
	}
	*sig = p
	return nil
}
