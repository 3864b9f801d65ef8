package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	eos "github.com/eoscanada/eos-go"
	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/team"
	"github.com/bpkeys/bpkeys/txflow"
)

// keySendFlags are the signing flags of the finalizer and peerkey commands.
type keySendFlags struct {
	signers    []string
	via        string
	proposer   string
	permission string
	name       string
	expires    time.Duration
}

func (f *keySendFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.signers, "signer", nil, "key reference that signs (repeatable): pkcs11:... or yubikey:...")
	fl.StringVar(&f.via, "via", "", "direct or msig (default: direct when the signers satisfy the account, else a proposal by --proposer)")
	fl.StringVar(&f.proposer, "proposer", "", "msig: ACTOR[@PERMISSION] that proposes (permission default active)")
	fl.StringVar(&f.permission, "permission", "active", "the account's permission that authorizes the actions")
	fl.StringVar(&f.name, "proposal-name", "", "msig: the proposal's name (default: generated)")
	fl.DurationVar(&f.expires, "proposal-expires", 0, "msig: how long the proposal stays executable (default 7 days)")
}

// keySent is what a signing finalizer or peerkey command did.
type keySent struct {
	Via           string           `json:"via"`
	TransactionID string           `json:"transaction_id"`
	Digest        string           `json:"digest"`
	Signers       []string         `json:"signed_by"`
	Proposal      *proposals.Built `json:"proposal,omitempty"`
}

// keySend signs and sends actions through the signing gate: directly when
// the signers satisfy their authorizations (unless --via msig), otherwise
// as an eosio.msig proposal of --proposer. readBack (optional) confirms the
// direct effect on chain after the push.
func (a *app) keySend(ctx context.Context, cl *chain.Client, note string, acts []*eos.Action, f keySendFlags, show func(), readBack func(context.Context) error) (*keySent, error) {
	via := strings.ToLower(strings.TrimSpace(f.via))
	switch via {
	case "", "auto", "direct", "msig":
	default:
		return nil, usageErr("--via %q: expected direct or msig", f.via)
	}
	ss, err := a.openSession(ctx, cl, f.signers)
	if err != nil {
		return nil, err
	}
	defer ss.close()
	g, avail := ss.gate, ss.avail
	out := &keySent{Via: "direct"}
	var p *txflow.Prepared
	if via != "msig" {
		p, err = prepareJob(ctx, g, txflow.Job{Note: note, Stages: [][]*eos.Action{acts}, Avail: avail, ReadBack: readBack})
		if err != nil && (via == "direct" || !chain.IsCode(err, chain.CodeUnsatisfiedAuth)) {
			return nil, err
		}
		if err != nil && f.proposer == "" {
			return nil, fmt.Errorf("%w; to propose it for approval instead, pass --via msig --proposer ACTOR", err)
		}
	}
	if p == nil {
		out.Via = "msig"
		b, err := a.keyProposal(ctx, cl, acts, f, ss.gate.Judge.Team)
		if err != nil {
			return nil, err
		}
		out.Proposal = b
		job := txflow.ProposeJob(cl, b)
		job.Avail = avail
		if p, err = prepareJob(ctx, g, job); err != nil {
			if chain.IsCode(err, chain.CodeUnsatisfiedAuth) {
				return nil, fmt.Errorf("the --signer keys cannot sign the proposal as %s: %w", f.proposer, err)
			}
			return nil, err
		}
	}
	if show != nil {
		show()
	}
	if b := out.Proposal; b != nil {
		a.info("Proposal %s/%s, approvals requested from %s, hash %s", b.Proposer, b.Name, msigJoinLevels(b.Requested), b.Hash)
	}
	if err := a.showAndConfirm(p, "Sign and send?"); err != nil {
		return nil, err
	}
	done, err := g.Sign(ctx, p, ss.signers)
	if err != nil {
		return nil, err
	}
	out.TransactionID = done.TxID()
	out.Digest = done.Stages[0].Frozen.DigestHex()
	for _, k := range done.Required[0] {
		out.Signers = append(out.Signers, k.String())
	}
	return out, nil
}

// keyProposal builds the eosio.msig proposal of acts.
func (a *app) keyProposal(ctx context.Context, cl *chain.Client, acts []*eos.Action, f keySendFlags, t *team.Team) (*proposals.Built, error) {
	if f.proposer == "" {
		return nil, usageErr("--via msig needs --proposer ACTOR[@PERMISSION]: the account whose --signer proposes")
	}
	actor, perm, _ := strings.Cut(f.proposer, "@")
	if perm == "" {
		perm = "active"
	}
	req := proposals.ProposeRequest{Proposer: eos.AccountName(actor), Permission: eos.PermissionName(perm), ExpiresIn: f.expires, Holders: msigHolders(t)}
	if f.name != "" {
		n, err := msigParseName("--proposal-name", f.name)
		if err != nil {
			return nil, err
		}
		req.Name = n
	}
	for _, act := range acts {
		data, err := act.ActionData.EncodeActionData()
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", act.Name, err)
		}
		req.Actions = append(req.Actions, proposals.Action{Account: act.Account, Name: act.Name, Authorization: act.Authorization, Data: data})
	}
	return proposals.Build(ctx, cl, req)
}

// reportSent prints what keySend did and, for a proposal, what the other
// approvers run.
func (a *app) reportSent(sent *keySent, what string) {
	if sent.Proposal != nil {
		b := sent.Proposal
		a.out("proposed %s/%s: %s", b.Proposer, b.Name, what)
		a.out("proposal hash  %s", b.Hash)
		a.out("requested      %s", msigJoinLevels(b.Requested))
		a.out("transaction    %s", sent.TransactionID)
		a.out("review with:   bpkeys msig review %s %s", b.Proposer, b.Name)
		a.out("approve with:  bpkeys msig approve %s %s --hash %s --as ACTOR@PERMISSION --signer REF", b.Proposer, b.Name, b.Hash)
		return
	}
	a.out("%s", what)
	a.out("transaction    %s", sent.TransactionID)
}

// errRefusedLocally marks a local check that refused before signing.
func refusedLocally(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return withCode(exitRefused, fmt.Errorf("%w (checked before signing: nothing was signed)", err))
}
