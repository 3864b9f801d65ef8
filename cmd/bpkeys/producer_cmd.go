package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/hsm/pkcs11"
	"github.com/bpkeys/bpkeys/producer"
	"github.com/bpkeys/bpkeys/signer"
)

// producerCommands are producer show/rotate-key/unregister and claim.
func (a *app) producerCommands() []*cobra.Command {
	return []*cobra.Command{newProducerCmd(a), newClaimCmd(a, claimDeps{})}
}

func newProducerCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "producer", Short: "Show a producer, rotate its block-signing key, or pull the kill switch"}
	cmd.AddCommand(newProducerShowCmd(a), newProducerRotateCmd(a), newProducerUnregisterCmd(a))
	return cmd
}

// stateDir is where bpkeys keeps records ($XDG_STATE_HOME/bpkeys).
func stateDir() string { return filepath.Dir(audit.DefaultPath()) }

func newProducerShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show ACCOUNT",
		Short: "The producers row, claim times, and which permission can rotate the key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.chainClient()
			if err != nil {
				return err
			}
			if err := accountsExist(cmd.Context(), c, args[0]); err != nil {
				return err
			}
			info, err := producer.Show(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(info)
			}
			r := info.Row
			state := "active"
			if !r.Active {
				state = "NOT active (unregistered: produces no blocks)"
			}
			a.out("producer:        %s (%s)", info.Account, state)
			switch {
			case len(r.Authority.Keys) == 0:
				a.out("signing key:     none")
			case r.Authority.IsSingleKey():
				a.out("signing key:     %s", r.Authority.Keys[0].Key)
			default:
				a.out("signing authority: threshold %d", r.Authority.Threshold)
				for _, k := range r.Authority.Keys {
					a.out("  %s  weight %d", k.Key, k.Weight)
				}
			}
			a.out("url:             %s", r.URL)
			a.out("location:        %d", r.Location)
			a.out("last claim:      %s", fmtTime(r.LastClaimTime))
			switch {
			case info.Activation.NotActivated():
				a.out("next claim:      %s", info.Activation.Explain())
			case info.ClaimAllowedNow:
				since := "since " + fmtTime(info.NextClaim)
				if fmtTime(r.LastClaimTime) == "never" {
					since = "never claimed"
				}
				a.out("next claim:      allowed now (%s)", since)
			default:
				a.out("next claim:      %s (in %s)", fmtTime(info.NextClaim), info.NextClaim.Sub(info.HeadBlockTime).Round(time.Second))
			}
			how := "not linked: active"
			if info.RotateLinked {
				how = "linked to eosio::regproducer"
			}
			a.out("rotate with:     %s@%s (%s)", info.Account, info.RotatePermission, how)
			a.out("unregister with: %s@%s", info.Account, info.UnregisterPermission)
			a.out("claim with:      %s@%s", info.Account, info.ClaimPermission)
			return nil
		},
	}
}

// readBackWindow is how long a state-changing command polls the chain for
// its effect before it reports failure.
const readBackWindow = 3 * time.Second

// prepareErr maps a refusal to prepare a producer action to its exit code:
// usage (2), or refused for safety (4) when the chain's contract does not
// have the action.
func prepareErr(err error) error {
	switch {
	case errors.Is(err, producer.ErrUsage):
		return withCode(exitUsage, err)
	case errors.Is(err, chain.ErrActionNotInABI):
		return withCode(exitRefused, err)
	}
	return err
}

// fmtTime writes a chain time as bpkeys writes every time, on screen, in
// text and in JSON: RFC 3339 in UTC, to the second. A time the chain
// never set (zero, or the Unix epoch of a producer that never claimed)
// is "never".
func fmtTime(t time.Time) string {
	if t.IsZero() || t.Unix() <= 0 {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// sendFlags are the flags rotate-key and unregister share.
type sendFlags struct {
	signers  []string
	via      string
	proposer string
	proposal string
	dryRun   bool
}

func (f *sendFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.signers, "signer", nil, "key reference that signs (repeatable): pkcs11:... or yubikey:...")
	cmd.Flags().StringVar(&f.via, "via", "", "direct or msig (default: direct when the signers satisfy the permission, else a proposal)")
	cmd.Flags().StringVar(&f.proposer, "proposer", "", "msig: ACTOR@PERMISSION that proposes (default: the first approver the signers satisfy)")
	cmd.Flags().StringVar(&f.proposal, "proposal-name", "", "msig: the proposal's name (default: derived from the action and time)")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "show everything that would be signed, sign nothing")
}

