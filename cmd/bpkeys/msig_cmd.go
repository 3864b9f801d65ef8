package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	eos "github.com/eoscanada/eos-go"
	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/internal/inputfile"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/txflow"
)

// msigCommands are the eosio.msig commands (propose, list, inbox, review,
// approve, unapprove, cancel, exec, invalidate).
func (a *app) msigCommands() []*cobra.Command {
	cmd := &cobra.Command{
		Use:   "msig",
		Short: "Multisig proposals: propose, an approval inbox, reviews, approvals pinned to the proposal hash",
	}
	cmd.AddCommand(
		newMsigProposeCmd(a),
		newMsigListCmd(a),
		newMsigInboxCmd(a),
		newMsigReviewCmd(a),
		newMsigApproveCmd(a),
		newMsigUnapproveCmd(a),
		newMsigCancelCmd(a),
		newMsigExecCmd(a),
		newMsigInvalidateCmd(a),
	)
	return []*cobra.Command{cmd}
}

func msigParseName(what, s string) (eos.Name, error) {
	if _, err := proposals.ParseLevel(s + "@active"); err != nil {
		return "", usageErr("%s %q is not a valid EOSIO name (up to 12 characters a-z, 1-5 and '.')", what, s)
	}
	return eos.Name(s), nil
}

// readForReview reads a proposal and reviews it from that one read.
func (a *app) readForReview(ctx context.Context, cl *chain.Client, proposer, name string) (*proposals.Review, error) {
	pn, err := msigParseName("proposer", proposer)
	if err != nil {
		return nil, err
	}
	nn, err := msigParseName("proposal name", name)
	if err != nil {
		return nil, err
	}
	p, err := proposals.Read(ctx, cl, eos.AccountName(pn), nn)
	if err != nil {
		return nil, err
	}
	t, err := a.permsTeam()
	if err != nil {
		return nil, err
	}
	return proposals.MakeReview(ctx, cl, p, proposals.ReviewOptions{Policy: txflow.Judge{Team: t}.ReviewCheck()})
}

