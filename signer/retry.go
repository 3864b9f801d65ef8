package signer

import (
	"context"
	"errors"
	"fmt"
)

// RawSignFunc asks a device for one ECDSA signature over a 32-byte digest and
// returns it as the device gives it (DER or raw r||s).
type RawSignFunc func(ctx context.Context, digest []byte) ([]byte, error)

// MaxK1Attempts caps how often SignRaw asks a device for a K1 signature. About
// half of low-S K1 signatures are canonical, so 32 attempts fail with odds
// below one in a billion unless the device is deterministic.
const MaxK1Attempts = 32

// ErrDeterministicNonce means the device gave the same signature twice for one
// digest: asking again cannot produce a canonical K1 signature.
var ErrDeterministicNonce = errors.New("the device returned the same signature twice (deterministic nonces), so asking again cannot help: change the transaction, for example its expiration by one second, and sign again")

// NonCanonicalError reports that no canonical K1 signature was obtained.
type NonCanonicalError struct {
	Attempts      int  // signatures asked of the device
	Deterministic bool // the device repeated itself
}

func (e *NonCanonicalError) Error() string {
	if e.Deterministic {
		return fmt.Sprintf("no canonical K1 signature after %d attempts: %v", e.Attempts, ErrDeterministicNonce)
	}
	return fmt.Sprintf("no canonical K1 signature after %d attempts; the device may be faulty", e.Attempts)
}

// Is makes errors.Is(err, ErrDeterministicNonce) true for a repeating device.
func (e *NonCanonicalError) Is(target error) bool {
	return target == ErrDeterministicNonce && e.Deterministic
}

// SignRaw turns a device's raw ECDSA into a verified EOSIO signature by pub
// over digest. R1 needs one device signature (made low-S); K1 asks the device
// again until the result is canonical, up to MaxK1Attempts, and stops early
// with ErrDeterministicNonce when the device repeats itself. The canonical
// test runs on the bytes before any curve arithmetic, so rejected attempts
// cost only the device's time; the accepted one is verified against pub.
func SignRaw(ctx context.Context, pub PublicKey, digest [32]byte, sign RawSignFunc) (Signature, error) {
	attempts := 1
	if pub.Curve == CurveK1 {
		attempts = MaxK1Attempts
	}
	var seen [][64]byte
	for i := 1; i <= attempts; i++ {
		if err := ctx.Err(); err != nil {
			return Signature{}, err
		}
		raw, err := sign(ctx, digest[:])
		if err != nil {
			return Signature{}, err
		}
		sig, r, s, err := lowS(pub.Curve, raw)
		if err != nil {
			return Signature{}, err
		}
		if sig.IsCanonical() {
			return finish(pub, digest[:], sig, r, s)
		}
		var rs [64]byte
		copy(rs[:], sig.Data[1:])
		for _, prev := range seen {
			if prev == rs {
				return Signature{}, &NonCanonicalError{Attempts: i, Deterministic: true}
			}
		}
		seen = append(seen, rs)
	}
	return Signature{}, &NonCanonicalError{Attempts: attempts}
}
