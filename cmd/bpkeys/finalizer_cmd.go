package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	eos "github.com/eoscanada/eos-go"
	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/finalizer"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/producer"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/signer/bls"
	"github.com/bpkeys/bpkeys/team"
)

// finalizerCommands are finalizer show/register/activate/delete/failover
// and peerkey show/set/delete.
func (a *app) finalizerCommands() []*cobra.Command {
	cmd := &cobra.Command{Use: "finalizer", Short: "Savanna finalizer keys: show, register, activate, delete, fail over to another host"}
	cmd.AddCommand(newFinalizerShowCmd(a), newFinalizerCheckCmd(a), newFinalizerRegisterCmd(a), newFinalizerActivateCmd(a), newFinalizerDeleteCmd(a), newFinalizerFailoverCmd(a))
	return []*cobra.Command{cmd, newPeerKeyCmd(a)}
}

// finalizerShow is what finalizer show prints with --json.
type finalizerShow struct {
	*finalizer.Status
	PeerKey  string                `json:"peer_key,omitempty"`
	Hosts    map[string][]string   `json:"hosts_of_keys,omitempty"`
	Node     *finalizer.NodeVote   `json:"node,omitempty"`
	Findings []permissions.Finding `json:"findings"`
}

// finalizerGather reads everything finalizer show and check print.
func (a *app) finalizerGather(ctx context.Context, account string) (finalizerShow, error) {
	c, err := a.chainClient()
	if err != nil {
		return finalizerShow{}, err
	}
	st, err := finalizer.Read(ctx, c, account)
	if err != nil {
		return finalizerShow{}, err
	}
	out := finalizerShow{Status: st, Hosts: map[string][]string{}, Findings: []permissions.Finding{}}
	var peer *signer.PublicKey
	if pk, err := finalizer.ReadPeerKey(ctx, c, account); err == nil {
		out.PeerKey, peer = pk.String(), &pk
	} else if !errors.Is(err, finalizer.ErrNoPeerKey) {
		return out, err
	}
	var blockKeys []signer.PublicKey
	if st.Producer {
		row, err := producer.ReadRow(ctx, c, account)
		if err != nil {
			return out, err
		}
		blockKeys = row.Authority.PublicKeys()
	}
	t, err := a.permsTeam()
	if err != nil {
		return out, err
	}
	if t != nil {
		for _, k := range st.Keys {
			out.Hosts[k.Key.String()] = t.HostsOfFinalizerKey(k.Key)
		}
	}
	out.Findings = append(out.Findings, finalizer.Check(st, t, peer, blockKeys)...)
	return out, nil
}

func newFinalizerCheckCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "check ACCOUNT [--team FILE]",
		Short: "Check finalizer and peer keys against the team file's hosts: exit 0 when clean, 3 when there are findings",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := a.finalizerGather(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.team == "" {
				a.info("no --team file: only the chain-side rule is checked (hosts, keys on hosts and the peer key need the team file)")
			}
			if a.json {
				if err := a.printJSON(struct {
					Account  string                `json:"account"`
					Findings []permissions.Finding `json:"findings"`
				}{args[0], out.Findings}); err != nil {
					return err
				}
			} else if len(out.Findings) == 0 {
				a.out("%s: no findings", args[0])
			} else {
				for _, f := range out.Findings {
					a.out("%s", f)
				}
			}
			if len(out.Findings) > 0 {
				return withCode(exitPolicy, fmt.Errorf("%s: %d finding(s)", args[0], len(out.Findings)))
			}
			return nil
		},
	}
}

func newFinalizerShowCmd(a *app) *cobra.Command {
	var node string
	cmd := &cobra.Command{
		Use:   "show ACCOUNT",
		Short: "Registered finalizer keys, the active one, the finalizer policy, the peer key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			out, err := a.finalizerGather(ctx, args[0])
			if err != nil {
				return err
			}
			if node != "" {
				active, _ := out.Active()
				out.Node = finalizer.QueryNode(ctx, http.DefaultClient, node, active.Key)
			}
			if a.json {
				return a.printJSON(out)
			}
			a.printFinalizerShow(out)
			return nil
		},
	}
	cmd.Flags().StringVar(&node, "node", "", "also ask this nodeos (get_finalizer_info) whether the active key is voting")
	return cmd
}

