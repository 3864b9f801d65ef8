package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/signer"
)

// The signing paths are split in two steps that the CLI and the TUI share:
// prepare (build the transaction, ask the chain which keys must sign,
// compute the digest; nothing is signed and no device is asked) and sign
// (re-check, journal, sign, push). The CLI confirms on the terminal between
// the two; the TUI shows the preview and collects PINs in its own input.

// txStage is one transaction of a signing job.
type txStage struct {
	note string
	tx   *eos.SignedTransaction
	// required are the keys that sign it; nil for a later stage of a plan,
	// whose keys are asked for when its turn comes (the chain must first
	// hold what the earlier stage creates).
	required []signer.PublicKey
	digest   [32]byte
	id       [32]byte
}

// signJob is a prepared signature: one or more transactions, in order.
type signJob struct {
	chainID signer.ChainID
	stages  []*txStage
	// avail are the keys the signers offer (for later stages).
	avail []signer.PublicKey
	// recheck runs right before the signature: an error stops everything,
	// nothing is signed.
	recheck func(ctx context.Context) error
	// mapErr rewrites a signing or push error (nil keeps it).
	mapErr func(error) error
}

// signedJob is what a signing job did.
type signedJob struct {
	pushed []*chain.PushResult
	// required are the keys that signed, per stage.
	required [][]signer.PublicKey
}

// buildStage builds actions into a transaction, asks the chain which of
// avail must sign it (unless later, for a later stage) and computes its
// digest.
func buildStage(ctx context.Context, cl *chain.Client, chainID signer.ChainID, note string, actions []*eos.Action, avail []signer.PublicKey, later bool) (*txStage, error) {
	tx, err := cl.NewTransaction(ctx, actions, 0)
	if err != nil {
		return nil, err
	}
	st := &txStage{note: note, tx: tx}
	if !later {
		if st.required, err = cl.RequiredKeys(ctx, tx.Transaction, avail); err != nil {
			return nil, err
		}
	}
	packed, cfd, err := tx.PackedTransactionAndCFD()
	if err != nil {
		return nil, fmt.Errorf("packing the transaction: %w", err)
	}
	st.digest = signer.Digest(chainID, packed, cfd)
	st.id = sha256.Sum256(packed)
	return st, nil
}

// prepareOne is a job of one transaction: the msig commands' shape.
func prepareOne(ctx context.Context, cl *chain.Client, note string, actions []*eos.Action, avail []signer.PublicKey) (*signJob, error) {
	chainID, err := cl.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	st, err := buildStage(ctx, cl, chainID, note, actions, avail, false)
	if err != nil {
		if chain.IsCode(err, chain.CodeUnsatisfiedAuth) {
			tx := &eos.Transaction{Actions: actions}
			return nil, fmt.Errorf("the keys of the given --signer cannot authorize %s: %w", strings.Join(audit.Summarize(tx), "; "), err)
		}
		return nil, err
	}
	return &signJob{chainID: chainID, stages: []*txStage{st}, avail: avail}, nil
}

// summary is the job's actions in words.
func (j *signJob) summary() []string {
	var out []string
	for _, st := range j.stages {
		out = append(out, audit.Summarize(st.tx.Transaction)...)
	}
	return out
}

// digests are the stages' digests in hex.
func (j *signJob) digests() []string {
	var out []string
	for _, st := range j.stages {
		out = append(out, hex.EncodeToString(st.digest[:]))
	}
	return out
}

// required lists the keys known to sign, in order, without repeats.
func (j *signJob) required() []signer.PublicKey {
	var out []signer.PublicKey
	seen := map[signer.PublicKey]bool{}
	for _, st := range j.stages {
		for _, k := range st.required {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// sign re-checks, then journals and signs each stage through
// audit.SignTransaction and pushes it (chain.Client.Push is idempotent).
func (a *app) signJobRun(ctx context.Context, cl *chain.Client, job *signJob, signers []signer.Signer) (*signedJob, error) {
	out, err := a.signJobStages(ctx, cl, job, signers)
	if err != nil && job.mapErr != nil {
		if m := job.mapErr(err); m != nil {
			return out, m
		}
	}
	return out, err
}

func (a *app) signJobStages(ctx context.Context, cl *chain.Client, job *signJob, signers []signer.Signer) (*signedJob, error) {
	if msigHooks.beforeReread != nil {
		msigHooks.beforeReread()
	}
	if job.recheck != nil {
		if err := job.recheck(ctx); err != nil {
			return nil, err
		}
	}
	j, err := a.journal()
	if err != nil {
		return nil, err
	}
	out := &signedJob{}
	n := len(job.stages)
	for i, st := range job.stages {
		if st.required == nil {
			if st.required, err = cl.RequiredKeys(ctx, st.tx.Transaction, job.avail); err != nil {
				return out, fmt.Errorf("transaction %d of %d: which keys must sign: %w", i+1, n, err)
			}
		}
		if err := audit.SignTransaction(ctx, j, st.note, st.tx, job.chainID, st.required, signers); err != nil {
			if n > 1 {
				return out, fmt.Errorf("transaction %d of %d: %w", i+1, n, err)
			}
			return out, err
		}
		if msigHooks.beforePush != nil {
			msigHooks.beforePush()
		}
		res, err := cl.Push(ctx, st.tx)
		if err != nil {
			if i > 0 {
				return out, fmt.Errorf("transaction %d of %d failed after %d was applied; read the account again and plan again: %w", i+1, n, i, err)
			}
			return out, err
		}
		out.pushed = append(out.pushed, res)
		out.required = append(out.required, st.required)
	}
	return out, nil
}