func newMsigProposeCmd(a *app) *cobra.Command {
	var proposer, permission, plan, actionsFile, trxFile, name string
	var expires time.Duration
	var allowDuplicate bool
	var requests, signers []string
	cmd := &cobra.Command{
		Use:   "propose --proposer ACCOUNT (--plan FILE | --actions FILE | --trx FILE) --signer REF",
		Short: "Propose a transaction to eosio.msig, requesting the approvals its authorities need",
		Long: "Build the inner transaction (ref block 0/0, delay 0, no limits, expiring --expires after the\n" +
			"chain's head time), derive the requested approvals from the authorities involved (or take\n" +
			"--request), check that they can satisfy it, choose an unused name, show the review and sign\n" +
			"eosio.msig::propose as the proposer.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			n := 0
			file := ""
			for _, f := range []string{plan, actionsFile, trxFile} {
				if f != "" {
					n++
					file = f
				}
			}
			if n != 1 {
				return usageErr("give exactly one of --plan, --actions or --trx")
			}
			if expires <= 0 {
				return usageErr("--expires %v: expected a duration greater than 0", expires)
			}
			if proposer == "" {
				return usageErr("--proposer is required")
			}
			if _, err := msigParseName("--proposer", proposer); err != nil {
				return err
			}
			req := proposals.ProposeRequest{Proposer: eos.AccountName(proposer), Permission: eos.PermissionName(permission), ExpiresIn: expires, AllowDuplicate: allowDuplicate}
			if name != "" {
				nn, err := msigParseName("--name", name)
				if err != nil {
					return err
				}
				req.Name = nn
			}
			if len(requests) > 0 {
				ls, err := msigParseLevels("--request", requests)
				if err != nil {
					return err
				}
				req.Requested = ls
			}
			body, err := inputfile.Read(file, "proposal file", inputfile.MaxPlan)
			if err != nil {
				return usageErr("%v", err)
			}
			cl, err := a.chainClient()
			if err != nil {
				return err
			}
			if plan != "" {
				if err := a.checkPlanFile(ctx, cl, body); err != nil {
					return err
				}
			}
			abis := proposals.NewABIs(cl)
			if req.Actions, err = proposals.ParseActions(ctx, abis, body); err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			t, err := a.permsTeam()
			if err != nil {
				return err
			}
			req.Holders = msigHolders(t)
			b, err := proposals.Build(ctx, cl, req)
			if errors.Is(err, proposals.ErrDuplicate) {
				return withCode(exitRefused, err)
			}
			if err != nil {
				return err
			}
			preview := &proposals.Proposal{Proposer: b.Proposer, Name: b.Name, Packed: b.Packed, Hash: b.Hash, Transaction: b.Inner, Provided: []proposals.Approval{}}
			for _, l := range b.Requested {
				preview.Requested = append(preview.Requested, proposals.Approval{Level: l})
			}
			r, err := proposals.MakeReview(ctx, cl, preview, proposals.ReviewOptions{ABIs: abis, Policy: txflow.Judge{Team: t}.ReviewCheck()})
			if err != nil {
				return err
			}
			sreq := msigSignRequest{job: txflow.ProposeJob(cl, b), signers: signers}
			sreq.show = func() {
				r.WriteText(a.stderr)
				for _, n := range b.Notes {
					a.info("note: %s", n)
				}
			}
			sent, err := a.msigSign(ctx, cl, sreq)
			if sent == nil && err != nil {
				if sent = proposeLanded(ctx, a, cl, b, err); sent == nil {
					return err
				}
			}
			if a.json {
				return a.printJSON(struct {
					Proposal *proposals.Built `json:"proposal"`
					Sent     *msigSent        `json:"sent"`
				}{b, sent})
			}
			a.out("proposed %s/%s", b.Proposer, b.Name)
			a.out("proposal hash  %s", b.Hash)
			a.out("requested      %s", msigJoinLevels(b.Requested))
			a.out("expires        %s", b.Inner.Expiration.Format(time.RFC3339))
			a.out("transaction    %s", sent.TransactionID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&proposer, "proposer", "", "account that proposes (signs propose)")
	f.StringVar(&permission, "permission", "active", "the proposer's permission that signs propose")
	f.StringVar(&plan, "plan", "", "a plan JSON file (its \"actions\")")
	f.StringVar(&actionsFile, "actions", "", "a JSON file: an array of actions (data as fields or hex)")
	f.StringVar(&trxFile, "trx", "", "a transaction JSON file (its actions are proposed)")
	f.StringVar(&name, "name", "", "proposal name (default: generated, unused)")
	f.BoolVar(&allowDuplicate, "allow-duplicate", false, "propose even if the proposer already has the same transaction on chain under another name")
	f.DurationVar(&expires, "expires", proposals.DefaultExpiration, "how long the proposal stays executable")
	f.StringArrayVar(&requests, "request", nil, "requested approval ACTOR@PERM (repeatable; default: derived from the authorities)")
	f.StringArrayVar(&signers, "signer", nil, "key reference that signs (repeatable)")
	return cmd
}

func msigJoinLevels(ls []eos.PermissionLevel) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = string(l.Actor) + "@" + string(l.Permission)
	}
	return strings.Join(s, ", ")
}

func newMsigListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list PROPOSER",
		Short: "List a proposer's open proposals with their hashes and approvals",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			pn, err := msigParseName("proposer", args[0])
			if err != nil {
				return err
			}
			cl, err := a.chainClient()
			if err != nil {
				return err
			}
			if err := accountsExist(ctx, cl, string(pn)); err != nil {
				return err
			}
			props, bad, err := proposals.List(ctx, cl, eos.AccountName(pn))
			if err != nil {
				return err
			}
			now, err := proposals.ChainNow(ctx, cl)
			if err != nil {
				return err
			}
			if a.json {
				type item struct {
					*proposals.Proposal
					Expired bool `json:"expired"`
				}
				out := struct {
					Proposals  []item            `json:"proposals"`
					Unreadable map[string]string `json:"unreadable,omitempty"`
				}{Proposals: []item{}}
				for _, p := range props {
					out.Proposals = append(out.Proposals, item{p, p.Expired(now)})
				}
				if len(bad) > 0 {
					out.Unreadable = map[string]string{}
					for n, e := range bad {
						out.Unreadable[string(n)] = e.Error()
					}
				}
				return a.printJSON(out)
			}
			if len(props) == 0 && len(bad) == 0 {
				a.out("%s has no open proposals", pn)
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tHASH\tEXPIRES\tAPPROVED\tSTILL REQUESTED")
			for _, p := range props {
				exp := p.Transaction.Expiration.Format(time.RFC3339)
				if p.Expired(now) {
					exp += " (expired)"
				}
				var req []string
				for _, r := range p.Requested {
					req = append(req, string(r.Level.Actor)+"@"+string(r.Level.Permission))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, p.Hash, exp, msigJoinLevels(p.Levels()), strings.Join(req, ", "))
			}
			tw.Flush()
			for n, e := range bad {
				a.info("warning: proposal %s/%s cannot be read: %v", pn, n, e)
			}
			return nil
		},
	}
}

