package finalizer

import (
	"context"
	"fmt"

	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/signer/bls"
)

// Read-backs, run by the signing gate after a push: each reads the tables
// again and says what the chain shows instead when the effect is missing.

// KeyState is what a read-back expects of a finalizer key.
type KeyState int

// Expected states.
const (
	Registered KeyState = iota
	ActiveKey
	Deleted
)

// Confirm checks that account's key reads back in state want.
func Confirm(ctx context.Context, c Chain, account string, key bls.PublicKey, want KeyState) error {
	s, err := Read(ctx, c, account)
	if err != nil {
		return fmt.Errorf("reading %s's finalizer keys back: %w", account, err)
	}
	var found *Key
	for i := range s.Keys {
		if s.Keys[i].Key.Equal(key) {
			found = &s.Keys[i]
		}
	}
	switch {
	case want == Deleted && found != nil:
		return fmt.Errorf("finalizer key %s of %s still reads back as registered", key, account)
	case want != Deleted && found == nil:
		return fmt.Errorf("finalizer key %s does not read back as registered by %s", key, account)
	case want == ActiveKey && !found.Active:
		return fmt.Errorf("finalizer key %s of %s reads back registered but not active", key, account)
	}
	return nil
}

// ConfirmPeerKey checks that account's peer key reads back as want (nil:
// none).
func ConfirmPeerKey(ctx context.Context, c Chain, account string, want *signer.PublicKey) error {
	got, err := ReadPeerKey(ctx, c, account)
	switch {
	case want == nil && err == nil:
		return fmt.Errorf("the peer key of %s still reads back as %s", account, got)
	case want == nil:
		if isNoPeerKey(err) {
			return nil
		}
		return err
	case err != nil:
		return fmt.Errorf("reading the peer key of %s back: %w", account, err)
	case got != *want:
		return fmt.Errorf("the peer key of %s reads back as %s, not %s", account, got, *want)
	}
	return nil
}
