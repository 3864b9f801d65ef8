package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/devchain/demokeys"
)

func newDevchainCmd(a *app) *cobra.Command {
	var (
		listen   string
		stateDir string
		genesis  string
		interval time.Duration
	)
	cmd := &cobra.Command{
		Use:   "devchain",
		Short: "Run a local chain speaking the nodeos API, with real authorization rules, eosio.msig and eosio.system producer actions",
		Long: `Run a local chain for tests and rehearsals. It is not a blockchain (no consensus, no WASM) but
checks transactions as nodeos does: expiration, TaPoS, signatures (K1 canonical, R1 low-S, no duplicate or
irrelevant ones), permissions and linkauth minimums; and runs the native account actions, eosio.msig,
regproducer/regproducer2/unregprod/claimrewards and token transfers. POST /v1/devchain/advance_time
{"seconds":N} moves its clock forward. It serves until interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var g *devchain.Genesis
			if genesis != "" {
				var err error
				if g, err = devchain.LoadGenesis(genesis); err != nil {
					return withCode(exitUsage, err)
				}
			}
			if interval <= 0 {
				return usageErr("--block-interval %v: expected a duration greater than 0", interval)
			}
			c, err := devchain.New(g, devchain.Options{BlockInterval: interval, StateDir: stateDir, Log: a.stderr})
			if err != nil {
				return err
			}
			return serveChain(cmd.Context(), a, c, listen, func(addr string) {
				a.info("devchain serving http://%s (chain id %s)", addr, c.ChainID())
				if stateDir != "" {
					a.info("state kept in %s", stateDir)
				}
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8888", "address to serve the nodeos API on")
	f.StringVar(&stateDir, "state", "", "directory keeping the chain state across restarts (default: none, state is lost on exit)")
	f.StringVar(&genesis, "genesis", "", "genesis JSON file (accounts, permissions, links, producers)")
	f.DurationVar(&interval, "block-interval", 500*time.Millisecond, "time between blocks")
	return cmd
}

// serveChain serves c on listen until ctx ends, then closes it.
func serveChain(ctx context.Context, a *app, c *devchain.Chain, listen string, started func(addr string)) error {
	if ctx == nil {
		ctx = context.Background()
	}
	addr, err := c.Start(ctx, listen)
	if err != nil {
		c.Close()
		return listenErr(listen, err)
	}
	started(addr.String())
	<-ctx.Done()
	a.info("stopping the devchain")
	if err := c.Close(); err != nil {
		return err
	}
	return ctx.Err()
}

func newDemoCmd(a *app) *cobra.Command {
	var (
		noTUI  bool
		listen string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Start a local chain with a sample producer team (alice, bob, carol and " + demokeys.ProducerAccount + ")",
		Long: `Start a devchain with a sample producer team and serve it until interrupted. The demo keys are
generated in memory at start, are never written anywhere, and only work on this demo chain; only their
public keys are printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("journal") {
				// Demo signatures on a throwaway chain stay out of the
				// operator's real signing journal, whatever config.yaml or
				// BPKEYS_JOURNAL name.
				a.journalPath = demoJournalPath()
			}
			team, err := demokeys.NewTeam()
			if err != nil {
				return err
			}
			if a.team == "" {
				// Every screen then names the demo's holders ("alice's
				// software key") and the lockout rules know what they hold.
				path, cleanup, err := writeDemoTeamFile(team)
				if err != nil {
					return err
				}
				defer cleanup()
				a.team = path
			}
			c, err := devchain.New(team.Genesis(), devchain.Options{})
			if err != nil {
				return err
			}
			if noTUI || !a.interactive() {
				return serveChain(cmd.Context(), a, c, listen, func(addr string) {
					printDemo(a, team, c, addr)
				})
			}
			addr, err := c.Start(cmd.Context(), listen)
			if err != nil {
				c.Close()
				return listenErr(listen, err)
			}
			defer c.Close()
			return a.runTUI(cmd.Context(), "http://"+addr.String(), team)
		},
	}
	cmd.Flags().BoolVar(&noTUI, "no-tui", false, "do not start the TUI; print the endpoint and accounts and serve")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8888", "address to serve the nodeos API on")
	return cmd
}

