package proposals

import (
	"context"
	"errors"
	"fmt"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
)

// The read-backs below confirm a signed msig action's effect from the
// chain's tables; each returns an error saying what the chain shows instead.

// ConfirmProposed checks that proposer/name holds the transaction with hash.
func ConfirmProposed(ctx context.Context, c Chain, proposer eos.AccountName, name eos.Name, hash chain.Checksum256) error {
	p, err := Read(ctx, c, proposer, name)
	if err != nil {
		return fmt.Errorf("reading %s/%s back: %w", proposer, name, err)
	}
	if p.Hash != hash {
		return fmt.Errorf("%s/%s holds hash %s, not the %s proposed", proposer, name, p.Hash, hash)
	}
	return nil
}

// ConfirmApproval checks that level's approval of proposer/name is provided
// (want true) or not (want false).
func ConfirmApproval(ctx context.Context, c Chain, proposer eos.AccountName, name eos.Name, level eos.PermissionLevel, want bool) error {
	p, err := Read(ctx, c, proposer, name)
	if err != nil {
		return fmt.Errorf("reading %s/%s back: %w", proposer, name, err)
	}
	got := false
	for _, a := range p.Provided {
		if a.Level == level {
			got = true
		}
	}
	if got != want {
		state := map[bool]string{true: "provided", false: "not provided"}
		return fmt.Errorf("the approval of %s@%s on %s/%s reads back as %s, not %s", level.Actor, level.Permission, proposer, name, state[got], state[want])
	}
	return nil
}

// ConfirmGone checks that proposer/name no longer exists (executed or
// cancelled).
func ConfirmGone(ctx context.Context, c Chain, proposer eos.AccountName, name eos.Name) error {
	_, err := Read(ctx, c, proposer, name)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s/%s back: %w", proposer, name, err)
	}
	return fmt.Errorf("%s/%s is still on chain", proposer, name)
}
