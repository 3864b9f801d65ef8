package txflow

import (
	"context"
	"errors"
	"fmt"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/proposals"
)

// The eosio.msig jobs: each carries its journal note, the state it re-reads
// before signing, and the read-back that confirms it.

// ProposeJob signs eosio.msig::propose of a built proposal.
func ProposeJob(c proposals.Chain, b *proposals.Built) Job {
	return Job{
		Note: fmt.Sprintf("msig propose %s/%s hash=%s", b.Proposer, b.Name, b.Hash), Stages: [][]*eos.Action{{b.Propose}},
		ReadBack: func(ctx context.Context) error { return proposals.ConfirmProposed(ctx, c, b.Proposer, b.Name, b.Hash) },
	}
}

// MsigJob signs unapprove, cancel or exec (verb) of p as level.
func MsigJob(c proposals.Chain, verb string, p *proposals.Proposal, act *eos.Action, level eos.PermissionLevel) Job {
	job := Job{Note: fmt.Sprintf("msig %s %s/%s hash=%s", verb, p.Proposer, p.Name, p.Hash), Stages: [][]*eos.Action{{act}}}
	switch verb {
	case "unapprove":
		job.ReadBack = func(ctx context.Context) error {
			return proposals.ConfirmApproval(ctx, c, p.Proposer, p.Name, level, false)
		}
	case "cancel", "exec":
		job.ReadBack = func(ctx context.Context) error { return proposals.ConfirmGone(ctx, c, p.Proposer, p.Name) }
	}
	return job
}

// ApproveJob is the approval of p as level, pinned to the hash of the
// proposal as read: refused when this journal approved another hash under
// the proposer and name before (unless allowReplaced), re-read right before
// the signature and refused when it changed, a chain's hash mismatch
// reported as a replacement, and the approval read back.
func ApproveJob(ctx context.Context, c proposals.Chain, j *audit.Journal, chainID string, p *proposals.Proposal, level eos.PermissionLevel, allowReplaced bool) (Job, error) {
	if !allowReplaced {
		entries, err := j.History()
		if err != nil && !errors.Is(err, audit.ErrNoJournal) {
			return Job{}, &RefusedError{Reason: "cannot check what was approved before", Err: err}
		}
		if err := proposals.CheckReplaced(entries, chainID, p.Proposer, p.Name, p.Hash); err != nil {
			return Job{}, &RefusedError{Reason: "the proposal was replaced", Err: err}
		}
	}
	act, err := proposals.ApproveAction(p, level)
	if err != nil {
		return Job{}, err
	}
	return Job{
		Note:   proposals.ApprovalNote(p.Proposer, p.Name, p.Hash),
		Stages: [][]*eos.Action{{act}},
		Recheck: func(ctx context.Context) error {
			again, err := proposals.Read(ctx, c, p.Proposer, p.Name)
			if errors.Is(err, proposals.ErrNotFound) {
				return &RefusedError{Reason: fmt.Sprintf("%s/%s was cancelled or executed after it was shown", p.Proposer, p.Name)}
			}
			if err != nil {
				return err
			}
			if !proposals.Same(p, again) {
				return &RefusedError{Reason: fmt.Sprintf("%s/%s changed after it was shown (hash %s, now %s): it was replaced; review it again", p.Proposer, p.Name, p.Hash, again.Hash)}
			}
			return nil
		},
		ReadBack: func(ctx context.Context) error {
			return proposals.ConfirmApproval(ctx, c, p.Proposer, p.Name, level, true)
		},
		MapErr: func(err error) error {
			if chain.IsCode(err, chain.CodeCryptoAPI) {
				return &RefusedError{Reason: fmt.Sprintf("the chain refused the approval: %s/%s no longer holds the transaction with hash %s that was shown and signed (it was replaced in the meantime); nothing was approved; review it again", p.Proposer, p.Name, p.Hash), Err: err}
			}
			return nil
		},
	}, nil
}