func printDemo(a *app, team *demokeys.Team, c *devchain.Chain, addr string) {
	url := "http://" + addr
	if a.json {
		members := map[string]string{}
		for _, m := range team.Members() {
			members[m.Account] = m.Key.PublicKey().String()
		}
		_ = a.printJSON(map[string]any{
			"endpoint": url, "chain_id": c.ChainID().String(), "producer": demokeys.ProducerAccount,
			"members": members, "claim_key": team.Claim.PublicKey().String(), "rotate_key": team.Rotate.PublicKey().String(),
			"spare_key":    team.Spare.PublicKey().String(),
			"producer_key": team.ProducerKey.String(),
		})
		return
	}
	a.out("bpkeys demo chain (DEMO ONLY: keys live in memory and vanish on exit)")
	a.out("  endpoint   %s", url)
	a.out("  chain id   %s", c.ChainID())
	a.out("")
	a.out("accounts:")
	for _, m := range team.Members() {
		a.out("  %-13s owner/active  %s", m.Account, m.Key.PublicKey())
	}
	a.out("  %-13s owner, active  2 of alice@active, bob@active, carol@active", demokeys.ProducerAccount)
	a.out("  %-13s claim          %s  (linked: eosio::claimrewards, eosio.bpay::claimrewards)", "", team.Claim.PublicKey())
	a.out("  %-13s rotate         %s  (linked: eosio::regproducer, eosio::regproducer2, eosio::unregprod)", "", team.Rotate.PublicKey())
	a.out("  producer key   %s", team.ProducerKey)
	a.out("  spare key      %s  (on no account: the demo device's key, for a rotation)", team.Spare.PublicKey())
	a.out("")
	a.out("try:")
	a.out("  curl -s %s/v1/chain/get_account -d '{\"account_name\":\"%s\"}'", url, demokeys.ProducerAccount)
	a.out("  curl -s %s/v1/chain/get_producers -d '{\"json\":true}'", url)
	a.out("  curl -s %s/v1/devchain/advance_time -d '{\"seconds\":86401}'", url)
	a.out("  bpkeys --url %s perms show %s", url, demokeys.ProducerAccount)
	a.out("  bpkeys --url %s producer show %s", url, demokeys.ProducerAccount)
	a.out("")
	a.out("demo signatures are journalled in %s (bpkeys audit show --journal %s)", a.journalPath, a.journalPath)
	a.info("serving until interrupted (Ctrl-C)")
}

// demoJournalPath is the demo's own signing journal, beside the real one.
func demoJournalPath() string {
	return filepath.Join(filepath.Dir(audit.DefaultPath()), "demo-journal.jsonl")
}

// writeDemoTeamFile writes a team file for the demo team: alice, bob and
// carol with their accounts and in-memory (software) keys, and "ops" holding
// the claim and rotate keys and the spare key of the demo device. The file is public data and is removed at exit.
func writeDemoTeamFile(t *demokeys.Team) (string, func(), error) {
	dir, err := os.MkdirTemp("", "bpkeys-demo-")
	if err != nil {
		return "", nil, fmt.Errorf("writing the demo team file: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	var b strings.Builder
	b.WriteString("# The bpkeys demo team. DEMO ONLY: its keys live in the demo process's memory.\nmembers:\n")
	for _, m := range t.Members() {
		fmt.Fprintf(&b, "  - name: %s\n    account: %s@active\n", m.Account, m.Account)
	}
	b.WriteString("  - name: ops\n    contact: the producer's servers\nkeys:\n")
	for _, m := range t.Members() {
		fmt.Fprintf(&b, "  - key: %s\n    holder: %s\n", m.Key.PublicKey(), m.Account)
	}
	fmt.Fprintf(&b, "  - key: %s\n    holder: ops\n  - key: %s\n    holder: ops\n", t.Claim.PublicKey(), t.Rotate.PublicKey())
	fmt.Fprintf(&b, "  # the spare key on the demo device, for the tour's key rotation\n  - key: %s\n    holder: ops\n", t.Spare.PublicKey())
	path := filepath.Join(dir, "team.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("writing the demo team file: %w", err)
	}
	return path, cleanup, nil
}

// listenErr names the --listen flag when the chain cannot listen, most
// often because another process (another demo?) holds the port.
func listenErr(listen string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("--listen %s: the address is in use by another process (another bpkeys demo or nodeos?); stop it or pick another with --listen 127.0.0.1:PORT: %w", listen, err)
	}
	return fmt.Errorf("--listen %s: %w", listen, err)
}
