package signer

import (
	"errors"
	"fmt"
	"math/big"

	"filippo.io/nistec"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// ErrBadSignature is returned when a signature does not verify.
var ErrBadSignature = errors.New("signature does not verify")

var errNoRecovery = errors.New("no public key can be recovered from this signature")

func recoverK1(data [65]byte, digest []byte) (PublicKey, error) {
	// decred accepts the same header range as fc (27..34) and the same recid.
	pub, _, err := ecdsa.RecoverCompact(data[:], digest)
	if err != nil {
		return PublicKey{}, fmt.Errorf("%w: %w", errNoRecovery, err)
	}
	var k PublicKey
	k.Curve = CurveK1
	copy(k.Point[:], pub.SerializeCompressed())
	return k, nil
}

// recoverR1 implements SEC1 4.1.6 public key recovery on P-256, as fc's
// ECDSA_SIG_recover_key_GFp does: R = (r + (recid/2)·n, parity recid%2),
// Q = r⁻¹·(s·R − e·G).
func recoverR1(data [65]byte, digest []byte) (PublicKey, error) {
	recid := int(data[0]-27) & 3
	r := new(big.Int).SetBytes(data[1:33])
	s := new(big.Int).SetBytes(data[33:65])
	n := r1N
	if r.Sign() == 0 || s.Sign() == 0 || r.Cmp(n) >= 0 || s.Cmp(n) >= 0 {
		return PublicKey{}, errNoRecovery
	}
	x := new(big.Int).Set(r)
	if recid >= 2 {
		x.Add(x, n)
		if x.Cmp(r1P) >= 0 {
			return PublicKey{}, errNoRecovery
		}
	}
	var comp [33]byte
	comp[0] = 2 | byte(recid&1)
	x.FillBytes(comp[1:])
	R, err := nistec.NewP256Point().SetBytes(comp[:])
	if err != nil {
		return PublicKey{}, errNoRecovery
	}
	e := new(big.Int).SetBytes(digest) // P-256 order is 256 bits: no truncation
	rInv := new(big.Int).ModInverse(r, n)
	u1 := new(big.Int).Mul(e, rInv)
	u1.Neg(u1).Mod(u1, n)
	u2 := new(big.Int).Mul(s, rInv)
	u2.Mod(u2, n)

	var b1, b2 [32]byte
	p1, err := nistec.NewP256Point().ScalarBaseMult(u1.FillBytes(b1[:]))
	if err != nil {
		return PublicKey{}, errNoRecovery
	}
	p2, err := nistec.NewP256Point().ScalarMult(R, u2.FillBytes(b2[:]))
	if err != nil {
		return PublicKey{}, errNoRecovery
	}
	q := nistec.NewP256Point().Add(p1, p2)
	out := q.BytesCompressed()
	if len(out) != 33 { // the point at infinity encodes as one zero byte
		return PublicKey{}, errNoRecovery
	}
	var k PublicKey
	k.Curve = CurveR1
	copy(k.Point[:], out)
	return k, nil
}
