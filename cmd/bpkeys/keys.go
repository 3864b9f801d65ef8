package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/hsm/pkcs11"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/txflow"
)

func newKeysCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "List, generate and attest keys on YubiKeys and PKCS#11 tokens"}
	cmd.AddCommand(newKeysListCmd(a), newKeysGenerateCmd(a), newKeysAttestCmd(a))
	return cmd
}

func newKeysListCmd(a *app) *cobra.Command {
	var module string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Every key on every connected YubiKey and PKCS#11 token",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if module != "" {
				if _, err := os.Stat(module); err != nil {
					return usageErr("--module: %w", err)
				}
				// The PKCS#11 backend reads its default module from here.
				os.Setenv(pkcs11.ModuleEnv, module)
			}
			var all devices.Inventory
			var problems []string
			for _, s := range a.registry.Schemes() {
				b, _ := a.registry.Backend(s)
				inv, err := b.Inventory(cmd.Context())
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s: %v", s, err))
					continue
				}
				all.Devices = append(all.Devices, inv.Devices...)
				all.Keys = append(all.Keys, inv.Keys...)
			}
			sort.SliceStable(all.Keys, func(i, j int) bool { return all.Keys[i].Ref < all.Keys[j].Ref })
			if a.json {
				out := struct {
					devices.Inventory
					Problems []string `json:"problems,omitempty"`
				}{all, problems}
				if err := a.printJSON(out); err != nil {
					return err
				}
			} else {
				printInventory(a, all)
				for _, p := range problems {
					a.info("warning: %s", p)
				}
			}
			if len(all.Devices) == 0 && len(problems) > 0 {
				return fmt.Errorf("no device could be read")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&module, "module", "", "PKCS#11 module to list (default: config pkcs11_module or BPKEYS_PKCS11_MODULE)")
	return cmd
}

func printInventory(a *app, inv devices.Inventory) {
	if len(inv.Devices) == 0 {
		a.out("No YubiKey or PKCS#11 token found.")
		return
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tDETAILS")
	for _, d := range inv.Devices {
		fmt.Fprintf(tw, "%s\t%s\n", d.Name, joinDetails(d.Details))
	}
	tw.Flush()
	a.out("")
	if len(inv.Keys) == 0 {
		a.out("No EC keys found.")
		return
	}
	tw = tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REFERENCE\tCURVE\tPUBLIC KEY\tSIGN\tDETAILS")
	for _, k := range inv.Keys {
		sign := "yes"
		if !k.CanSign {
			sign = "no"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.Ref, k.PublicKey.Curve, k.PublicKey, sign, joinDetails(k.Details))
	}
	tw.Flush()
}

func joinDetails(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, " ")
}

func newKeysGenerateCmd(a *app) *cobra.Command {
	var curve, pinPolicy, touchPolicy string
	var force bool
	cmd := &cobra.Command{
		Use:   "generate REF",
		Short: "Generate a key on a device; the private key never leaves it",
		Long: "Generate a key on the device REF names and print its EOSIO public key.\n" +
			"  bpkeys keys generate 'pkcs11:token=bp-hsm;object=claim' --curve k1\n" +
			"  bpkeys keys generate 'yubikey:serial=12345678;slot=9c' --pin-policy once --touch-policy always",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := signer.ParseRef(args[0])
			if err != nil {
				return usageErr("%w", err)
			}
			b, err := a.registry.Backend(ref.Scheme)
			if err != nil {
				return usageErr("%w", err)
			}
			opts := devices.GenerateOptions{PINPolicy: pinPolicy, TouchPolicy: touchPolicy, Force: force}
			switch {
			case curve != "":
				if opts.Curve, err = signer.ParseCurve(curve); err != nil {
					return usageErr("--curve: %w", err)
				}
			case ref.Scheme == "yubikey":
				opts.Curve = signer.CurveR1
			default:
				opts.Curve = signer.CurveK1
			}
			pub, err := b.Generate(cmd.Context(), ref, opts)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(map[string]string{"ref": ref.String(), "public_key": pub.String(), "curve": pub.Curve.String()})
			}
			a.info("generated a %s key on %s", pub.Curve, ref)
			a.out("%s", pub)
			return nil
		},
	}
	cmd.Flags().StringVar(&curve, "curve", "", "k1 (secp256k1; HSMs that support it) or r1 (P-256); default k1 for PKCS#11, r1 for YubiKey")
	cmd.Flags().StringVar(&pinPolicy, "pin-policy", "", "YubiKey: once or always (default once)")
	cmd.Flags().StringVar(&touchPolicy, "touch-policy", "", "YubiKey: never, always or cached (default always for slot 9c)")
	cmd.Flags().BoolVar(&force, "force", false, "YubiKey: overwrite a slot that already holds a key")
	return cmd
}

func newKeysAttestCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "attest REF",
		Short: "Prove a YubiKey key was generated on the device, verified to Yubico's roots",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := signer.ParseRef(args[0])
			if err != nil {
				return usageErr("%w", err)
			}
			b, err := a.registry.Backend(ref.Scheme)
			if err != nil {
				return usageErr("%w", err)
			}
			at, ok := b.(devices.Attester)
			if !ok {
				return fmt.Errorf("%s devices cannot attest their keys", ref.Scheme)
			}
			att, err := at.Attest(cmd.Context(), ref)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(att)
			}
			a.out("public key:   %s", att.PublicKey)
			if att.Verified && att.Generated {
				a.out("attestation:  verified: generated on YubiKey %s (firmware %s)", att.Serial, att.Firmware)
			} else {
				a.out("attestation:  NOT verified")
			}
			a.out("pin policy:   %s", att.PINPolicy)
			a.out("touch policy: %s", att.TouchPolicy)
			return nil
		},
	}
}

func newSignDigestCmd(a *app) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "sign-digest REF HEX",
		Short: "Blind-sign a 32-byte digest with a device key and print the verified SIG_...",
		Long: "Sign a bare 32-byte digest. This is BLIND signing: bpkeys cannot know what the digest\n" +
			"authorizes, so it says so, asks on the terminal, and refuses without one unless --yes.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := parseHexArg("the digest", args[1])
			if err != nil {
				return err
			}
			if len(d) != 32 {
				return usageErr("the digest must be 32 bytes (64 hex digits), got %d bytes", len(d))
			}
			var digest [32]byte
			copy(digest[:], d)
			ref, err := signer.ParseRef(args[0])
			if err != nil {
				return usageErr("%w", err)
			}
			b, err := a.registry.Backend(ref.Scheme)
			if err != nil {
				return usageErr("%w", err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			key, err := b.Open(ctx, ref)
			if err != nil {
				return err
			}
			defer key.Close()
			sig, err := a.signBlind(ctx, key, digest)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(map[string]string{"signature": sig.String(), "public_key": key.PublicKey().String(), "digest": hex.EncodeToString(digest[:])})
			}
			a.out("%s", sig)
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "give up after this long (PIN entry and touch included)")
	return cmd
}

// signBlind shows that a digest is signed blind, asks (a terminal is
// required without --yes), and signs it through the gate's journal.
func (a *app) signBlind(ctx context.Context, key devices.Key, digest [32]byte) (signer.Signature, error) {
	if !a.yes && !a.stdinTerminal() {
		return signer.Signature{}, withCode(exitRefused, errors.New("sign-digest is blind signing and asks on a terminal; there is none (stdin is not a terminal): nothing was signed; pass --yes only if you know what the digest is"))
	}
	j, err := a.journal()
	if err != nil {
		return signer.Signature{}, err
	}
	g := &txflow.Gate{Journal: j}
	b := &txflow.BlindDigest{Digest: digest, ChainID: a.chainID, Note: "sign-digest (blind)"}
	for _, l := range b.Lines(key.PublicKey(), signer.Describe(key)) {
		a.info("%s", l)
	}
	if _, err := a.confirm("Sign this digest blind?"); err != nil {
		return signer.Signature{}, err
	}
	if err := b.Confirmed(); err != nil {
		return signer.Signature{}, err
	}
	return g.SignDigest(ctx, b, key)
}