func (a *app) printFinalizerShow(s finalizerShow) {
	prod := "registered producer"
	if !s.Producer {
		prod = "NOT a registered producer"
	}
	a.out("account:        %s (%s)", s.Account, prod)
	if len(s.Keys) == 0 {
		a.out("finalizer keys: none registered")
		if s.Savanna {
			a.out("                the chain runs Savanna: without an active finalizer key %s is left out of the schedule", s.Account)
		}
	} else {
		a.out("finalizer keys: %d registered", len(s.Keys))
		for _, k := range s.Keys {
			mark := "  "
			if k.Active {
				mark = "* "
			}
			line := fmt.Sprintf("  %s%s (id %d)", mark, k.Key, k.ID)
			if hosts, ok := s.Hosts[k.Key.String()]; ok {
				switch len(hosts) {
				case 0:
					line += "  on no host in the team file"
				default:
					line += "  on " + strings.Join(hosts, ", ")
				}
			}
			a.out("%s", line)
		}
		a.out("                (* active)")
	}
	switch {
	case !s.Savanna:
		a.out("policy:         the chain has not switched to Savanna (no finalizer policy proposed yet)")
	case s.InPolicy:
		a.out("policy:         the active key is in the last proposed finalizer policy")
	default:
		a.out("policy:         %s is NOT in the last proposed finalizer policy", s.Account)
	}
	if s.PeerKey != "" {
		a.out("peer key:       %s", s.PeerKey)
	} else {
		a.out("peer key:       none registered")
	}
	if n := s.Node; n != nil {
		a.out("node %s: %s", n.URL, n.Summary)
	}
	for _, f := range s.Findings {
		a.out("%s", f)
	}
}

// finalizerPrepare reads the account and builds one checked action.
func (a *app) finalizerStatus(ctx context.Context, account string) (*chain.Client, *finalizer.Status, error) {
	c, err := a.chainClient()
	if err != nil {
		return nil, nil, err
	}
	st, err := finalizer.Read(ctx, c, account)
	if err != nil {
		return nil, nil, err
	}
	return c, st, nil
}

func newFinalizerRegisterCmd(a *app) *cobra.Command {
	var f keySendFlags
	var key, pop string
	cmd := &cobra.Command{
		Use:   "register ACCOUNT --key PUB_BLS_... --pop SIG_BLS_...",
		Short: "Register a finalizer key (regfinkey), its proof of possession checked before signing",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if key == "" || pop == "" {
				return usageErr("--key and --pop are required (spring-util bls create key prints both)")
			}
			ctx := cmd.Context()
			c, st, err := a.finalizerStatus(ctx, args[0])
			if err != nil {
				return err
			}
			act, err := st.Register(f.permission, key, pop)
			if err != nil {
				return refusedLocally(err)
			}
			a.info("The proof of possession verifies against %s.", strings.TrimSpace(key))
			if len(st.Keys) == 0 {
				a.info("It is %s's first key, so it becomes the active one.", st.Account)
			}
			k, _ := bls.ParsePublicKey(strings.TrimSpace(key))
			sent, err := a.keySend(ctx, c, "finalizer regfinkey "+st.Account, []*eos.Action{act}, f, nil, func(ctx context.Context) error {
				return finalizer.Confirm(ctx, c, st.Account, k, finalizer.Registered)
			})
			if err != nil {
				return err
			}
			return a.reportKeySent(sent, fmt.Sprintf("registered finalizer key %s for %s", strings.TrimSpace(key), st.Account))
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&key, "key", "", "the finalizer public key (PUB_BLS_...)")
	cmd.Flags().StringVar(&pop, "pop", "", "its proof of possession (SIG_BLS_...)")
	return cmd
}

func (a *app) reportKeySent(sent *keySent, what string) error {
	if a.json {
		return a.printJSON(sent)
	}
	a.reportSent(sent, what)
	return nil
}

// finalizerKeyCmd is activate or delete: one registered key, a local
// check, the action, its read-back.
type finalizerKeyCmd struct {
	verb, short, flagHelp string
	build                 func(st *finalizer.Status, perm, key string) (*eos.Action, error)
	want                  finalizer.KeyState
	// warn returns advice shown before signing ("" for none).
	warn func(st *finalizer.Status) string
}

func newFinalizerKeyCmd(a *app, spec finalizerKeyCmd) *cobra.Command {
	var f keySendFlags
	var key string
	cmd := &cobra.Command{
		Use:   spec.verb + " ACCOUNT --key PUB_BLS_...",
		Short: spec.short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if key == "" {
				return usageErr("--key is required")
			}
			ctx := cmd.Context()
			c, st, err := a.finalizerStatus(ctx, args[0])
			if err != nil {
				return err
			}
			act, err := spec.build(st, f.permission, key)
			if err != nil {
				return refusedLocally(err)
			}
			if msg := spec.warn(st); msg != "" {
				a.info("%s", msg)
			}
			k, _ := bls.ParsePublicKey(strings.TrimSpace(key))
			sent, err := a.keySend(ctx, c, "finalizer "+string(act.Name)+" "+st.Account, []*eos.Action{act}, f, nil, func(ctx context.Context) error {
				return finalizer.Confirm(ctx, c, st.Account, k, spec.want)
			})
			if err != nil {
				return err
			}
			return a.reportKeySent(sent, fmt.Sprintf("%s finalizer key %s of %s", map[string]string{"activate": "activated", "delete": "deleted"}[spec.verb], k, st.Account))
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&key, "key", "", spec.flagHelp)
	return cmd
}

