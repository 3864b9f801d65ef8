package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/policies"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
	"github.com/bpkeys/bpkeys/txflow"
)

// permsCommands are perms, policy and tx (permission trees, plans, policy
// checks, offline signing).
func (a *app) permsCommands() []*cobra.Command {
	return []*cobra.Command{newPermsCmd(a), newPolicyCmd(a), newTxCmd(a)}
}

func newPermsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "perms", Short: "Show an account's permission tree, plan changes to it and apply them safely"}
	cmd.AddCommand(newPermsShowCmd(a), newPermsPlanCmd(a), newPermsApplyCmd(a))
	return cmd
}

// permsTeam loads the --team file, or returns nil when none is given.
func (a *app) permsTeam() (*team.Team, error) {
	if strings.TrimSpace(a.team) == "" {
		return nil, nil
	}
	t, err := team.Load(a.team)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return t, nil
}

// permsPolicy loads a policy file, or returns nil for "".
func permsPolicy(path string) (*policies.Policy, error) {
	if strings.TrimSpace(path) == "" {
		return nil, nil
	}
	p, err := policies.Load(path)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return p, nil
}

// permsFetch reads accounts for permissions.LoadWorld.
func permsFetch(c *chain.Client) permissions.FetchFunc {
	return func(ctx context.Context, name string) (*permissions.Account, error) {
		ca, err := c.GetAccount(ctx, name)
		if chain.IsUnknownAccount(err) {
			return nil, fmt.Errorf("%s: %w", name, permissions.ErrNoAccount)
		}
		if err != nil {
			return nil, err
		}
		return permissions.FromChain(ca)
	}
}