func (f *sendFlags) options() (producer.SendOptions, error) {
	via, err := producer.ParseVia(f.via)
	if err != nil {
		return producer.SendOptions{}, usageErr("--via: %w", err)
	}
	return producer.SendOptions{Via: via, Proposer: f.proposer, ProposalName: f.proposal}, nil
}

// printPlan shows what will be signed.
func (a *app) printPlan(w func(string, ...any), p *producer.Plan, signers []signer.Signer) {
	w("action:       eosio::%s %s", p.ActionName, string(p.ActionData))
	how := "not linked, so active"
	if p.Linked {
		how = "linked to eosio::" + p.ActionName
	}
	w("permission:   %s@%s (%s)", p.Account, p.Permission, how)
	w("via:          %s: %s", p.Via, p.Why)
	if p.Via == producer.ViaMsig {
		w("proposal:     %s/%s by %s, approvals requested from %s", strings.SplitN(p.Proposer, "@", 2)[0], p.ProposalName, p.Proposer, strings.Join(p.Requested, ", "))
		w("proposal hash (the proposed transaction's id): %s", p.ProposalHash)
	}
	w("transaction:  %s on chain %s", p.TrxID, p.ChainID)
	w("actions:      %s", strings.Join(p.Actions, "; "))
	byKey := map[signer.PublicKey]string{}
	for _, s := range signers {
		byKey[s.PublicKey()] = signer.Describe(s)
	}
	for _, k := range p.Required {
		w("signs with:   %s (%s)", k, byKey[k])
	}
}

// sendResult is what rotate-key and unregister print with --json.
type sendResult struct {
	Plan        *producer.Plan      `json:"plan"`
	Old         *producer.Row       `json:"old,omitempty"`
	New         any                 `json:"new_authority,omitempty"`
	DryRun      bool                `json:"dry_run,omitempty"`
	Outcome     *producer.Outcome   `json:"outcome,omitempty"`
	ElapsedMS   float64             `json:"elapsed_ms,omitempty"`
	PromptMS    float64             `json:"prompt_ms,omitempty"`
	Confirmed   bool                `json:"confirmed,omitempty"`
	Row         *producer.Row       `json:"row_after,omitempty"`
	KeyRecord   string              `json:"key_record,omitempty"`
	Key         *producer.KeyRecord `json:"key,omitempty"`
	Review      string              `json:"review_command,omitempty"`
	Approve     string              `json:"approve_command,omitempty"`
	Generated   string              `json:"generated_on,omitempty"`
	Placeholder bool                `json:"placeholder_key,omitempty"`
}