func newMsigInboxCmd(a *app) *cobra.Command {
	var as []string
	var expired bool
	cmd := &cobra.Command{
		Use:   "inbox [--as ACTOR@PERM...]",
		Short: "Every open proposal awaiting an approval you can give",
		Long: "Scan eosio.msig on the chain (no indexer): every proposal whose requested approvals include\n" +
			"one of the --as levels, or, without --as, a level whose authority the keys on the connected\n" +
			"YubiKeys and HSMs satisfy.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			levels, err := msigParseLevels("--as", as)
			if err != nil {
				return err
			}
			cl, err := a.chainClient()
			if err != nil {
				return err
			}
			for _, l := range levels {
				if err := accountsExist(ctx, cl, string(l.Actor)); err != nil {
					return err
				}
			}
			var mine func(eos.PermissionLevel) bool
			var readErrs readErrors
			if len(levels) > 0 {
				set := map[eos.PermissionLevel]bool{}
				for _, l := range levels {
					set[l] = true
				}
				mine = func(l eos.PermissionLevel) bool { return set[l] }
			} else {
				keys := a.msigPresentKeys(ctx)
				if len(keys) == 0 {
					return usageErr("no --as and no key on a connected YubiKey or HSM: say who you approve as with --as ACTOR@PERM")
				}
				mine = mineByKeys(ctx, proposals.NewAccounts(cl), keys, &readErrs)
			}
			items, err := proposals.Inbox(ctx, cl, mine, proposals.InboxOptions{IncludeExpired: expired})
			if err != nil {
				return err
			}
			for _, e := range readErrs.errs {
				a.info("warning: %v: a proposal awaiting that level may be missing from this list", e)
			}
			if len(items) == 0 && len(readErrs.errs) > 0 {
				return fmt.Errorf("the inbox could not be read completely (%d read errors, above): run it again", len(readErrs.errs))
			}
			if a.json {
				if items == nil {
					items = []proposals.InboxItem{}
				}
				return a.printJSON(struct {
					Awaiting []proposals.InboxItem `json:"awaiting"`
				}{items})
			}
			if len(items) == 0 {
				a.out("No open proposal awaits your approval.")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PROPOSER\tNAME\tAWAITING\tEXPIRES\tHASH")
			for _, it := range items {
				exp := it.Expiration.Format(time.RFC3339)
				if it.Expired {
					exp += " (expired)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", it.Proposer, it.Name, msigJoinLevels(it.Awaiting), exp, it.Hash)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringArrayVar(&as, "as", nil, "a level you approve as, ACTOR@PERM (repeatable)")
	cmd.Flags().BoolVar(&expired, "expired", false, "include expired proposals")
	return cmd
}

// presentKeys lists the public keys on every connected device.
func (a *app) msigPresentKeys(ctx context.Context) []signer.PublicKey {
	var keys []signer.PublicKey
	for _, s := range a.registry.Schemes() {
		b, _ := a.registry.Backend(s)
		inv, err := b.Inventory(ctx)
		if err != nil {
			a.info("warning: %s: %v", s, err)
			continue
		}
		for _, k := range inv.Keys {
			keys = append(keys, k.PublicKey)
		}
	}
	return keys
}

// readErrors collects the read errors of an inbox scan, once each.
type readErrors struct {
	mu   sync.Mutex
	seen map[string]bool
	errs []error
}

func (r *readErrors) add(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if !r.seen[err.Error()] {
		r.seen[err.Error()] = true
		r.errs = append(r.errs, err)
	}
}

// mineByKeys is an inbox's "mine" for the connected keys; read errors go
// to errs, never taken for "not mine" silently.
func mineByKeys(ctx context.Context, accts *proposals.Accounts, keys []signer.PublicKey, errs *readErrors) func(eos.PermissionLevel) bool {
	return func(l eos.PermissionLevel) bool {
		ok, err := proposals.KeysSatisfy(ctx, accts, l, keys)
		if err != nil {
			errs.add(err)
		}
		return ok
	}
}

func newMsigReviewCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "review PROPOSER NAME",
		Short: "Explain a proposal: each action in words, diffs, the hash, approvals and what is missing",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.chainClient()
			if err != nil {
				return err
			}
			r, err := a.readForReview(cmd.Context(), cl, args[0], args[1])
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(r)
			}
			return r.WriteText(a.stdout)
		},
	}
}

// msigLevelFlag reads the single --as level of a signing command.
func msigLevelFlag(as string, def eos.PermissionLevel) (eos.PermissionLevel, error) {
	if as == "" {
		if def.Actor == "" {
			return eos.PermissionLevel{}, usageErr("--as ACTOR@PERM is required")
		}
		return def, nil
	}
	l, err := proposals.ParseLevel(as)
	if err != nil {
		return l, usageErr("--as: %v", err)
	}
	return l, nil
}

