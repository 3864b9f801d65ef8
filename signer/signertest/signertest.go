// Package signertest is the conformance suite every signer.Signer backend
// passes: signatures recover to the public key and have the form nodeos
// accepts, a cancelled context is honoured, and concurrent calls on one device
// are serialised. Backends call Run from their own tests with real devices
// (SoftHSM2, the emulated YubiKey) or the in-memory test signer.
package signertest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"

	"github.com/bpkeys/bpkeys/signer"
)

// Options tune the suite for slow devices.
type Options struct {
	Signatures int // signatures checked for recovery and form (default 50)
	Concurrent int // goroutines signing at once (default 4)
}

// Run runs the suite against the signer s.
func Run(t *testing.T, s signer.Signer, opts Options) {
	if opts.Signatures <= 0 {
		opts.Signatures = 50
	}
	if opts.Concurrent <= 0 {
		opts.Concurrent = 4
	}
	pub := s.PublicKey()
	if pub.IsZero() {
		t.Fatal("signer has no public key")
	}

	t.Run("recovers-to-public-key", func(t *testing.T) {
		for i := 0; i < opts.Signatures; i++ {
			d := randomDigest(t)
			sig, err := s.Sign(context.Background(), d)
			if err != nil {
				t.Fatalf("signature %d: %v", i, err)
			}
			Check(t, sig, d, pub)
		}
	})

	t.Run("distinct-digests-distinct-signatures", func(t *testing.T) {
		a := sha256.Sum256([]byte("a"))
		b := sha256.Sum256([]byte("b"))
		sa, err := s.Sign(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		sb, err := s.Sign(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		if sa == sb {
			t.Fatal("two digests produced the same signature")
		}
		if err := sa.Verify(b[:], pub); err == nil {
			t.Fatal("a signature over one digest verifies for another")
		}
	})

	t.Run("cancelled-context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.Sign(ctx, randomDigest(t))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Sign with a cancelled context: err = %v, want context.Canceled", err)
		}
		// The signer still works afterwards.
		d := randomDigest(t)
		sig, err := s.Sign(context.Background(), d)
		if err != nil {
			t.Fatalf("after a cancelled call: %v", err)
		}
		Check(t, sig, d, pub)
	})

	t.Run("concurrent-calls", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, opts.Concurrent*2)
		for g := 0; g < opts.Concurrent; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 2; i++ {
					d := sha256.Sum256(randomDigestBytes())
					sig, err := s.Sign(context.Background(), d)
					if err == nil {
						err = sig.Verify(d[:], pub)
					}
					if err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent Sign: %v", err)
		}
	})
}

// Check asserts that sig is by pub over digest and in nodeos's accepted
// form. It checks canonical form itself rather than relying on Verify, so a
// bug in one does not hide behind the other.
func Check(t testing.TB, sig signer.Signature, digest [32]byte, pub signer.PublicKey) {
	t.Helper()
	if sig.Curve != pub.Curve {
		t.Fatalf("signature curve %s, key curve %s", sig.Curve, pub.Curve)
	}
	got, err := sig.Recover(digest[:])
	if err != nil {
		t.Fatalf("recover: %v", err)
	}
	if got != pub {
		t.Fatalf("signature recovers to %s, want %s", got, pub)
	}
	if h := sig.Data[0]; h < 31 || h > 34 {
		t.Fatalf("header byte %d, want 31..34 (compressed key)", h)
	}
	if !sig.IsLowS() {
		t.Fatal("high S")
	}
	if pub.Curve == signer.CurveK1 {
		d := sig.Data
		if d[1]&0x80 != 0 || (d[1] == 0 && d[2]&0x80 == 0) || d[33]&0x80 != 0 || (d[33] == 0 && d[34]&0x80 == 0) {
			t.Fatal("K1 signature not canonical")
		}
	}
}

func randomDigest(t testing.TB) [32]byte {
	var d [32]byte
	if _, err := rand.Read(d[:]); err != nil {
		t.Fatal(err)
	}
	return d
}

func randomDigestBytes() []byte {
	var d [32]byte
	_, _ = rand.Read(d[:])
	return d[:]
}
