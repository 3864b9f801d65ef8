package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	eos "github.com/eoscanada/eos-go"
	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/signer"
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
	Via           string             `json:"via"`
	TransactionID string             `json:"transaction_id"`
	Digest        string             `json:"digest"`
	Signers       []string           `json:"signed_by"`
	Proposal      *proposals.Built   `json:"proposal,omitempty"`
	Pushed        *chain.PushResult  `json:"-"`
	Required      []signer.PublicKey `json:"-"`
}

// keySend signs and sends actions: directly when the signers satisfy their
// authorizations (unless --via msig), otherwise as an eosio.msig proposal
// of --proposer. It is the existing signing path (prepareOne or the
// propose request, a.confirm, signJobRun), kept in one function so the
// signing gate can take it over.
func (a *app) keySend(ctx context.Context, cl *chain.Client, note string, acts []*eos.Action, f keySendFlags, show func()) (*keySent, error) {
	via := strings.ToLower(strings.TrimSpace(f.via))
	switch via {
	case "", "auto", "direct", "msig":
	default:
		return nil, usageErr("--via %q: expected direct or msig", f.via)
	}
	signers, closeSigners, err := a.openRequiredSigners(ctx, f.signers)
	if err != nil {
		return nil, err
	}
	defer closeSigners()
	var avail []signer.PublicKey
	for _, s := range signers {
		avail = append(avail, s.PublicKey())
	}
	out := &keySent{Via: "direct"}
	var job *signJob
	if via != "msig" {
		job, err = prepareOne(ctx, cl, note, acts, avail)
		if err != nil && (via == "direct" || !chain.IsCode(err, chain.CodeUnsatisfiedAuth)) {
			return nil, err
		}
		if err != nil && f.proposer == "" {
			return nil, fmt.Errorf("%w; to propose it for approval instead, pass --via msig --proposer ACTOR", err)
		}
	}
	if job == nil {
		out.Via = "msig"
		if job, out.Proposal, err = a.keyPropose(ctx, cl, acts, f, avail); err != nil {
			return nil, err
		}
	}
	if show != nil {
		show()
	}
	st := job.stages[0]
	a.info("Transaction to sign (%s):", out.Via)
	for _, s := range job.summary() {
		a.info("  %s", s)
	}
	if out.Proposal != nil {
		a.info("  proposal        %s/%s, approvals requested from %s", out.Proposal.Proposer, out.Proposal.Name, msigJoinLevels(out.Proposal.Requested))
		a.info("  proposal hash   %s", out.Proposal.Hash)
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
	out.Pushed = done.pushed[0]
	out.TransactionID = done.pushed[0].TransactionID.String()
	out.Digest = hex.EncodeToString(st.digest[:])
	out.Required = st.required
	for _, k := range st.required {
		out.Signers = append(out.Signers, k.String())
	}
	return out, nil
}

// keyPropose builds the eosio.msig proposal of acts and its signing job.
func (a *app) keyPropose(ctx context.Context, cl *chain.Client, acts []*eos.Action, f keySendFlags, avail []signer.PublicKey) (*signJob, *proposals.Built, error) {
	if f.proposer == "" {
		return nil, nil, usageErr("--via msig needs --proposer ACTOR[@PERMISSION]: the account whose --signer proposes")
	}
	actor, perm, _ := strings.Cut(f.proposer, "@")
	if perm == "" {
		perm = "active"
	}
	req := proposals.ProposeRequest{Proposer: eos.AccountName(actor), Permission: eos.PermissionName(perm), ExpiresIn: f.expires}
	if f.name != "" {
		n, err := msigParseName("--proposal-name", f.name)
		if err != nil {
			return nil, nil, err
		}
		req.Name = n
	}
	for _, act := range acts {
		data, err := act.ActionData.EncodeActionData()
		if err != nil {
			return nil, nil, fmt.Errorf("encoding %s: %w", act.Name, err)
		}
		req.Actions = append(req.Actions, proposals.Action{Account: act.Account, Name: act.Name, Authorization: act.Authorization, Data: data})
	}
	t, err := a.permsTeam()
	if err != nil {
		return nil, nil, err
	}
	req.Holders = msigHolders(t)
	b, err := proposals.Build(ctx, cl, req)
	if err != nil {
		return nil, nil, err
	}
	job, err := proposeRequest(b).prepare(ctx, cl, avail)
	if err != nil {
		if chain.IsCode(err, chain.CodeUnsatisfiedAuth) {
			return nil, nil, fmt.Errorf("the --signer keys cannot sign the proposal as %s@%s: %w", actor, perm, err)
		}
		return nil, nil, err
	}
	return job, b, nil
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