// permsLoad reads an account and every account its authorities name.
func permsLoad(ctx context.Context, c *chain.Client, name string) (*permissions.Account, *permissions.World, error) {
	if _, err := permissions.ParseLevel(name + "@active"); err != nil {
		return nil, nil, usageErr("%q is not a valid account name", name)
	}
	acct, err := permsFetch(c)(ctx, name)
	if errors.Is(err, permissions.ErrNoAccount) {
		return nil, nil, noAccountErr(name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading account %s: %w", name, err)
	}
	if acct.AuthChange, err = txflow.ReadAuthLimit(ctx, c, name); err != nil {
		return nil, nil, err
	}
	w, err := permissions.LoadWorld(ctx, permsFetch(c), acct)
	if err != nil {
		return nil, nil, err
	}
	return acct, w, nil
}

func permsLabel(t *team.Team) permissions.LabelFunc {
	if t == nil {
		return nil
	}
	return t.Label
}

func newPermsShowCmd(a *app) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "show ACCOUNT",
		Short: "The permission tree: thresholds, weights, holders and devices, linked actions, and who can do what",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			switch format {
			case "text", "mermaid", "dot":
			case "json":
				a.json = true
			default:
				return usageErr("--format %q: expected text, json, mermaid or dot", format)
			}
			t, err := a.permsTeam()
			if err != nil {
				return err
			}
			c, err := a.chainClient()
			if err != nil {
				return err
			}
			acct, w, err := permsLoad(ctx, c, args[0])
			if err != nil {
				return err
			}
			holderOf := keyPlaces(w, acct.Name)
			if t != nil {
				holderOf = t.Holder
			}
			powers, err := permissions.WhoCanDoWhat(w, acct.Name, holderOf, t.MemberNames(), 0)
			if err != nil {
				return err
			}
			findings := policies.BuiltIn(w, acct.Name, t)
			if format == "mermaid" || format == "dot" {
				return a.permsDiagram(treeView(acct, w, t, nil), format)
			}
			if a.json {
				return a.printJSON(struct {
					Account  *permissions.Account `json:"account"`
					Powers   *permissions.Powers  `json:"who_can_do_what"`
					Findings []policies.Finding   `json:"findings"`
				}{acct, powers, nonNil(findings)})
			}
			if err := permissions.Render(a.stdout, acct, permsLabel(t)); err != nil {
				return err
			}
			a.out("")
			a.out("Who can do what (minimal sets of holders; any permission above the linked one works too):")
			if t == nil {
				a.out("  (no team file: keys are named by where they sit on chain; --team team.yaml, or team: in the config, names who holds each)")
			}
			for _, cpb := range powers.Capabilities {
				a.out("  %s (%s): %s", cpb.Name, cpb.Permission, permissions.SetsText(cpb.Sets, cpb.Truncated))
			}
			if t != nil {
				a.out("")
				for _, m := range powers.Members {
					alone := "nothing"
					if len(m.Alone) > 0 {
						alone = strings.Join(m.Alone, ", ")
					}
					a.out("  %s alone: %s", m.Member, alone)
					for _, j := range m.With {
						a.out("    %s with %s", j.Capability, permissions.SetsText(j.Others, false))
					}
				}
			}
			if len(findings) > 0 {
				a.out("")
				for _, f := range findings {
					a.out("%s", f)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text, json (as --json), or the tree as a diagram: mermaid (GitHub renders it) or dot (Graphviz)")
	return cmd
}

func nonNil(fs []policies.Finding) []policies.Finding {
	if fs == nil {
		return []policies.Finding{}
	}
	return fs
}

// permsEditFlags are perms plan's edit flags.
type permsEditFlags struct {
	rotate, addKey, removeKey, threshold, addAccount, removeAccount []string
	create, del, link, unlink                                       []string
	template                                                        string
	claimKeys, rotateKeys                                           []string
}

func (f *permsEditFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.rotate, "rotate", nil, "OLD=NEW: replace a key everywhere it appears, same weight (repeatable)")
	fl.StringArrayVar(&f.addKey, "add-key", nil, "PERM=KEY[:WEIGHT]: add a key (repeatable)")
	fl.StringArrayVar(&f.removeKey, "remove-key", nil, "PERM=KEY: remove a key (repeatable)")
	fl.StringArrayVar(&f.threshold, "threshold", nil, "PERM=N: set a threshold (repeatable)")
	fl.StringArrayVar(&f.addAccount, "add-account", nil, "PERM=ACTOR@PERMISSION[:WEIGHT]: add an account level (repeatable)")
	fl.StringArrayVar(&f.removeAccount, "remove-account", nil, "PERM=ACTOR@PERMISSION: remove an account level (repeatable)")
	fl.StringArrayVar(&f.create, "create", nil, "PERM:PARENT: create a permission (give its keys with --add-key)")
	fl.StringArrayVar(&f.del, "delete", nil, "PERM: delete a permission, unlinking its actions first")
	fl.StringArrayVar(&f.link, "link", nil, "PERM=CONTRACT::ACTION: link an action (CONTRACT::* for the whole contract; PERM eosio.any for any permission)")
	fl.StringArrayVar(&f.unlink, "unlink", nil, "CONTRACT::ACTION: remove a link")
	fl.StringVar(&f.template, "template", "", "producer: claim (eosio::claimrewards, eosio.bpay::claimrewards when the chain has it) and rotate (regproducer, regproducer2, unregprod) under active")
	fl.StringArrayVar(&f.claimKeys, "claim-key", nil, "with --template producer: a key of the claim permission (default: a copy of active's authority)")
	fl.StringArrayVar(&f.rotateKeys, "rotate-key", nil, "with --template producer: a key of the rotate permission (default: a copy of active's authority)")
}

func (f *permsEditFlags) edits(ctx context.Context, c *chain.Client) ([]permissions.Edit, error) {
	var out []permissions.Edit
	for _, g := range []struct {
		vals  []string
		parse func(string) (permissions.Edit, error)
	}{
		{f.rotate, permissions.ParseRotate}, {f.addKey, permissions.ParseAddKey}, {f.removeKey, permissions.ParseRemoveKey},
		{f.threshold, permissions.ParseThreshold}, {f.addAccount, permissions.ParseAddAccount}, {f.removeAccount, permissions.ParseRemoveAccount},
		{f.create, permissions.ParseCreate}, {f.del, permissions.ParseDelete}, {f.link, permissions.ParseLinkEdit}, {f.unlink, permissions.ParseUnlink},
	} {
		for _, v := range g.vals {
			e, err := g.parse(v)
			if err != nil {
				return nil, usageErr("%v", err)
			}
			out = append(out, e)
		}
	}
	if (len(f.claimKeys) > 0 || len(f.rotateKeys) > 0) && f.template == "" {
		return nil, usageErr("--claim-key and --rotate-key go with --template producer")
	}
	switch f.template {
	case "":
	case permissions.TemplateProducer:
		parse := func(flag string, ss []string) ([]signer.PublicKey, error) {
			var ks []signer.PublicKey
			for _, s := range ss {
				k, err := signer.ParsePublicKey(s)
				if err != nil {
					return nil, usageErr("--%s: %v", flag, err)
				}
				ks = append(ks, k)
			}
			return ks, nil
		}
		ck, err := parse("claim-key", f.claimKeys)
		if err != nil {
			return nil, err
		}
		rk, err := parse("rotate-key", f.rotateKeys)
		if err != nil {
			return nil, err
		}
		_, err = c.GetAccount(ctx, "eosio.bpay")
		bpay := err == nil
		if err != nil && !chain.IsUnknownAccount(err) {
			return nil, fmt.Errorf("checking whether the chain has eosio.bpay: %w", err)
		}
		out = append(out, permissions.ProducerTemplate(ck, rk, bpay))
	default:
		return nil, usageErr("--template %q: the only template is %q", f.template, permissions.TemplateProducer)
	}
	if len(out) == 0 {
		return nil, usageErr("nothing to change: give --rotate, --add-key, --remove-key, --threshold, --add-account, --remove-account, --create, --delete, --link, --unlink or --template")
	}
	return out, nil
}

// permsVerdict turns findings into the exit code: a built-in refusal is 4,
// a policy-file error 3.
func permsVerdict(fs []policies.Finding, what string) error {
	switch {
	case policies.Refuses(fs):
		return withCode(exitRefused, fmt.Errorf("refused: %s would hurt the account (see the errors above); nothing was signed", what))
	case policies.HasErrors(fs):
		return withCode(exitPolicy, fmt.Errorf("%s breaks the policy file (see the errors above); nothing was signed", what))
	}
	return nil
}

func (a *app) permsPrintPlan(p *permissions.Plan) {
	a.out("Plan for %s:", p.Account)
	for _, e := range p.Edits {
		a.out("  - %s", e)
	}
	a.out("")
	a.out("Changes:")
	if len(p.Diff) == 0 {
		a.out("  (none)")
	}
	for _, l := range p.Diff {
		a.out("  %s", l)
	}
	a.out("")
	a.out("Actions:")
	stages := p.Stages()
	for i, st := range stages {
		if len(stages) > 1 {
			a.out("  transaction %d of %d:", i+1, len(stages))
		}
		for _, act := range st {
			a.out("  eosio::%s by %s: %s", act.Name, levelsText(act.Authorization), act.Summary)
		}
	}
	a.out("")
	if len(p.Findings) == 0 {
		a.out("Findings: none")
		return
	}
	a.out("Findings:")
	for _, f := range p.Findings {
		a.out("  %s", f)
	}
}

func levelsText(ls []permissions.Level) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = l.String()
	}
	return strings.Join(s, ", ")
}