func newFinalizerActivateCmd(a *app) *cobra.Command {
	return newFinalizerKeyCmd(a, finalizerKeyCmd{
		verb: "activate", short: "Make a registered finalizer key the active one (actfinkey)", flagHelp: "the registered finalizer public key to activate",
		build: (*finalizer.Status).Activate, want: finalizer.ActiveKey,
		warn: func(st *finalizer.Status) string {
			if st.InPolicy {
				return st.Account + " is in the finalizer policy: actfinkey replaces the key in it at once; the host with the new key must be voting."
			}
			return ""
		},
	})
}

func newFinalizerDeleteCmd(a *app) *cobra.Command {
	return newFinalizerKeyCmd(a, finalizerKeyCmd{
		verb: "delete", short: "Delete a registered finalizer key (delfinkey); the active one only when it is the last", flagHelp: "the registered finalizer public key to delete",
		build: (*finalizer.Status).Delete, want: finalizer.Deleted,
		warn: func(st *finalizer.Status) string {
			if len(st.Keys) == 1 && st.Savanna {
				return fmt.Sprintf("warning: this is %s's last finalizer key: without one, %s is left out of the producer schedule", st.Account, st.Account)
			}
			return ""
		},
	})
}

func newFinalizerFailoverCmd(a *app) *cobra.Command {
	var f keySendFlags
	var host string
	cmd := &cobra.Command{
		Use:   "failover ACCOUNT --to HOST",
		Short: "Switch to another host in one transaction: actfinkey of its finalizer key and regproducer2 to its block-signing key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if host == "" {
				return usageErr("--to HOST is required (a host of the team file)")
			}
			t, err := a.permsTeam()
			if err != nil {
				return err
			}
			if t == nil {
				return usageErr("failover needs --team: the team file names each host's block-signing and finalizer keys")
			}
			ctx := cmd.Context()
			c, st, err := a.finalizerStatus(ctx, args[0])
			if err != nil {
				return err
			}
			row, err := producer.ReadRow(ctx, c, args[0])
			if err != nil {
				return err
			}
			plan, err := st.PlanFailover(t, host, f.permission, finalizer.ProducerSettings{URL: row.URL, Location: row.Location, Authority: row.Authority.Contract()})
			if err != nil {
				return refusedLocally(err)
			}
			show := func() {
				a.info("Failover of %s to host %s:", st.Account, plan.Host)
				if plan.FinalizerKey != "" {
					a.info("  finalizer key  %s becomes active (actfinkey)", plan.FinalizerKey)
				}
				if plan.BlockKey != "" {
					a.info("  block key      %s signs blocks (regproducer2, url and location kept)", plan.BlockKey)
				}
				a.info("  stop the old host's producer and finalizer before its keys are replaced; never run one finalizer key on two hosts")
			}
			sent, err := a.keySend(ctx, c, "finalizer failover "+st.Account+" to "+plan.Host, plan.Actions, f, show, func(ctx context.Context) error {
				return a.confirmFailover(ctx, c, st.Account, t, plan)
			})
			if err != nil {
				return err
			}
			return a.reportKeySent(sent, fmt.Sprintf("%s fails over to host %s", st.Account, plan.Host))
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&host, "to", "", "the host of the team file to switch to")
	return cmd
}

// signerKey parses a K1/R1 key given on the command line.
func signerKey(flag, s string) (signer.PublicKey, error) {
	k, err := signer.ParsePublicKey(strings.TrimSpace(s))
	if err != nil {
		return k, usageErr("%s: %w", flag, err)
	}
	return k, nil
}

// confirmFailover reads the failover's effect back: the host's finalizer
// key active and its block key the producer's signing key.
func (a *app) confirmFailover(ctx context.Context, c *chain.Client, account string, t *team.Team, plan *finalizer.Failover) error {
	h, _ := t.Host(plan.Host)
	if plan.FinalizerKey != "" {
		k, err := bls.ParsePublicKey(plan.FinalizerKey)
		if err != nil {
			return err
		}
		if err := finalizer.Confirm(ctx, c, account, k, finalizer.ActiveKey); err != nil {
			return err
		}
	}
	if plan.BlockKey != "" && h.BlockKey != nil {
		row, err := producer.ReadRow(ctx, c, account)
		if err != nil {
			return fmt.Errorf("reading %s's producers row back: %w", account, err)
		}
		if !row.Authority.Equal(producer.SingleKey(*h.BlockKey)) {
			return fmt.Errorf("%s's block-signing key does not read back as %s", account, h.BlockKey)
		}
	}
	return nil
}