func newMsigApproveCmd(a *app) *cobra.Command {
	var as, hash string
	var signers []string
	var allowReplaced bool
	cmd := &cobra.Command{
		Use:   "approve PROPOSER NAME --as ACTOR@PERM --signer REF",
		Short: "Approve a proposal, pinned to the hash of the transaction shown",
		Long: "Read the proposal, show its review, and approve it with proposal_hash = sha256 of the very\n" +
			"bytes shown. Before signing the proposal is read again: if it changed, nothing is signed\n" +
			"(exit 4). bpkeys also refuses (exit 4) to approve a different hash under a proposer and name\n" +
			"it approved before, unless --allow-replaced. --hash pins the hash from an earlier review.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			level, err := msigLevelFlag(as, eos.PermissionLevel{})
			if err != nil {
				return err
			}
			var pinned *chain.Checksum256
			if hash != "" {
				h, err := chain.ParseChecksum256(hash)
				if err != nil {
					return usageErr("--hash: %v", err)
				}
				pinned = &h
			}
			cl, err := a.chainClient()
			if err != nil {
				return err
			}
			r, err := a.readForReview(ctx, cl, args[0], args[1])
			if err != nil {
				return err
			}
			p := r.Proposal
			if pinned != nil && *pinned != p.Hash {
				return withCode(exitRefused, fmt.Errorf("%s/%s now holds a transaction with hash %s, not the %s you reviewed: it was replaced; review it again (nothing was signed)", p.Proposer, p.Name, p.Hash, *pinned))
			}
			job, err := a.approveJob(ctx, cl, p, level, allowReplaced)
			if err != nil {
				return err
			}
			req := msigSignRequest{job: job, signers: signers}
			req.show = func() {
				r.WriteText(a.stderr)
				a.info("\nApproving %s/%s as %s@%s, pinned to proposal hash %s", p.Proposer, p.Name, level.Actor, level.Permission, p.Hash)
			}
			sent, err := a.msigSign(ctx, cl, req)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(struct {
					Proposer     eos.AccountName     `json:"proposer"`
					Name         eos.Name            `json:"proposal_name"`
					Level        eos.PermissionLevel `json:"level"`
					ProposalHash string              `json:"proposal_hash"`
					Sent         *msigSent           `json:"sent"`
				}{p.Proposer, p.Name, level, p.Hash.String(), sent})
			}
			a.out("approved %s/%s as %s@%s", p.Proposer, p.Name, level.Actor, level.Permission)
			a.out("proposal hash  %s", p.Hash)
			a.out("transaction    %s", sent.TransactionID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&as, "as", "", "the requested level you approve as, ACTOR@PERM")
	f.StringVar(&hash, "hash", "", "refuse unless the proposal's hash is this one (from an earlier review)")
	f.BoolVar(&allowReplaced, "allow-replaced", false, "approve even though another hash was approved under this name before")
	f.StringArrayVar(&signers, "signer", nil, "key reference that signs (repeatable)")
	return cmd
}

// simpleMsigCmd is unapprove, cancel, exec: read, check, sign one action.
func simpleMsigCmd(a *app, use, short string, defaultToProposer bool, build func(r *proposals.Review, level eos.PermissionLevel, now time.Time) (*eos.Action, error)) *cobra.Command {
	var as string
	var signers []string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var def eos.PermissionLevel
			if defaultToProposer {
				def = eos.PermissionLevel{Actor: eos.AccountName(args[0]), Permission: "active"}
			}
			level, err := msigLevelFlag(as, def)
			if err != nil {
				return err
			}
			cl, err := a.chainClient()
			if err != nil {
				return err
			}
			r, err := a.readForReview(ctx, cl, args[0], args[1])
			if err != nil {
				return err
			}
			act, err := build(r, level, r.Now)
			if err != nil {
				return err
			}
			verb := strings.Fields(use)[0]
			p := r.Proposal
			req := msigSignRequest{job: txflow.MsigJob(cl, verb, p, act, level), signers: signers, show: func() { r.WriteText(a.stderr) }}
			sent, err := a.msigSign(ctx, cl, req)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(struct {
					Action       string    `json:"action"`
					Proposer     string    `json:"proposer"`
					Name         string    `json:"proposal_name"`
					ProposalHash string    `json:"proposal_hash"`
					Sent         *msigSent `json:"sent"`
				}{verb, string(p.Proposer), string(p.Name), p.Hash.String(), sent})
			}
			a.out("%s %s/%s: transaction %s", verb, p.Proposer, p.Name, sent.TransactionID)
			return nil
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "the level that signs, ACTOR@PERM")
	cmd.Flags().StringArrayVar(&signers, "signer", nil, "key reference that signs (repeatable)")
	return cmd
}

