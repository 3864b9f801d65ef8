package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	eos "github.com/eoscanada/eos-go"
	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/policies"
	"github.com/bpkeys/bpkeys/signer"
)

// permsApplied is what perms apply reports.
type permsApplied struct {
	Account      string         `json:"account"`
	Transactions []permsSentTrx `json:"transactions"`
	// Matches is true when the account read back equals the plan's after
	// tree.
	Matches bool `json:"matches_plan"`
}

type permsSentTrx struct {
	ID     string `json:"transaction_id"`
	Digest string `json:"digest"`
}

func newPermsApplyCmd(a *app) *cobra.Command {
	var (
		refs       []string
		policyFile string
	)
	cmd := &cobra.Command{
		Use:   "apply PLAN --signer REF...",
		Short: "Apply a plan: re-check the account and the policies, show what will be signed, sign with the required keys and push",
		Long: `Apply a plan made by 'perms plan --out'. bpkeys re-reads the account and refuses (exit 4) when it
changed since the plan was made, rebuilds the plan's actions from its edits and refuses a plan file
that was altered, re-checks the built-in rules (exit 4) and the --policy file (exit 3), checks that
the --signer keys can satisfy every action's authorization, shows the decoded actions and the digest
of each transaction, asks for confirmation (unless --yes; with no stdin it refuses), signs with
exactly the keys nodeos requires (journalled, see 'bpkeys audit') and pushes. A plan that creates a permission under another it
creates needs two transactions; they are pushed in order.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			b, err := os.ReadFile(args[0])
			if err != nil {
				return withCode(exitUsage, fmt.Errorf("reading the plan: %w", err))
			}
			p, err := permissions.UnmarshalPlan(b)
			if err != nil {
				return withCode(exitRefused, err)
			}
			t, err := a.permsTeam()
			if err != nil {
				return err
			}
			pol, err := permsPolicy(policyFile)
			if err != nil {
				return err
			}
			if len(refs) == 0 {
				return usageErr("no --signer: name the YubiKey or HSM keys that sign (see 'bpkeys keys list')")
			}
			c, err := a.chainClient()
			if err != nil {
				return err
			}
			chainID, err := c.ChainID(ctx)
			if err != nil {
				return err
			}
			if p.ChainID != "" && p.ChainID != chainID.String() {
				return withCode(exitRefused, fmt.Errorf("the plan was made on chain %s but the endpoint serves chain %s: refusing", p.ChainID, chainID))
			}
			acct, w, err := permsLoad(ctx, c, p.Account)
			if err != nil {
				return err
			}
			if !acct.Equal(p.Before) {
				a.info("%s changed since the plan was made:", p.Account)
				for _, l := range permissions.Diff(p.Before, acct, permsLabel(t)) {
					a.info("  %s", l)
				}
				return withCode(exitRefused, fmt.Errorf("%s's permissions changed since the plan was made (drift between the plan and the chain): make the plan again", p.Account))
			}
			if !sameAuthLimit(acct.AuthChange, p.Before.AuthChange) {
				return withCode(exitRefused, fmt.Errorf("%s's limitauthchg setting changed since the plan was made: make the plan again", p.Account))
			}
			if err := w.Extend(ctx, permsFetch(c), p.After); err != nil {
				return err
			}
			p.Findings = policies.CheckPlan(p, w, t, pol)
			for _, f := range p.Findings {
				a.info("%s", f)
			}
			if err := permsVerdict(p.Findings, "this plan"); err != nil {
				return err
			}
			signers, closeSigners, err := a.openRequiredSigners(ctx, refs)
			if err != nil {
				return err
			}
			defer closeSigners()
			keys := make([]signer.PublicKey, len(signers))
			for i, s := range signers {
				keys[i] = s.PublicKey()
			}
			if err := permsCheckSigners(p, w, keys, t.Holder); err != nil {
				return err
			}
			job, err := permsApplyJob(ctx, c, chainID, p, keys)
			if err != nil {
				return err
			}
			stages := p.Stages()
			a.info("About to sign for %s on chain %s:", p.Account, chainID)
			for _, l := range p.Diff {
				a.info("  %s", l)
			}
			for i, st := range stages {
				a.info("Transaction %d of %d, digest %s, expires %s:", i+1, len(stages), hex.EncodeToString(job.stages[i].digest[:]), job.stages[i].tx.Expiration.Format("2006-01-02T15:04:05"))
				for _, act := range st {
					a.info("  eosio::%s by %s", act.Name, levelsText(act.Authorization))
					data, _ := hex.DecodeString(act.HexData)
					if js, err := contracts.DecodeActionJSON("eosio", eos.ActionName(act.Name), data); err == nil {
						a.info("    %s", js)
					} else {
						a.info("    %s (could not decode: %v)", act.HexData, err)
					}
				}
			}
			if _, err := a.confirm("Sign and push?"); err != nil {
				return err
			}
			done, err := a.signJobRun(ctx, c, job, signers)
			res := permsApplied{Account: p.Account}
			if done != nil {
				for i, pr := range done.pushed {
					a.info("signed transaction %d of %d with %s", i+1, len(job.stages), keysText(done.required[i], permsLabel(t)))
					res.Transactions = append(res.Transactions, permsSentTrx{ID: pr.TransactionID.String(), Digest: hex.EncodeToString(job.stages[i].digest[:])})
					a.info("pushed transaction %s", pr.TransactionID)
				}
			}
			if err != nil {
				return err
			}
			now, err := permsFetch(c)(ctx, p.Account)
			if err == nil {
				res.Matches = now.Equal(p.After)
			}
			if a.json {
				return a.printJSON(res)
			}
			for _, tx := range res.Transactions {
				a.out("%s", tx.ID)
			}
			if res.Matches {
				a.info("%s now has the planned permissions", p.Account)
			} else {
				a.info("warning: %s does not (yet) read back as planned; check with 'bpkeys perms show %s'", p.Account, p.Account)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&refs, "signer", nil, "key reference of a signing YubiKey or HSM key (repeatable)")
	cmd.Flags().StringVar(&policyFile, "policy", "", "policy file (policy.yaml) whose rules the result must meet")
	return cmd
}

func keysText(keys []signer.PublicKey, label func(signer.PublicKey) string) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = k.String()
		if label != nil {
			s[i] += " (" + label(k) + ")"
		}
	}
	return strings.Join(s, ", ")
}

// permsCheckSigners verifies that the signers' keys alone satisfy every
// authorization the plan declares (stage 1 against the chain as it is,
// later stages against the planned tree), and says who else is needed.
func permsCheckSigners(p *permissions.Plan, w *permissions.World, keys []signer.PublicKey, holderOf permissions.HolderFunc) error {
	after := w.With(p.After)
	for _, act := range p.Actions {
		world := w
		if act.Stage > 0 {
			world = after
		}
		for _, l := range act.Authorization {
			if world.Satisfied(l, keys) {
				continue
			}
			sets, _ := world.MinimalHolderSets(l, holderOf, 5)
			return fmt.Errorf("the --signer keys cannot satisfy %s, which %s needs; it takes %s: %w", l, act.Summary, setsText(sets, false), errSignersShort)
		}
	}
	return nil
}

var errSignersShort = errors.New("connect the devices of one of these sets and pass their --signer references")

// permsApplyJob builds the plan's transactions, one per stage, for the
// keys avail: the first stage's required keys are asked now, a later
// stage's when its turn comes (it needs what the earlier one creates).
// The CLI (perms apply) and the TUI (sign a plan directly) both sign it.
func permsApplyJob(ctx context.Context, c *chain.Client, chainID signer.ChainID, p *permissions.Plan, avail []signer.PublicKey) (*signJob, error) {
	job := &signJob{chainID: chainID, avail: avail}
	stages := p.Stages()
	for i, st := range stages {
		var acts []*eos.Action
		for _, act := range st {
			ea, err := act.EOS()
			if err != nil {
				return nil, err
			}
			acts = append(acts, ea)
		}
		note := fmt.Sprintf("perms apply %s: transaction %d of %d", p.Account, i+1, len(stages))
		ts, err := buildStage(ctx, c, chainID, note, acts, avail, i > 0)
		if err != nil {
			return nil, fmt.Errorf("transaction %d of %d: %w", i+1, len(stages), err)
		}
		job.stages = append(job.stages, ts)
	}
	return job, nil
}
