package main

import (
	"errors"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/blocksigner"
	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/hsm/piv"
	"github.com/bpkeys/bpkeys/hsm/pkcs11"
	"github.com/bpkeys/bpkeys/signer"
)

// newSignerCmd is bpkeys signer serve|status: nodeos's block signer
// (package blocksigner).
func newSignerCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "signer",
		Short: "Serve block-signing keys on an HSM or YubiKey to nodeos (KEOSD signature provider), with double-sign protection",
	}
	cmd.AddCommand(newSignerServeCmd(a), newSignerStatusCmd(a))
	return cmd
}

func loadSignerConfig(path string) (*blocksigner.Config, error) {
	if path == "" {
		return nil, usageErr("give the signer's configuration with --config FILE (see docs/block-signer.md)")
	}
	cfg, err := blocksigner.LoadConfig(path)
	if errors.Is(err, blocksigner.ErrConfig) || errors.Is(err, signer.ErrPINInRef) {
		return nil, withCode(exitUsage, err)
	}
	return cfg, err
}

func newSignerServeCmd(a *app) *cobra.Command {
	var path string
	var legacy bool
	cmd := &cobra.Command{
		Use:   "serve --config FILE",
		Short: "Serve /v1/wallet/sign_digest and get_public_keys for the configured keys until SIGTERM",
		Long: "Serve the configured keys to nodeos, which names this signer in config.ini:\n\n" +
			"  signature-provider = PUB_K1_...=KEOSD:unix:///run/bpkeys/signer.sock/v1/wallet/sign_digest\n\n" +
			"PINs are read once at start (pin-source env:, file:, fd:, or a prompt) and held until the\n" +
			"service stops. Block keys get a high-water mark per key: a second block at a height already\n" +
			"signed is refused. --legacy is for chains not yet on Savanna: no height check is possible\n" +
			"there, block keys are rate-limited only. SIGTERM answers the signature in flight and stops.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadSignerConfig(path)
			if err != nil {
				return err
			}
			logger := slog.New(slog.NewTextHandler(a.stderr, nil))
			pins := blocksigner.NewPINs()
			defer pins.Wipe()
			if err := pins.Preload(cfg); err != nil {
				return err
			}
			reg := devices.NewRegistry(
				pkcs11.New(pkcs11.WithPINReader(pins.Read)),
				piv.New(piv.Options{ReadSecret: pins.Read, Notify: func(msg string) { logger.Info(msg) }}),
			)
			ctx := cmd.Context()
			srv, err := blocksigner.New(ctx, cfg, blocksigner.Options{Open: reg.Open, Legacy: legacy, Logger: logger})
			if err != nil {
				return err
			}
			defer srv.Close()
			ln, err := blocksigner.Listen(cfg)
			if err != nil {
				return err
			}
			if legacy || cfg.Legacy {
				a.info("WARNING: legacy mode. Before Savanna the digest nodeos signs carries no block height, so the signer cannot refuse a second block at the same height; block keys are only rate-limited. Remove --legacy once the chain runs Savanna.")
			}
			for _, pub := range srv.PublicKeys() {
				line, _ := blocksigner.ProviderLine(cfg.Listen, pub)
				a.info("nodeos config.ini: %s", line)
			}
			if err := srv.Serve(ctx, ln); err != nil {
				return err
			}
			return srv.Close()
		},
	}
	cmd.Flags().StringVar(&path, "config", "", "the signer's YAML configuration (listen, state, keys)")
	cmd.Flags().BoolVar(&legacy, "legacy", false, "the chain is not on Savanna: no double-sign check is possible, rate-limit block keys instead")
	return cmd
}

func newSignerStatusCmd(a *app) *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "status --config FILE",
		Short: "Whether the signer answers, each key's high-water mark, and the signing log's hash chain",
		Long: "Read the signer's state directory and ask the running service which keys it serves.\n" +
			"Exit 1 when the service does not answer, 4 when the signing log's hash chain is broken.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadSignerConfig(path)
			if err != nil {
				return err
			}
			st, err := blocksigner.ReadStatus(cmd.Context(), cfg)
			if err != nil && !errors.Is(err, blocksigner.ErrLogBroken) {
				return err
			}
			if a.json {
				if perr := a.printJSON(st); perr != nil {
					return perr
				}
			} else {
				a.printSignerStatus(st)
			}
			switch {
			case err != nil:
				return withCode(exitRefused, err)
			case !st.Running:
				return withCode(exitFailed, errors.New(st.RunError))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "config", "", "the signer's YAML configuration")
	return cmd
}

func (a *app) printSignerStatus(st blocksigner.Status) {
	running := "running"
	if !st.Running {
		running = "NOT ANSWERING: " + st.RunError
	}
	a.out("signer:   %s (%s)", st.Listen, running)
	if st.Legacy {
		a.out("mode:     legacy (no height check; rate limit only)")
	} else {
		a.out("mode:     savanna (block keys refuse a second block at a height already signed)")
	}
	for _, k := range st.Keys {
		served := "served"
		if !k.Served {
			served = "not served"
		}
		a.out("key:      %s (%s, %s) on %s", k.Key, k.Role, served, k.Device)
		if k.Mark != nil {
			a.out("          high-water mark: block %d at %s (%s ago), id %s", k.Mark.Height, k.Mark.Time.Format(time.RFC3339), time.Since(k.Mark.Time).Round(time.Second), k.Mark.Digest)
		} else if k.Role == blocksigner.RoleBlock && !st.Legacy {
			a.out("          high-water mark: none yet")
		}
	}
	chain := "hash chain intact"
	if st.LogError != "" {
		chain = "HASH CHAIN BROKEN: " + st.LogError
	}
	a.out("log:      %d entries (%d signed, %d refused), %s", st.Log.Entries, st.Log.Signed, st.Log.Refused, chain)
	if l := st.Log.Last; l != nil {
		a.out("last:     %s %s by %s: %s", l.Time.Format(time.RFC3339), l.Key, l.Client, l.Outcome)
	}
}

// printSignerHint tells the operator how a block-signing key generated on
// a device reaches nodeos without a private key in config.ini: served by
// bpkeys signer (the lines to add; never a private key).
func (a *app) printSignerHint(pub signer.PublicKey, ref string) {
	line, err := blocksigner.ProviderLine(blocksigner.DefaultListen, pub)
	if err != nil {
		return
	}
	a.out("serve it:     add to the bpkeys signer config: {key: %s, device: %q, role: block}", pub, ref)
	a.out("nodeos:       %s", line)
	a.out("              (restart bpkeys signer serve, then nodeos; see docs/block-signer.md)")
}
