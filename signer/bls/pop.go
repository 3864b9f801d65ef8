package bls

import (
	"fmt"

	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
)

// PossessionMessage is what a proof of possession signs: the key's 96 raw
// bytes, hashed to G2 with PossessionDST.
func PossessionMessage(k PublicKey) []byte {
	b := k.Bytes()
	return b[:]
}

// VerifyPossession checks that pop proves possession of k's private key:
// e(g1, pop) == e(k, H(k)), H being hash-to-G2 (RFC 9380, SSWU, XMD with
// SHA-256) under PossessionDST. It returns ErrPossession when it does not.
func VerifyPossession(k PublicKey, pop Signature) error {
	if k.IsZero() {
		return fmt.Errorf("%w: no public key", ErrPossession)
	}
	h, err := bls12381.HashToG2(PossessionMessage(k), []byte(PossessionDST))
	if err != nil {
		return fmt.Errorf("hash to G2: %w", err)
	}
	_, _, g1, _ := bls12381.Generators()
	var negG1 bls12381.G1Affine
	negG1.Neg(&g1)
	kp, sp := k.Point(), pop.Point()
	ok, err := bls12381.PairingCheck([]bls12381.G1Affine{negG1, kp}, []bls12381.G2Affine{sp, h})
	if err != nil {
		return fmt.Errorf("pairing: %w", err)
	}
	if !ok {
		return ErrPossession
	}
	return nil
}

// VerifyPossessionStrings parses a PUB_BLS_ key and a SIG_BLS_ proof and
// checks the proof: the check regfinkey makes on chain.
func VerifyPossessionStrings(key, pop string) (PublicKey, error) {
	k, err := ParsePublicKey(key)
	if err != nil {
		return PublicKey{}, err
	}
	s, err := ParseSignature(pop)
	if err != nil {
		return PublicKey{}, fmt.Errorf("proof of possession: %w", err)
	}
	if err := VerifyPossession(k, s); err != nil {
		return PublicKey{}, err
	}
	return k, nil
}
