package signer

import "context"

// Signer is one key held by a device. Sign returns a signature already
// verified against PublicKey and in the form nodeos accepts (K1 canonical,
// R1 low-S). Implementations serialise concurrent calls on one device and
// return ctx.Err() when ctx ends before the device is asked.
type Signer interface {
	PublicKey() PublicKey
	Sign(ctx context.Context, digest [32]byte) (Signature, error)
}

// Describer is implemented by signers that can name their device for an
// operator, such as "YubiKey 12345678 slot 9c".
type Describer interface {
	Describe() string
}

// Describe names a signer's device, or its public key when it cannot.
func Describe(s Signer) string {
	if d, ok := s.(Describer); ok {
		return d.Describe()
	}
	return s.PublicKey().String()
}
