package signer

import (
	"errors"
	"math/big"

	"filippo.io/nistec"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

var errNoMatch = errors.New("signature does not verify against the public key")

// recoveryID verifies an ECDSA signature (r, s) over digest against pub the
// standard way, computing R = (e/s)·G + (r/s)·Q, and derives the recovery id
// from R: bit 0 is R's y parity, bit 1 says R's x overflowed the order. One
// double scalar multiplication both proves the signature and yields the id
// that trial recovery would find, so recovering with that id gives pub back.
func recoveryID(pub PublicKey, digest []byte, r, s *big.Int) (int, error) {
	var x []byte
	var yOdd bool
	switch pub.Curve {
	case CurveK1:
		var ok bool
		x, yOdd, ok = rPointK1(pub, digest, r, s)
		if !ok {
			return 0, errNoMatch
		}
	case CurveR1:
		var ok bool
		x, yOdd, ok = rPointR1(pub, digest, r, s)
		if !ok {
			return 0, errNoMatch
		}
	default:
		return 0, ErrUnsupported
	}
	n := pub.Curve.order()
	xi := new(big.Int).SetBytes(x)
	recid := 0
	if yOdd {
		recid = 1
	}
	if xi.Cmp(n) >= 0 {
		xi.Sub(xi, n)
		recid |= 2
	}
	if xi.Cmp(r) != 0 {
		return 0, errNoMatch
	}
	return recid, nil
}

func rPointK1(pub PublicKey, digest []byte, r, s *big.Int) (x []byte, yOdd, ok bool) {
	q, err := secp256k1.ParsePubKey(pub.Point[:])
	if err != nil {
		return nil, false, false
	}
	var rb, sb [32]byte
	var rS, sS, eS secp256k1.ModNScalar
	rS.SetBytes((*[32]byte)(r.FillBytes(rb[:])))
	sS.SetBytes((*[32]byte)(s.FillBytes(sb[:])))
	eS.SetByteSlice(digest)
	w := sS
	w.InverseNonConst()
	var u1, u2 secp256k1.ModNScalar
	u1.Mul2(&eS, &w)
	u2.Mul2(&rS, &w)
	var qj, p1, p2, rp secp256k1.JacobianPoint
	q.AsJacobian(&qj)
	secp256k1.ScalarBaseMultNonConst(&u1, &p1)
	secp256k1.ScalarMultNonConst(&u2, &qj, &p2)
	secp256k1.AddNonConst(&p1, &p2, &rp)
	if (rp.X.IsZero() && rp.Y.IsZero()) || rp.Z.IsZero() {
		return nil, false, false
	}
	rp.ToAffine()
	rp.X.Normalize()
	rp.Y.Normalize()
	return rp.X.Bytes()[:], rp.Y.IsOdd(), true
}

func rPointR1(pub PublicKey, digest []byte, r, s *big.Int) (x []byte, yOdd, ok bool) {
	q, err := nistec.NewP256Point().SetBytes(pub.Point[:])
	if err != nil {
		return nil, false, false
	}
	n := r1N
	e := new(big.Int).SetBytes(digest)
	w := new(big.Int).ModInverse(s, n)
	u1 := new(big.Int).Mul(e, w)
	u1.Mod(u1, n)
	u2 := new(big.Int).Mul(r, w)
	u2.Mod(u2, n)
	var b1, b2 [32]byte
	p1, err := nistec.NewP256Point().ScalarBaseMult(u1.FillBytes(b1[:]))
	if err != nil {
		return nil, false, false
	}
	p2, err := nistec.NewP256Point().ScalarMult(q, u2.FillBytes(b2[:]))
	if err != nil {
		return nil, false, false
	}
	c := nistec.NewP256Point().Add(p1, p2).BytesCompressed()
	if len(c) != 33 {
		return nil, false, false
	}
	return c[1:], c[0] == 3, true
}