func newPermsPlanCmd(a *app) *cobra.Command {
	var (
		f          permsEditFlags
		out        string
		policyFile string
	)
	cmd := &cobra.Command{
		Use:   "plan ACCOUNT [edits...] [--out FILE]",
		Short: "Plan a permission change: the diff, the exact native actions, and the safety findings",
		Long: `Plan a change of ACCOUNT's permissions. Edits apply in a fixed order whatever order they are
given in: template, create, rotate, add, remove, threshold, link, unlink, delete. The plan shows the
before/after diff, the native actions (updateauth, linkauth, unlinkauth, deleteauth) with the authority
each declares, and the findings of the safety rules. A plan that a built-in rule refuses (a lockout, an
unreachable threshold, a linked permission left unsatisfiable, the last hardware key removed, recursion
past depth 6, a native action linked) exits 4 and is not written; one that breaks the --policy file
exits 3.

The producer template creates claim (eosio::claimrewards, and eosio.bpay::claimrewards when the chain
has eosio.bpay) and rotate (eosio::regproducer, regproducer2, unregprod) under active. Their keys are
--claim-key/--rotate-key when given, otherwise a copy of active's whole authority, so the template
never weakens anything: rotate in dedicated keys afterwards. Existing claim/rotate keep their keys
unless new ones are given; only the links are added.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			t, err := a.permsTeam()
			if err != nil {
				return err
			}
			pol, err := permsPolicy(policyFile)
			if err != nil {
				return err
			}
			c, err := a.chainClient()
			if err != nil {
				return err
			}
			edits, err := f.edits(ctx, c)
			if err != nil {
				return err
			}
			acct, w, err := permsLoad(ctx, c, args[0])
			if err != nil {
				return err
			}
			p, err := permissions.NewPlan(acct, edits, permsLabel(t))
			if err != nil {
				return withCode(exitUsage, err)
			}
			id, err := c.ChainID(ctx)
			if err != nil {
				return err
			}
			p.ChainID = id.String()
			if err := w.Extend(ctx, permsFetch(c), p.After); err != nil {
				return err
			}
			p.Findings = policies.CheckPlan(p, w, t, pol)
			if a.json {
				if err := a.printJSON(p); err != nil {
					return err
				}
			} else {
				a.permsPrintPlan(p)
			}
			if err := permsVerdict(p.Findings, "this plan"); err != nil {
				return err
			}
			if out != "" {
				b, err := permissions.MarshalPlan(p)
				if err != nil {
					return err
				}
				if err := os.WriteFile(out, b, 0o644); err != nil {
					return fmt.Errorf("writing the plan: %w", err)
				}
				a.info("plan written to %s; apply it with: bpkeys perms apply %s --signer REF", out, out)
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&out, "out", "", "write the plan (JSON) to FILE for review and 'perms apply'")
	cmd.Flags().StringVar(&policyFile, "policy", "", "policy file (policy.yaml) whose rules the result must meet")
	return cmd
}
