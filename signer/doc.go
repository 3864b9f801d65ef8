// Package signer is bpkeys' signing core: EOSIO public keys and signatures
// (string, binary and ordering rules, byte-compatible with nodeos), conversion
// of a device's ECDSA output into EOSIO's compact form (low-S, recovery id,
// the K1 canonical rule), verification by recovery, key references, and
// transaction signing.
//
// It imports no device library and no chain client: hardware backends
// (hsm/pkcs11, hsm/piv) implement Signer on top of it, and chain code hands it
// packed bytes. It never generates, parses or stores a private key; a private
// key given to it as text is refused with ErrPrivateKey.
//
// A typical device backend signs like this:
//
//	sig, err := signer.SignRaw(ctx, pub, digest, func(ctx context.Context, d []byte) ([]byte, error) {
//		return device.ECDSA(ctx, d) // DER or raw r||s
//	})
//
// and a transaction is signed with exactly the keys the chain requires:
//
//	sigs, err := signer.SignPacked(ctx, chainID, packedTrx, nil, required, signers)
package signer
