package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/policies"
)

func newPolicyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Check an account against the built-in safety rules and a policy file"}
	cmd.AddCommand(newPolicyCheckCmd(a))
	return cmd
}

func newPolicyCheckCmd(a *app) *cobra.Command {
	var policyFile string
	cmd := &cobra.Command{
		Use:   "check ACCOUNT [--policy FILE] [--team FILE]",
		Short: "Check an account's current permissions: exit 0 when clean, 3 when there are findings",
		Long: `Check ACCOUNT's current permissions against the built-in rules (thresholds reachable, accounts
existing, owner and active satisfiable by the team's keys, linked permissions satisfiable, no recursion
past depth 6, no native action linked, keys nobody holds) and, with --policy, the policy file's rules
(minimum thresholds and holders, hardware keys only, attestation, allowed links, no shared keys, no
single person, drift from the desired tree). Without --team, lockouts are checked against every key.
Exits 0 when there is no finding, 3 when there is any.`,
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
			acct, w, err := permsLoad(ctx, c, args[0])
			if err != nil {
				return err
			}
			if t == nil {
				a.info("no --team file: lockouts are checked against every key, not against the keys the team holds")
			}
			fs := policies.CheckAccount(w, acct.Name, t, pol)
			if a.json {
				if err := a.printJSON(struct {
					Account  string             `json:"account"`
					Findings []policies.Finding `json:"findings"`
				}{acct.Name, fs}); err != nil {
					return err
				}
			} else if len(fs) == 0 {
				a.out("%s: no findings", acct.Name)
			} else {
				for _, f := range fs {
					a.out("%s", f)
				}
			}
			if len(fs) > 0 {
				return withCode(exitPolicy, fmt.Errorf("%s: %d finding(s)", acct.Name, len(fs)))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&policyFile, "policy", "", "policy file (policy.yaml)")
	return cmd
}
