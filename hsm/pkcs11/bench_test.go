package pkcs11

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	cki "github.com/miekg/pkcs11"

	"github.com/bpkeys/bpkeys/signer"
)

// The full path (Key.Sign: lock, CKM_ECDSA, low-S, recovery id, K1
// canonical retries, verification) against plain C_SignInit + C_Sign on the
// same key and session. K1 needs about 2.05 device signatures per result;
// the sub-benchmark reports attempts/op so the overhead can be computed.

func benchKey(b *testing.B, c signer.Curve) *Key {
	generate(b, "bench", "bench-"+c.String(), c)
	return open(b, New(), ref(b, "bench", "bench-"+c.String()))
}

func benchSign(b *testing.B, c signer.Curve) {
	k := benchKey(b, c)
	f := &countingSign{module: k.m}
	k.m = f
	var d [32]byte
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		binary.LittleEndian.PutUint64(d[:], uint64(i))
		d = sha256.Sum256(d[:])
		if _, err := k.Sign(context.Background(), d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(f.n)/float64(b.N), "attempts/op")
}

func benchRaw(b *testing.B, c signer.Curve) {
	k := benchKey(b, c)
	var d [32]byte
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		binary.LittleEndian.PutUint64(d[:], uint64(i))
		d = sha256.Sum256(d[:])
		if err := k.m.SignInit(k.sh, ecdsaMech, k.priv); err != nil {
			b.Fatal(err)
		}
		if _, err := k.m.Sign(k.sh, d[:]); err != nil {
			b.Fatal(err)
		}
	}
}

type countingSign struct {
	module
	n int
}

func (c *countingSign) Sign(sh cki.SessionHandle, msg []byte) ([]byte, error) {
	c.n++
	return c.module.Sign(sh, msg)
}

func BenchmarkSignK1(b *testing.B)     { benchSign(b, signer.CurveK1) }
func BenchmarkSignR1(b *testing.B)     { benchSign(b, signer.CurveR1) }
func BenchmarkRawCSignK1(b *testing.B) { benchRaw(b, signer.CurveK1) }
func BenchmarkRawCSignR1(b *testing.B) { benchRaw(b, signer.CurveR1) }
