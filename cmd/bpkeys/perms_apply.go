package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/internal/inputfile"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/policies"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
	"github.com/bpkeys/bpkeys/txflow"
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
			res, err := a.permsApply(cmd.Context(), args[0], refs, policyFile)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(res)
			}
			for _, tx := range res.Transactions {
				a.out("%s", tx.ID)
			}
			a.info("%s now has the planned permissions", res.Account)
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

// permsApply checks the plan file against its edits and the chain, the
// account against the plan (drift), the rules and the signers, then signs
// the plan's transactions through the gate.
func (a *app) permsApply(ctx context.Context, file string, refs []string, policyFile string) (*permsApplied, error) {
	b, err := inputfile.Read(file, "plan file", inputfile.MaxPlan)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("reading the plan: %w", err))
	}
	t, err := a.permsTeam()
	if err != nil {
		return nil, err
	}
	pol, err := permsPolicy(policyFile)
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, usageErr("no --signer: name the YubiKey or HSM keys that sign (see 'bpkeys keys list')")
	}
	c, err := a.chainClient()
	if err != nil {
		return nil, err
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	p, err := txflow.ReadPlan(b, chainID, permsLabel(t))
	if err != nil {
		return nil, err
	}
	if err := a.permsCheckDrift(ctx, c, p, t); err != nil {
		return nil, err
	}
	signers, closeSigners, err := a.openRequiredSigners(ctx, refs)
	if err != nil {
		return nil, err
	}
	defer closeSigners()
	if err := a.permsJudge(ctx, c, p, t, pol, pubsOf(signers)); err != nil {
		return nil, err
	}
	g, err := a.gate(c, t, pol)
	if err != nil {
		return nil, err
	}
	job, err := txflow.PlanJob(p, permsFetch(c))
	if err != nil {
		return nil, err
	}
	job.Avail = pubsOf(signers)
	job.Show = append([]string{fmt.Sprintf("plan for %s (computed from its actions):", p.Account)}, indent(p.Diff)...)
	prep, err := prepareJob(ctx, g, job)
	if err != nil {
		return nil, err
	}
	if err := a.showAndConfirm(prep, "Sign and push?"); err != nil {
		return nil, err
	}
	done, err := g.Sign(ctx, prep, signers)
	res := &permsApplied{Account: p.Account}
	if done != nil {
		for i, pr := range done.Pushed {
			a.info("signed transaction %d of %d with %s", i+1, len(done.Stages), keysText(done.Required[i], permsLabel(t)))
			res.Transactions = append(res.Transactions, permsSentTrx{ID: pr.TransactionID.String(), Digest: done.Stages[i].Frozen.DigestHex()})
			a.info("pushed transaction %s", pr.TransactionID)
		}
	}
	if err != nil {
		return nil, err
	}
	res.Matches = true
	return res, nil
}

// permsCheckDrift refuses a plan whose before tree is not the account now.
func (a *app) permsCheckDrift(ctx context.Context, c *chain.Client, p *permissions.Plan, t *team.Team) error {
	acct, err := permsFetch(c)(ctx, p.Account)
	if err != nil {
		return err
	}
	if acct.AuthChange, err = txflow.ReadAuthLimit(ctx, c, p.Account); err != nil {
		return err
	}
	if !txflow.SameAuthLimit(acct.AuthChange, p.Before.AuthChange) {
		return withCode(exitRefused, fmt.Errorf("%s's limitauthchg setting changed since the plan was made: make the plan again", p.Account))
	}
	if acct.Equal(p.Before) {
		return nil
	}
	a.info("%s changed since the plan was made:", p.Account)
	for _, l := range permissions.Diff(p.Before, acct, permsLabel(t)) {
		a.info("  %s", l)
	}
	return withCode(exitRefused, fmt.Errorf("%s's permissions changed since the plan was made (drift between the plan and the chain): make the plan again", p.Account))
}

// permsJudge runs the plan rules (the gate runs them again on the
// transaction's effects) and checks the signers can authorize every action.
func (a *app) permsJudge(ctx context.Context, c *chain.Client, p *permissions.Plan, t *team.Team, pol *policies.Policy, keys []signer.PublicKey) error {
	_, w, err := permsLoad(ctx, c, p.Account)
	if err != nil {
		return err
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
	return p.CheckSigners(w, keys, t.Holder)
}

func indent(ls []string) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = "  " + l
	}
	return out
}
