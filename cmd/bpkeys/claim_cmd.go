package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/hsm/piv"
	"github.com/bpkeys/bpkeys/hsm/pkcs11"
	"github.com/bpkeys/bpkeys/producer"
	"github.com/bpkeys/bpkeys/signer"
)

// claimDeps are the claim command's seams: tests inject a fake clock (no
// real waiting) and daemon options.
type claimDeps struct {
	clock  producer.Clock
	daemon producer.DaemonOptions
}

// permanentDeviceError reports device errors a retry cannot fix: retrying a
// wrong PIN would lock the token.
func permanentDeviceError(err error) bool {
	var missing *signer.MissingSignerError
	for _, target := range []error{pkcs11.ErrPINIncorrect, pkcs11.ErrPINLocked, pkcs11.ErrKeyNotFound, pkcs11.ErrNoModule, pkcs11.ErrModuleNotFound,
		pkcs11.ErrCannotSign, pkcs11.ErrUnsupportedCurve, piv.ErrPINBlocked, piv.ErrEmptySlot, signer.ErrPINInRef} {
		if errors.Is(err, target) {
			return true
		}
	}
	return errors.As(err, &missing) || signer.IsPermanent(err)
}

func newClaimCmd(a *app, deps claimDeps) *cobra.Command {
	var (
		refs       []string
		permission string
		daemon     bool
		metrics    string
		logFormat  string
		contracts  []string
		jitter     time.Duration
		retries    int
	)
	cmd := &cobra.Command{
		Use:   "claim ACCOUNT --signer REF",
		Short: "Claim producer rewards: once (cron, systemd timer) or as a daemon; never trips the 24-hour rule",
		Long: "Claim ACCOUNT's rewards from every reward contract of the chain: eosio::claimrewards, and\n" +
			"eosio.bpay::claimrewards on EOS mainnet or wherever eosio.bpay serves a rewards table\n" +
			"(only when it holds rewards for ACCOUNT). The last claim time is read first: before the\n" +
			"24 hours have passed nothing is sent and the command exits 0 with one line saying when the\n" +
			"next claim is allowed. A claim that loses the race to the rule is reported the same way.\n" +
			"It signs without asking: it only ever signs claimrewards for ACCOUNT with --permission.\n\n" +
			"  bpkeys claim bpteam111111 --signer 'pkcs11:token=bp-hsm;object=claim?pin-source=file:/etc/bpkeys/pin' --metrics /var/lib/node_exporter/textfile/bpkeys_claim.prom\n" +
			"  bpkeys claim bpteam111111 --signer ... --daemon --log-format json",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			account := args[0]
			if len(refs) == 0 {
				return usageErr("--signer REF is required: the key of %s@%s on the server's HSM", account, permission)
			}
			if retries < 0 || retries > 100 {
				return usageErr("--retries %d: expected 0 to 100", retries)
			}
			if jitter < 0 {
				return usageErr("--jitter %v: expected a duration of 0 or more", jitter)
			}
			for _, r := range refs {
				if _, err := signer.ParseRef(r); err != nil {
					return usageErr("--signer: %w", err)
				}
			}
			var handler slog.Handler
			switch logFormat {
			case "text":
				handler = slog.NewTextHandler(a.stderr, nil)
			case "json":
				handler = slog.NewJSONHandler(a.stderr, nil)
			default:
				return usageErr("--log-format %q: expected text or json", logFormat)
			}
			healthFile := endpointHealthFile(account)
			a.endpointDown = a.loadEndpointHealth(healthFile)
			c, err := a.chainClient()
			if err != nil {
				return err
			}
			defer func() { a.saveEndpointHealth(healthFile, c.Health()) }()
			if err := accountsExist(ctx, c, account); err != nil {
				return err
			}
			j, err := a.journal()
			if err != nil {
				return err
			}
			cl := &producer.Claimer{
				Chain: c, Journal: j, Account: account, Permission: permission,
				OpenSigners: func(ctx context.Context) ([]signer.Signer, func(), error) {
					return a.openSigners(ctx, refs)
				},
				PermanentSignerError: permanentDeviceError,
				Retries:              retries,
				Log:                  slog.New(handler),
				Clock:                deps.clock,
				LockDir:              stateDir(),
			}
			if len(contracts) > 0 {
				cl.RewardContracts = contracts
			}
			if metrics != "" {
				m, err := producer.LoadMetrics(metrics, account)
				if err != nil {
					return err
				}
				cl.Metrics = m
			}
			if daemon {
				o := deps.daemon
				if cmd.Flags().Changed("jitter") || o.Jitter == 0 {
					o.Jitter = jitter
					if jitter == 0 {
						o.Jitter = -1
					}
				}
				err := cl.Run(ctx, o)
				if err == nil && ctx.Err() != nil {
					return nil // SIGTERM: a clean stop
				}
				return err
			}
			res, err := cl.Once(ctx)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(res)
			}
			a.out("%s", claimLine(res))
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&refs, "signer", nil, "the claim key's reference (pkcs11:... with pin-source=env:/file:, or yubikey:...)")
	cmd.Flags().StringVar(&permission, "permission", "claim", "the permission linked to claimrewards")
	cmd.Flags().BoolVar(&daemon, "daemon", false, "run forever, claiming shortly after each allowed time; stops on SIGTERM")
	cmd.Flags().StringVar(&metrics, "metrics", "", "write Prometheus metrics to FILE (for node_exporter's textfile collector), atomically")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "log lines on stderr: text or json")
	cmd.Flags().StringSliceVar(&contracts, "contracts", nil, "reward contracts to claim from (default: eosio, plus eosio.bpay where the chain has it)")
	cmd.Flags().DurationVar(&jitter, "jitter", 2*time.Minute, "--daemon: up to this much random delay after each allowed time")
	cmd.Flags().IntVar(&retries, "retries", 3, "retries of transient failures (endpoints down, device hiccup) within one run")
	return cmd
}

// claimLine is the one line a claim run prints.
func claimLine(r *producer.ClaimResult) string {
	next := fmt.Sprintf("next claim allowed at %s (in %s)", fmtTime(r.NextAllowed), r.NextAllowed.Sub(r.HeadBlockTime).Round(time.Second))
	switch r.Status {
	case producer.Claimed:
		amount := strings.Join(r.Amounts, " + ")
		if amount == "" {
			amount = "rewards"
		}
		line := fmt.Sprintf("%s: claimed %s from %s in transaction %s; %s", r.Account, amount, strings.Join(r.Contracts, ", "), r.TrxID, next)
		if r.Activation != nil && r.Activation.NotActivated() {
			line += "; eosio: " + r.Activation.Explain()
		}
		return line
	case producer.AlreadyClaimed:
		return fmt.Sprintf("%s: already claimed within the past day, nothing sent; %s", r.Account, next)
	case producer.ClaimedByOther:
		return fmt.Sprintf("%s: claimed by another run while this one waited for it, nothing sent; %s", r.Account, next)
	case producer.NotActivated:
		return fmt.Sprintf("%s: nothing sent: the system contract is %s", r.Account, r.Activation.Explain())
	}
	return fmt.Sprintf("%s: not yet, nothing sent; %s", r.Account, next)
}