func newMsigUnapproveCmd(a *app) *cobra.Command {
	return simpleMsigCmd(a, "unapprove PROPOSER NAME --as ACTOR@PERM --signer REF", "Withdraw an approval", false,
		func(r *proposals.Review, l eos.PermissionLevel, _ time.Time) (*eos.Action, error) {
			return proposals.UnapproveAction(r.Proposal, l)
		})
}

func newMsigCancelCmd(a *app) *cobra.Command {
	return simpleMsigCmd(a, "cancel PROPOSER NAME [--as ACTOR@PERM] --signer REF", "Cancel a proposal (the proposer, or anyone once it expired)", true,
		func(r *proposals.Review, l eos.PermissionLevel, now time.Time) (*eos.Action, error) {
			return proposals.CancelAction(r.Proposal, l, now)
		})
}

func newMsigExecCmd(a *app) *cobra.Command {
	return simpleMsigCmd(a, "exec PROPOSER NAME --as ACTOR@PERM --signer REF", "Execute an approved proposal (refused early, with what is missing, when it cannot run)", false,
		func(r *proposals.Review, l eos.PermissionLevel, _ time.Time) (*eos.Action, error) {
			return proposals.ExecAction(r.Proposal, r.Verdict, l)
		})
}

func newMsigInvalidateCmd(a *app) *cobra.Command {
	var as string
	var signers []string
	cmd := &cobra.Command{
		Use:   "invalidate --as ACTOR@PERM --signer REF",
		Short: "Void every approval an account gave so far, on every proposal",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			level, err := msigLevelFlag(as, eos.PermissionLevel{})
			if err != nil {
				return err
			}
			cl, err := a.chainClient()
			if err != nil {
				return err
			}
			act, err := proposals.InvalidateAction(level)
			if err != nil {
				return err
			}
			sent, err := a.msigSign(ctx, cl, msigSignRequest{
				job:     txflow.Job{Note: fmt.Sprintf("msig invalidate %s", level.Actor), Stages: [][]*eos.Action{{act}}},
				signers: signers,
				show: func() {
					a.info("Every approval %s gave before now stops counting, on every proposal.", level.Actor)
				},
			})
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(struct {
					Account string    `json:"account"`
					Sent    *msigSent `json:"sent"`
				}{string(level.Actor), sent})
			}
			a.out("invalidated the approvals of %s: transaction %s", level.Actor, sent.TransactionID)
			return nil
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "the account (ACTOR@PERM signs) whose approvals stop counting")
	cmd.Flags().StringArrayVar(&signers, "signer", nil, "key reference that signs (repeatable)")
	return cmd
}

// proposeLanded resolves a propose whose push answer was lost by reading
// the proposal table: when the proposal holds the built transaction, it
// went through.
func proposeLanded(ctx context.Context, a *app, cl *chain.Client, b *proposals.Built, err error) *msigSent {
	var unc *chain.PushUncertainError
	if !errors.As(err, &unc) {
		return nil
	}
	landed, lerr := proposals.ProposalLanded(ctx, cl, b.Proposer, b.Name, b.Hash)
	if lerr != nil || !landed {
		return nil
	}
	a.info("the answer to the propose transaction was lost, but %s/%s now holds the transaction with hash %s: it went through", b.Proposer, b.Name, b.Hash)
	return &msigSent{TransactionID: unc.ID.String(), AlreadyKnown: true}
}

// checkPlanFile holds a plan given to msig propose to what perms apply
// holds it to: its actions are what its edits produce, on this chain.
func (a *app) checkPlanFile(ctx context.Context, cl *chain.Client, body []byte) error {
	chainID, err := cl.ChainID(ctx)
	if err != nil {
		return err
	}
	_, err = txflow.ReadPlan(body, chainID, nil)
	return err
}

// approveJob is txflow.ApproveJob with this run's journal and chain id.
func (a *app) approveJob(ctx context.Context, cl *chain.Client, p *proposals.Proposal, level eos.PermissionLevel, allowReplaced bool) (txflow.Job, error) {
	chainID, err := cl.ChainID(ctx)
	if err != nil {
		return txflow.Job{}, err
	}
	j, err := a.journal()
	if err != nil {
		return txflow.Job{}, err
	}
	return txflow.ApproveJob(ctx, cl, j, chainID.String(), p, level, allowReplaced)
}
