package bls_test

import (
	"testing"

	"github.com/bpkeys/bpkeys/signer/bls"
)

// BenchmarkVerifyPossession: one proof-of-possession check (hash to G2 and
// a two-pairing product), what regfinkey costs bpkeys before signing.
func BenchmarkVerifyPossession(b *testing.B) {
	v := loadPairs(b)
	k, err := bls.ParsePublicKey(v.Pairs[0].PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	pop, err := bls.ParseSignature(v.Pairs[0].PoP)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := bls.VerifyPossession(k, pop); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSignature: string to checked G2 point (subgroup check
// included).
func BenchmarkParseSignature(b *testing.B) {
	v := loadPairs(b)
	for b.Loop() {
		if _, err := bls.ParseSignature(v.Pairs[0].PoP); err != nil {
			b.Fatal(err)
		}
	}
}
