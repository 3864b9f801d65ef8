// Package bls reads and checks the BLS12-381 keys of Savanna finalizers as
// Spring's fc library writes them: PUB_BLS_ public keys (G1) and SIG_BLS_
// signatures (G2), each the base64url (no padding) of the point's raw bytes
// followed by the first 4 bytes of their ripemd160 digest.
//
// The raw bytes are fc's "affine non-Montgomery little-endian" form: a G1 key
// is x then y, 48 bytes each; a G2 signature is x.c0, x.c1, y.c0, y.c1, 48
// bytes each; every field element is its canonical integer (below the field
// prime) in little-endian order. The point at infinity is (0, 0).
//
// A proof of possession is a signature, with the domain separation tag
// BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_, over those 96 key bytes;
// VerifyPossession checks it as the system contract's regfinkey does
// (bls_pop_verify).
//
// The curve arithmetic is github.com/consensys/gnark-crypto, pure Go, so
// bpkeys keeps building without cgo. Like package signer, this package never
// sees a private key: a PVT_BLS_ string is refused with ErrPrivateKey and is
// not echoed.
package bls
