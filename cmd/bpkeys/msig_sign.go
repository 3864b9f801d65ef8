package main

import (
	"context"
	"encoding/hex"
	"strings"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/signer"
)

// msigHooks let tests act between the steps of a signing command (replace
// a proposal after it was shown, or after it was signed). Nil in
// production.
var msigHooks struct {
	beforeReread func()
	beforePush   func()
}

// msigSignRequest is one transaction a msig command signs and sends.
type msigSignRequest struct {
	note    string
	actions []*eos.Action
	signers []string
	// show writes what is about to be signed (on stderr).
	show func()
	// recheck runs after confirmation and before the signature: an error
	// stops everything, nothing is signed.
	recheck func(ctx context.Context) error
	// mapErr rewrites a signing or push error (nil keeps it).
	mapErr func(error) error
}

// prepare is the first step of every msig signature, shared by the CLI and
// the TUI: the transaction built, its required keys among avail and its
// digest; nothing is signed.
func (req msigSignRequest) prepare(ctx context.Context, cl *chain.Client, avail []signer.PublicKey) (*signJob, error) {
	job, err := prepareOne(ctx, cl, req.note, req.actions, avail)
	if err != nil {
		return nil, err
	}
	job.recheck, job.mapErr = req.recheck, req.mapErr
	return job, nil
}

// msigSent is what a signing command reports.
type msigSent struct {
	TransactionID string   `json:"transaction_id"`
	Digest        string   `json:"digest"`
	Signers       []string `json:"signed_by"`
	Endpoint      string   `json:"endpoint"`
	AlreadyKnown  bool     `json:"already_known,omitempty"`
}

// msigSign builds the transaction, asks nodeos which of the signers' keys
// are needed, shows it, asks for confirmation, re-checks, signs through
// the journal and pushes: prepareOne, a.confirm, signJobRun.
func (a *app) msigSign(ctx context.Context, cl *chain.Client, req msigSignRequest) (*msigSent, error) {
	signers, closeSigners, err := a.openRequiredSigners(ctx, req.signers)
	if err != nil {
		return nil, err
	}
	defer closeSigners()
	var avail []signer.PublicKey
	for _, s := range signers {
		avail = append(avail, s.PublicKey())
	}
	job, err := req.prepare(ctx, cl, avail)
	if err != nil {
		return nil, err
	}
	st := job.stages[0]
	if req.show != nil {
		req.show()
	}
	a.info("Transaction to sign:")
	for _, s := range job.summary() {
		a.info("  %s", s)
	}
	a.info("  chain id        %s", job.chainID)
	a.info("  transaction id  %s", hex.EncodeToString(st.id[:]))
	a.info("  digest          %s", hex.EncodeToString(st.digest[:]))
	for _, k := range st.required {
		a.info("  signing key     %s", k)
	}
	if _, err := a.confirm("Sign and send?"); err != nil {
		return nil, err
	}
	done, err := a.signJobRun(ctx, cl, job, signers)
	if err != nil {
		return nil, err
	}
	return msigSentFrom(job, done), nil
}

// msigSentFrom reports a one-transaction job.
func msigSentFrom(job *signJob, done *signedJob) *msigSent {
	st, res := job.stages[0], done.pushed[0]
	out := &msigSent{TransactionID: res.TransactionID.String(), Digest: hex.EncodeToString(st.digest[:]), Endpoint: res.Endpoint, AlreadyKnown: res.AlreadyKnown}
	for _, k := range st.required {
		out.Signers = append(out.Signers, k.String())
	}
	return out
}

// msigParseLevels reads ACTOR@PERM flags.
func msigParseLevels(flag string, in []string) ([]eos.PermissionLevel, error) {
	var out []eos.PermissionLevel
	for _, s := range in {
		for _, part := range strings.Split(s, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			l, err := proposals.ParseLevel(part)
			if err != nil {
				return nil, usageErr("%s: %v", flag, err)
			}
			out = append(out, l)
		}
	}
	return out, nil
}