// msElapsed returns d in milliseconds with a decimal.
func msElapsed(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// generateSigningKey makes the new block-signing key on the device at ref:
// R1 on a YubiKey (PIV holds P-256 only), K1 on an HSM, R1 when the HSM
// cannot do secp256k1.
func (a *app) generateSigningKey(ctx context.Context, refStr, curve string) (signer.PublicKey, error) {
	ref, err := signer.ParseRef(refStr)
	if err != nil {
		return signer.PublicKey{}, usageErr("--generate: %w", err)
	}
	b, err := a.registry.Backend(ref.Scheme)
	if err != nil {
		return signer.PublicKey{}, usageErr("--generate: %w", err)
	}
	opts := devices.GenerateOptions{Curve: signer.CurveK1}
	if ref.Scheme == "yubikey" {
		opts.Curve = signer.CurveR1
	}
	if curve != "" {
		if opts.Curve, err = signer.ParseCurve(curve); err != nil {
			return signer.PublicKey{}, usageErr("--curve: %w", err)
		}
		if ref.Scheme == "yubikey" && opts.Curve == signer.CurveK1 {
			return signer.PublicKey{}, usageErr("--curve k1: a YubiKey's PIV applet holds P-256 keys only, so YubiKey keys are R1; use an HSM (pkcs11:) for a K1 key")
		}
	}
	pub, err := b.Generate(ctx, ref, opts)
	if err != nil && curve == "" && opts.Curve == signer.CurveK1 && errors.Is(err, pkcs11.ErrK1Unsupported) {
		a.info("bpkeys: this token cannot make secp256k1 keys; generating an R1 (P-256) key instead")
		opts.Curve = signer.CurveR1
		pub, err = b.Generate(ctx, ref, opts)
	}
	if err != nil {
		return signer.PublicKey{}, fmt.Errorf("generating the new block-signing key on %s: %w", ref, err)
	}
	return pub, nil
}

func newProducerRotateCmd(a *app) *cobra.Command {
	var (
		f         sendFlags
		newKeys   []string
		generate  string
		curve     string
		threshold uint32
		replace   string
	)
	cmd := &cobra.Command{
		Use:   "rotate-key ACCOUNT (--new-key KEY | --generate REF)",
		Short: "Emergency: register a new block-signing key (regproducer / regproducer2)",
		Long: "Register a new block-signing key for ACCOUNT, keeping its url and location.\n" +
			"The action is sent directly when the --signer keys satisfy the permission linked to\n" +
			"eosio::regproducer (else active); otherwise it is proposed to eosio.msig and the command\n" +
			"the other approvers run is printed. The new public key and where it lives are written\n" +
			"to $XDG_STATE_HOME/bpkeys/producer-keys/ for the node operator.\n\n" +
			"  bpkeys producer rotate-key bpteam111111 --generate 'pkcs11:token=bp-hsm;object=block-2026' --signer 'pkcs11:token=bp-hsm;object=rotate'\n" +
			"  bpkeys producer rotate-key bpteam111111 --new-key PUB_K1_... --signer 'yubikey:slot=9c' --via msig",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start := time.Now()
			ctx := cmd.Context()
			account := args[0]
			opts, err := f.options()
			if err != nil {
				return err
			}
			if (len(newKeys) == 0) == (generate == "") {
				return usageErr("give the new key with --new-key KEY, or --generate REF to make it on a device (one of them)")
			}
			req := producer.RotateRequest{Account: account, Threshold: threshold, SendOptions: opts}
			for _, s := range newKeys {
				k, err := signer.ParsePublicKey(s)
				if err != nil {
					return usageErr("--new-key: %w", err)
				}
				req.NewKeys = append(req.NewKeys, k)
			}
			if replace != "" {
				k, err := signer.ParsePublicKey(replace)
				if err != nil {
					return usageErr("--replace: %w", err)
				}
				req.Replace = &k
			}
			c, err := a.chainClient()
			if err != nil {
				return err
			}
			if err := accountsExist(ctx, c, account); err != nil {
				return err
			}
			signers, closeSigners, err := a.openSigners(ctx, f.signers)
			if err != nil {
				return err
			}
			defer closeSigners()

			res := sendResult{DryRun: f.dryRun}
			where := "given on the command line (--new-key)"
			rec := producer.KeyRecord{Account: account, Time: start.UTC()}
			if generate != "" {
				where = generate
				res.Generated = generate
				if f.dryRun {
					// Nothing changes in a dry run, the device included: plan
					// with a placeholder whose private half is discarded.
					pub, err := producer.Placeholder()
					if err != nil {
						return err
					}
					req.NewKeys = []signer.PublicKey{pub}
					res.Placeholder = true
					a.info("dry run: no key is generated on %s; the plan below uses a placeholder key", generate)
				} else {
					pub, err := a.generateSigningKey(ctx, generate, curve)
					if err != nil {
						return err
					}
					req.NewKeys = []signer.PublicKey{pub}
					rec.PublicKey, rec.Curve, rec.Where, rec.Status = pub.String(), pub.Curve.String(), where, producer.KeyGenerated
					if pub.Curve == signer.CurveK1 {
						rec.LegacyKey = pub.Legacy()
					}
					if path, err := producer.WriteKeyRecord(producer.KeyRecordDir(stateDir()), rec); err == nil {
						res.KeyRecord = path
					} else {
						a.info("warning: %v", err)
					}
					a.info("generated %s on %s", pub, generate)
				}
			}
			rot, err := producer.PrepareRotation(ctx, c, req, signers)
			if err != nil {
				return prepareErr(err)
			}
			res.Plan, res.Old, res.New = rot.Plan, rot.Old, rot.New
			var oldKeys []string
			for _, k := range rot.Old.Authority.Keys {
				oldKeys = append(oldKeys, k.Key.String())
			}
			rec.OldKeys, rec.Authority, rec.Action, rec.Via = oldKeys, rot.New, rot.ActionName, rot.Via
			if len(rot.New.Keys) == 1 || req.Replace != nil {
				nk := req.NewKeys[0]
				rec.PublicKey, rec.Curve = nk.String(), nk.Curve.String()
				if nk.Curve == signer.CurveK1 {
					rec.LegacyKey = nk.Legacy()
				}
			} else {
				rec.PublicKey, rec.Curve = rot.New.Keys[0].Key.String(), "authority"
			}
			rec.Where = where

			show := a.info
			if f.dryRun {
				show = a.out
			}
			if !a.json || !f.dryRun {
				show("rotate the block-signing key of %s", account)
				show("old:          %s", describeAuthority(rot.Old.Authority))
				show("new:          %s", describeAuthority(rot.New))
				show("kept:         url %q, location %d", rot.Old.URL, rot.Old.Location)
				a.printPlan(show, rot.Plan, signers)
			}
			if f.dryRun {
				if a.json {
					return a.printJSON(res)
				}
				show("dry run: nothing was signed or sent")
				return nil
			}
			out, waited, err := a.signProducerPlan(ctx, c, rot.Plan, signers, func() (time.Duration, error) {
				return a.confirm("Sign and send this rotation?")
			})
			if err != nil {
				return err
			}
			elapsed := time.Since(start) - waited
			res.Outcome, res.ElapsedMS, res.PromptMS = out, msElapsed(elapsed), msElapsed(waited)
			rec.TrxID = out.TrxID
			rec.Status = producer.KeyPending
			var notShown error
			if rot.Via == producer.ViaMsig {
				rec.Proposal = strings.SplitN(rot.Proposer, "@", 2)[0] + "/" + rot.ProposalName
				res.Review, res.Approve = rot.ReviewCommand(), rot.ApproveCommand()
			} else {
				res.Row, notShown = producer.ReadBackRotation(ctx, c, account, out.TrxID, rot.New, readBackWindow, nil)
				if res.Confirmed = notShown == nil; res.Confirmed {
					rec.Status = producer.KeyInstalledReady
				}
			}
			if path, err := producer.WriteKeyRecord(producer.KeyRecordDir(stateDir()), rec); err == nil {
				res.KeyRecord = path
			} else {
				a.info("warning: %v", err)
			}
			res.Key = &rec
			if a.json {
				if err := a.printJSON(res); err != nil {
					return err
				}
				return notShown
			}
			a.out("old key:      %s", describeAuthority(rot.Old.Authority))
			a.out("new key:      %s (private key on %s)", describeAuthority(rot.New), where)
			a.out("transaction:  %s (via %s)", out.TrxID, out.Endpoint)
			a.out("pushed in:    %s from invocation (excluding %s at the confirmation prompt)", elapsed.Round(time.Microsecond), waited.Round(time.Millisecond))
			switch {
			case rot.Via == producer.ViaMsig:
				a.out("proposed:     %s/%s; the rotation happens when enough of %s approve and someone executes it", strings.SplitN(rot.Proposer, "@", 2)[0], rot.ProposalName, strings.Join(rot.Requested, ", "))
				a.out("others run:   %s", rot.ReviewCommand())
				a.out("              %s", rot.ApproveCommand())
			case res.Confirmed:
				a.out("confirmed:    the producers table now shows %s", describeAuthority(res.Row.Authority))
			}
			switch {
			case res.KeyRecord != "" && rec.Status == producer.KeyInstalledReady:
				a.out("key record:   %s (installed-ready: install the new key in the producing node's signature-provider)", res.KeyRecord)
			case res.KeyRecord != "":
				a.out("key record:   %s (pending: the chain does not use the new key yet; keep the old key on the node until bpkeys producer show %s shows it)", res.KeyRecord, account)
			}
			if generate != "" {
				a.printSignerHint(req.NewKeys[0], generate)
			}
			return notShown
		},
	}
	f.register(cmd)
	cmd.Flags().StringArrayVar(&newKeys, "new-key", nil, "the new public key (repeat for a multi-key authority, sent as regproducer2)")
	cmd.Flags().StringVar(&generate, "generate", "", "generate the new key on this device reference (K1 on an HSM where supported, R1 on a YubiKey)")
	cmd.Flags().StringVar(&curve, "curve", "", "with --generate: k1 or r1")
	cmd.Flags().Uint32Var(&threshold, "threshold", 0, "with several --new-key: the authority's threshold (default: all keys)")
	cmd.Flags().StringVar(&replace, "replace", "", "on a multi-key authority: the key the new key replaces")
	return cmd
}

