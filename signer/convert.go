package signer

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// ErrDERFormat is returned for device output that is neither DER nor raw r||s.
var ErrDERFormat = errors.New("device signature is neither ASN.1 DER nor raw r||s")

// ParseECDSA reads the signature a device returns: ASN.1 DER
// SEQUENCE{r INTEGER, s INTEGER} (PIV) or raw 64-byte r||s (PKCS#11 CKM_ECDSA).
// r and s must lie in [1, n) of the curve.
func ParseECDSA(c Curve, b []byte) (r, s *big.Int, err error) {
	if len(b) == 64 {
		r, s = new(big.Int).SetBytes(b[:32]), new(big.Int).SetBytes(b[32:])
	} else {
		var v struct{ R, S *big.Int }
		rest, err := asn1.Unmarshal(b, &v)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrDERFormat, err)
		}
		if len(rest) != 0 {
			return nil, nil, fmt.Errorf("%w: %d trailing bytes after the DER sequence", ErrDERFormat, len(rest))
		}
		r, s = v.R, v.S
	}
	n := c.order()
	if r.Sign() <= 0 || s.Sign() <= 0 || r.Cmp(n) >= 0 || s.Cmp(n) >= 0 {
		return nil, nil, fmt.Errorf("%w: r or s outside [1, n) of %s", ErrDERFormat, c.Name())
	}
	return r, s, nil
}

// Compact converts a device's ECDSA signature (DER or raw r||s) over digest
// into EOSIO's compact form: s made low, the recovery id derived while
// verifying the signature against pub, header 31+recid. The result is low-S
// but, for K1, not necessarily canonical: SignRaw asks again for that.
func Compact(pub PublicKey, digest, deviceSig []byte) (Signature, error) {
	if len(digest) != 32 {
		return Signature{}, ErrDigestLength
	}
	sig, r, s, err := lowS(pub.Curve, deviceSig)
	if err != nil {
		return Signature{}, err
	}
	return finish(pub, digest, sig, r, s)
}

// lowS parses device output and lays out r and the low s in a compact
// signature whose header is not yet known.
func lowS(c Curve, deviceSig []byte) (sig Signature, r, s *big.Int, err error) {
	r, s, err = ParseECDSA(c, deviceSig)
	if err != nil {
		return Signature{}, nil, nil, err
	}
	if s.Cmp(c.halfOrder()) > 0 {
		s = new(big.Int).Sub(c.order(), s) // negates R: the recovery id is derived after this
	}
	sig.Curve = c
	r.FillBytes(sig.Data[1:33])
	s.FillBytes(sig.Data[33:65])
	return sig, r, s, nil
}

// finish verifies (r, s) against pub and sets the header from the recovery id.
func finish(pub PublicKey, digest []byte, sig Signature, r, s *big.Int) (Signature, error) {
	recid, err := recoveryID(pub, digest, r, s)
	if err != nil {
		return Signature{}, fmt.Errorf("%w: the device's signature does not match its public key %s (wrong key object, or a faulty device)", ErrBadSignature, pub)
	}
	sig.Data[0] = byte(31 + recid)
	return sig, nil
}
