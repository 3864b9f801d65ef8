// Package blstest makes BLS finalizer key pairs for tests: a public key and
// its proof of possession derived from a seed, the way spring-util bls
// create key does from its private key. It is for tests only; the bpkeys
// binary never makes or holds a finalizer private key.
package blstest

import (
	"crypto/sha256"
	"math/big"

	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"github.com/bpkeys/bpkeys/signer/bls"
)

// Pair is a finalizer public key with its proof of possession.
type Pair struct {
	Key bls.PublicKey
	PoP bls.Signature
}

// secret derives a nonzero scalar from seed.
func secret(seed string) *big.Int {
	h := sha256.Sum256([]byte("bpkeys blstest " + seed))
	s := new(big.Int).SetBytes(h[:])
	s.Mod(s, fr.Modulus())
	if s.Sign() == 0 {
		s.SetInt64(1)
	}
	return s
}

// NewPair returns the deterministic pair of seed.
func NewPair(seed string) Pair {
	sk := secret(seed)
	var pk bls12381.G1Affine
	pk.ScalarMultiplicationBase(sk)
	key, err := bls.PublicKeyFromPoint(pk)
	if err != nil {
		panic("blstest: " + err.Error())
	}
	pop, err := Sign(seed, bls.PossessionMessage(key), bls.PossessionDST)
	if err != nil {
		panic("blstest: " + err.Error())
	}
	return Pair{Key: key, PoP: pop}
}

// Sign signs msg with seed's secret under dst.
func Sign(seed string, msg []byte, dst string) (bls.Signature, error) {
	h, err := bls12381.HashToG2(msg, []byte(dst))
	if err != nil {
		return bls.Signature{}, err
	}
	var s bls12381.G2Affine
	s.ScalarMultiplication(&h, secret(seed))
	return bls.SignatureFromPoint(s)
}