func describeAuthority(au producer.Authority) string {
	switch {
	case len(au.Keys) == 0:
		return "none"
	case au.IsSingleKey():
		return au.Keys[0].Key.String()
	}
	parts := make([]string, len(au.Keys))
	for i, k := range au.Keys {
		parts[i] = fmt.Sprintf("%s (weight %d)", k.Key, k.Weight)
	}
	return fmt.Sprintf("threshold %d of %s", au.Threshold, strings.Join(parts, ", "))
}

func newProducerUnregisterCmd(a *app) *cobra.Command {
	var f sendFlags
	cmd := &cobra.Command{
		Use:   "unregister ACCOUNT",
		Short: "The kill switch: unregprod, so the producer stops producing blocks",
		Long: "Send eosio::unregprod for ACCOUNT, directly when the --signer keys satisfy the permission\n" +
			"linked to it (else active), otherwise as a proposal. Asks you to type the account name\n" +
			"unless --yes. Register again with bpkeys producer rotate-key.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start := time.Now()
			ctx := cmd.Context()
			account := args[0]
			opts, err := f.options()
			if err != nil {
				return err
			}
			c, err := a.chainClient()
			if err != nil {
				return err
			}
			if err := accountsExist(ctx, c, account); err != nil {
				return err
			}
			signers, closeSigners, err := a.openSigners(ctx, f.signers)
			if err != nil {
				return err
			}
			defer closeSigners()
			plan, row, err := producer.PrepareUnregister(ctx, c, account, opts, signers)
			if err != nil {
				return prepareErr(err)
			}
			res := sendResult{Plan: plan, Old: row, DryRun: f.dryRun}
			show := a.info
			if f.dryRun {
				show = a.out
			}
			if !a.json || !f.dryRun {
				show("UNREGISTER %s: it stops producing blocks until it registers again", account)
				show("current key:  %s", describeAuthority(row.Authority))
				a.printPlan(show, plan, signers)
			}
			if f.dryRun {
				if a.json {
					return a.printJSON(res)
				}
				show("dry run: nothing was signed or sent")
				return nil
			}
			out, waited, err := a.signProducerPlan(ctx, c, plan, signers, func() (time.Duration, error) {
				return a.confirmTyped("This pulls the plug on "+account+".", account)
			})
			if err != nil {
				return err
			}
			elapsed := time.Since(start) - waited
			res.Outcome, res.ElapsedMS, res.PromptMS = out, msElapsed(elapsed), msElapsed(waited)
			var notShown error
			if plan.Via == producer.ViaMsig {
				res.Review, res.Approve = plan.ReviewCommand(), plan.ApproveCommand()
			} else {
				res.Row, notShown = producer.ReadBackUnregistered(ctx, c, account, out.TrxID, readBackWindow, nil)
				res.Confirmed = notShown == nil
			}
			if a.json {
				if err := a.printJSON(res); err != nil {
					return err
				}
				return notShown
			}
			a.out("transaction:  %s (via %s)", out.TrxID, out.Endpoint)
			a.out("pushed in:    %s from invocation (excluding %s at the confirmation prompt)", elapsed.Round(time.Microsecond), waited.Round(time.Millisecond))
			switch {
			case plan.Via == producer.ViaMsig:
				a.out("proposed:     %s/%s; it takes effect when enough of %s approve and someone executes it", strings.SplitN(plan.Proposer, "@", 2)[0], plan.ProposalName, strings.Join(plan.Requested, ", "))
				a.out("others run:   %s", plan.ReviewCommand())
				a.out("              %s", plan.ApproveCommand())
			case res.Confirmed:
				a.out("confirmed:    %s is no longer active", account)
			}
			return notShown
		},
	}
	f.register(cmd)
	return cmd
}

// signProducerPlan shows a producer plan's frozen transaction, asks with
// confirm, and signs it through the gate.
func (a *app) signProducerPlan(ctx context.Context, c *chain.Client, plan *producer.Plan, signers []signer.Signer, confirm func() (time.Duration, error)) (*producer.Outcome, time.Duration, error) {
	t, err := a.permsTeam()
	if err != nil {
		return nil, 0, err
	}
	g, err := a.gate(c, t, nil)
	if err != nil {
		return nil, 0, err
	}
	prep, err := plan.Prepare(ctx, g)
	if err != nil {
		return nil, 0, err
	}
	for _, l := range prep.Lines() {
		a.info("  %s", l)
	}
	waited, err := confirm()
	if err != nil {
		return nil, waited, err
	}
	if err := prep.Confirmed(); err != nil {
		return nil, waited, err
	}
	res, err := g.Sign(ctx, prep, signers)
	if err != nil {
		return nil, waited, err
	}
	return producer.OutcomeOf(res), waited, nil
}
