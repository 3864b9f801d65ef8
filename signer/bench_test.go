package signer_test

import (
	"crypto/sha256"
	"testing"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

// BenchmarkCompact measures device-output conversion: DER parsing, low-S,
// and trial recovery of the recovery id (on average about 1.5 recoveries).
func BenchmarkCompact(b *testing.B) {
	for _, c := range curves {
		for _, form := range []string{"DER", "raw"} {
			b.Run(c.String()+"/"+form, func(b *testing.B) {
				k := testsigner.FromSeed(c, "bench")
				d := sha256.Sum256([]byte("bench"))
				inputs := make([][]byte, 64)
				for i := range inputs {
					if form == "DER" {
						inputs[i] = k.DER(d[:])
					} else {
						inputs[i] = k.Raw(d[:])
					}
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := signer.Compact(k.PublicKey(), d[:], inputs[i%len(inputs)]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkRecover measures one public key recovery, as nodeos does per signature.
func BenchmarkRecover(b *testing.B) {
	for _, c := range curves {
		b.Run(c.String(), func(b *testing.B) {
			k := testsigner.FromSeed(c, "bench")
			d := sha256.Sum256([]byte("bench"))
			sig, err := signer.Compact(k.PublicKey(), d[:], k.DER(d[:]))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := sig.Recover(d[:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParsePublicKey measures reading a key string (base58 + checksum + curve check).
func BenchmarkParsePublicKey(b *testing.B) {
	s := testsigner.FromSeed(signer.CurveR1, "bench").PublicKey().String()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := signer.ParsePublicKey(s); err != nil {
			b.Fatal(err)
		}
	}
}
