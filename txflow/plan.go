package txflow

import (
	"context"
	"fmt"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/signer"
)

// ReadPlan reads a plan file as evidence, not instructions: its actions must
// be what its edits produce from its before tree, its chain id must be
// given and be chainID's, and its diff is recomputed from the trees (the
// file's own diff is never shown).
func ReadPlan(b []byte, chainID signer.ChainID, label permissions.LabelFunc) (*permissions.Plan, error) {
	p, err := permissions.UnmarshalPlan(b)
	if err != nil {
		return nil, &RefusedError{Reason: "the plan file does not hold up", Err: err}
	}
	if p.ChainID == "" {
		return nil, &RefusedError{Reason: "the plan file names no chain id: make the plan again with 'bpkeys perms plan --out' against the chain it is for"}
	}
	if p.ChainID != chainID.String() {
		return nil, &RefusedError{Reason: fmt.Sprintf("the plan was made on chain %s but the endpoint serves chain %s", p.ChainID, chainID)}
	}
	p.Diff = permissions.Diff(p.Before, p.After, label)
	return p, nil
}

// PlanJob is a plan's transactions, one per stage, as a gate job: before the
// signature the account is read again and a drift since the plan refuses;
// after the push the account must read back as planned.
func PlanJob(p *permissions.Plan, fetch permissions.FetchFunc) (Job, error) {
	job := Job{Note: "perms apply " + p.Account}
	for _, st := range p.Stages() {
		var acts []*eos.Action
		for _, act := range st {
			ea, err := act.EOS()
			if err != nil {
				return Job{}, err
			}
			acts = append(acts, ea)
		}
		job.Stages = append(job.Stages, acts)
	}
	job.Recheck = func(ctx context.Context) error {
		now, err := fetch(ctx, p.Account)
		if err != nil {
			return fmt.Errorf("reading %s again before signing: %w", p.Account, err)
		}
		if !now.Equal(p.Before) {
			return &RefusedError{Reason: p.Account + "'s permissions changed since the plan was made (drift between the plan and the chain): make the plan again"}
		}
		return nil
	}
	job.ReadBack = func(ctx context.Context) error {
		now, err := fetch(ctx, p.Account)
		if err != nil {
			return fmt.Errorf("reading %s back: %w", p.Account, err)
		}
		if !now.Equal(p.After) {
			return fmt.Errorf("%s does not read back as planned: the chain shows %v; check with 'bpkeys perms show %s'", p.Account, permissions.Diff(p.After, now, nil), p.Account)
		}
		return nil
	}
	return job, nil
}
