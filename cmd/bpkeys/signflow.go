package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/policies"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
	"github.com/bpkeys/bpkeys/txflow"
)

// Every signature goes through txflow's gate: the commands build a
// txflow.Job, show Prepared.Lines, confirm, and Sign; the TUI backend does
// the same with its own screen in place of the terminal prompt.

// gate is the signing gate for a chain client, with the team file and the
// policy file (nil: built-in rules only).
func (a *app) gate(cl *chain.Client, t *team.Team, pol *policies.Policy) (*txflow.Gate, error) {
	j, err := a.journal()
	if err != nil {
		return nil, err
	}
	g := &txflow.Gate{Chain: cl, Journal: j, Judge: txflow.Judge{Team: t, Policy: pol}}
	g.BeforePush = func() {
		if msigHooks.beforePush != nil {
			msigHooks.beforePush()
		}
	}
	return g, nil
}

// withHooks runs the test hook before a job's re-check.
func withHooks(job txflow.Job) txflow.Job {
	recheck := job.Recheck
	job.Recheck = func(ctx context.Context) error {
		if msigHooks.beforeReread != nil {
			msigHooks.beforeReread()
		}
		if recheck != nil {
			return recheck(ctx)
		}
		return nil
	}
	return job
}

// prepareJob prepares job, turning "the keys cannot authorize it" into an
// operator's sentence.
func prepareJob(ctx context.Context, g *txflow.Gate, job txflow.Job) (*txflow.Prepared, error) {
	p, err := g.Prepare(ctx, withHooks(job))
	if err != nil && chain.IsCode(err, chain.CodeUnsatisfiedAuth) {
		var acts []string
		for _, st := range job.Stages {
			for _, act := range st {
				acts = append(acts, string(act.Account)+"::"+string(act.Name))
			}
		}
		return nil, fmt.Errorf("the keys of the given --signer cannot authorize %s: %w", strings.Join(acts, "; "), err)
	}
	return p, err
}

// showAndConfirm writes what will be signed on stderr and asks.
func (a *app) showAndConfirm(p *txflow.Prepared, question string) error {
	a.info("About to sign:")
	for _, l := range p.Lines() {
		a.info("  %s", l)
	}
	if _, err := a.confirm(question); err != nil {
		return err
	}
	return p.Confirmed()
}

// pubsOf are the signers' public keys.
func pubsOf(signers []signer.Signer) []signer.PublicKey {
	out := make([]signer.PublicKey, len(signers))
	for i, s := range signers {
		out[i] = s.PublicKey()
	}
	return out
}

// session is what a signing command holds while it signs: the opened
// --signer devices, their keys, and the gate with the team file.
type session struct {
	signers []signer.Signer
	avail   []signer.PublicKey
	gate    *txflow.Gate
	close   func()
}

// openSession opens the --signer references and the gate for cl.
func (a *app) openSession(ctx context.Context, cl *chain.Client, refs []string) (*session, error) {
	signers, closeSigners, err := a.openRequiredSigners(ctx, refs)
	if err != nil {
		return nil, err
	}
	t, err := a.permsTeam()
	if err != nil {
		closeSigners()
		return nil, err
	}
	g, err := a.gate(cl, t, nil)
	if err != nil {
		closeSigners()
		return nil, err
	}
	return &session{signers: signers, avail: pubsOf(signers), gate: g, close: closeSigners}, nil
}
