package main

import (
	"context"
	"strings"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/txflow"
)

// msigHooks let tests act between the steps of a signing command (replace
// a proposal after it was shown, or after it was signed). Nil in
// production.
var msigHooks struct {
	beforeReread func()
	beforePush   func()
}

// msigSignRequest is one transaction a msig command signs and sends: the
// gate's job, the --signer references, and what the command shows first.
type msigSignRequest struct {
	job     txflow.Job
	signers []string
	// show writes what is about to be signed (on stderr).
	show func()
}

// msigSent is what a signing command reports.
type msigSent struct {
	TransactionID string   `json:"transaction_id"`
	Digest        string   `json:"digest"`
	Signers       []string `json:"signed_by"`
	Endpoint      string   `json:"endpoint"`
	AlreadyKnown  bool     `json:"already_known,omitempty"`
}

// msigSign prepares the request through the gate (frozen bytes, required
// keys, policy on its effects), shows it, asks, and signs.
func (a *app) msigSign(ctx context.Context, cl *chain.Client, req msigSignRequest) (*msigSent, error) {
	ss, err := a.openSession(ctx, cl, req.signers)
	if err != nil {
		return nil, err
	}
	defer ss.close()
	g := ss.gate
	job := req.job
	job.Avail = ss.avail
	if req.show != nil {
		req.show()
	}
	p, err := prepareJob(ctx, g, job)
	if err != nil {
		return nil, err
	}
	if err := a.showAndConfirm(p, "Sign and send?"); err != nil {
		return nil, err
	}
	done, err := g.Sign(ctx, p, ss.signers)
	if err != nil {
		return nil, err
	}
	return msigSentFrom(done), nil
}

// msigSentFrom reports a one-transaction job.
func msigSentFrom(done *txflow.Result) *msigSent {
	st, res := done.Stages[0], done.Pushed[0]
	out := &msigSent{TransactionID: res.TransactionID.String(), Digest: st.Frozen.DigestHex(), Endpoint: res.Endpoint, AlreadyKnown: res.AlreadyKnown}
	for _, k := range st.Required {
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
