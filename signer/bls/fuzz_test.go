package bls_test

import (
	"testing"

	"github.com/bpkeys/bpkeys/signer/bls"
)

// FuzzParsePublicKey: any input fails cleanly or yields a key that prints
// back to the same string.
func FuzzParsePublicKey(f *testing.F) {
	for _, s := range []string{
		"PUB_BLS_82P3oM1u0IEv64u9i4vSzvg1-QDl4Fb2n50Mp8Sk7Fr1Tz0MJypzL39nSd5VPFgFC9WqrjopRbBm1Pf0RkP018fo1k2rXaJY7Wtzd9RKlE8PoQ6XhDm4PyZlIupQg_gOuiMhcg",
		"PUB_BLS_", "PVT_BLS_x", "SIG_BLS_", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := bls.ParsePublicKey(s)
		if err != nil {
			return
		}
		if k.String() != s {
			t.Fatalf("%q parsed but prints as %q", s, k)
		}
	})
}

// FuzzParseSignature: the same for SIG_BLS_ strings.
func FuzzParseSignature(f *testing.F) {
	for _, s := range []string{
		"SIG_BLS_RrwvP79LxfahskX-ceZpbgrJ1aUkSSIzE2sMFj0twuhK8QwjcGMvT2tZ_-QMHvAV83tWZYOs7SEvoyteCKGD_Tk6YySkw1HONgvVeNWM8ZwuNgonOHkegNNPIXSIvWMTczfkg2lEtEh-ngBa5t9-4CvZ6aOjg29XPVvu6dimzHix-9E0M53YkWZ-gW5GDkkOLoN2FMxjXaELmhuI64xSeSlcWLFfZa6TMVTctBFWsHDXm1ZMkURoB83dokKHEi4OQTbJtg",
		"SIG_BLS_", "PVT_BLS_x", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := bls.ParseSignature(s)
		if err != nil {
			return
		}
		if sig.String() != s {
			t.Fatalf("%q parsed but prints as %q", s, sig)
		}
	})
}
