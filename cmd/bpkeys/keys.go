package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
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
		Long: `Every key on every connected YubiKey (through pcscd) and PKCS#11 token. The PKCS#11 module is
--module, else BPKEYS_PKCS11_MODULE or pkcs11_module in the config; with none named, bpkeys looks for
p11-kit's proxy (which reaches every module p11-kit has registered) and else the usual SoftHSM2 and
HSM modules, and says where it looked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if module != "" {
				if _, err := os.Stat(module); err != nil {
					return usageErr("--module: %w", err)
				}
				// The PKCS#11 backend reads its default module from here.
				os.Setenv(pkcs11.ModuleEnv, module)
			}
			l := a.listKeys(cmd.Context(), os.Getenv(pkcs11.ModuleEnv) == "")
			if a.json {
				if err := a.printJSON(l); err != nil {
					return err
				}
			} else {
				printInventory(a, l)
				for _, p := range l.Problems {
					a.info("warning: %s", p)
				}
			}
			if len(l.Devices) == 0 && len(l.Problems) > 0 {
				return fmt.Errorf("no device could be read")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&module, "module", "", "PKCS#11 module to list (default: config pkcs11_module or BPKEYS_PKCS11_MODULE, else p11-kit's proxy or the usual modules)")
	return cmd
}

// keyListing is what bpkeys keys list found (--json): lists are [] when
// empty, never null.
type keyListing struct {
	devices.Inventory
	// ModulesTried are the PKCS#11 modules listed; ModulesSearched, when
	// no module was named, every path looked at to find them.
	ModulesTried    []string `json:"pkcs11_modules_tried"`
	ModulesSearched []string `json:"pkcs11_modules_searched,omitempty"`
	Problems        []string `json:"problems"`
}

// listKeys reads every backend's inventory. With discover, the PKCS#11
// modules are found by pkcs11.Discover instead of named, and their
// smart-card reader slots are skipped (the YubiKey backend lists those; a
// card another program holds would block the listing). A key seen twice
// (a YubiKey also reached through OpenSC's PKCS#11 module) is listed once,
// under its own backend, and p11-kit's certificate-only trust tokens are
// left out.
func (a *app) listKeys(ctx context.Context, discover bool) keyListing {
	l := keyListing{Inventory: devices.Inventory{Devices: []devices.DeviceInfo{}, Keys: []devices.KeyInfo{}}, ModulesTried: []string{}, Problems: []string{}}
	var p11 []devices.Inventory
	for _, s := range a.registry.Schemes() {
		b, _ := a.registry.Backend(s)
		if _, real := b.(*pkcs11.Backend); real && discover {
			var modules []string
			modules, l.ModulesSearched = pkcs11.Discover()
			for _, m := range modules {
				l.ModulesTried = append(l.ModulesTried, m)
				inv, err := pkcs11.New(pkcs11.WithModule(m), pkcs11.WithoutCardReaders()).Inventory(ctx)
				if err != nil {
					l.Problems = append(l.Problems, fmt.Sprintf("pkcs11 module %s: %v", m, err))
					continue
				}
				p11 = append(p11, inv)
			}
			continue
		}
		inv, err := b.Inventory(ctx)
		if err != nil {
			l.Problems = append(l.Problems, fmt.Sprintf("%s: %v", s, err))
			continue
		}
		if s == pkcs11.Scheme {
			if m := os.Getenv(pkcs11.ModuleEnv); m != "" {
				l.ModulesTried = append(l.ModulesTried, m)
			}
			p11 = append(p11, inv)
			continue
		}
		l.Devices = append(l.Devices, inv.Devices...)
		l.Keys = append(l.Keys, inv.Keys...)
	}
	seen := map[signer.PublicKey]bool{}
	for _, k := range l.Keys {
		seen[k.PublicKey] = true
	}
	for _, inv := range p11 {
		for _, d := range inv.Devices {
			if d.Details["model"] == "p11-kit-trust" {
				continue // the system's CA certificates, no keys
			}
			var keys []devices.KeyInfo
			dup := false
			for _, k := range inv.Keys {
				if k.Device != d.Name {
					continue
				}
				if seen[k.PublicKey] {
					dup = true
					continue
				}
				seen[k.PublicKey] = true
				keys = append(keys, k)
			}
			if dup && len(keys) == 0 {
				continue // listed already, through its own backend
			}
			l.Devices = append(l.Devices, d)
			l.Keys = append(l.Keys, keys...)
		}
	}
	sort.SliceStable(l.Keys, func(i, j int) bool { return l.Keys[i].Ref < l.Keys[j].Ref })
	return l
}

// printInventory lists each device with its keys under it, a key's public
// key and reference each on a line of their own so that the table stays
// narrow and nothing is cut.
func printInventory(a *app, l keyListing) {
	if len(l.Devices) == 0 {
		a.out("No YubiKey or PKCS#11 token found.")
		a.out("  YubiKeys: looked through pcscd (is it running? pcsc_scan shows the readers).")
		switch {
		case len(l.ModulesTried) > 0:
			a.out("  PKCS#11: no token through %s.", strings.Join(l.ModulesTried, ", "))
		case len(l.ModulesSearched) > 0:
			a.out("  PKCS#11: no module found; looked for p11-kit's proxy, SoftHSM2 and the usual HSM modules in %s.", strings.Join(libDirsOf(l.ModulesSearched), ", "))
		}
		a.out("  Name a module with --module PATH, BPKEYS_PKCS11_MODULE or pkcs11_module in the config.")
		return
	}
	for i, d := range l.Devices {
		if i > 0 {
			a.out("")
		}
		a.out("%s", d.Name)
		details := map[string]string{}
		for key, v := range d.Details {
			if key != "module" {
				details[key] = v
			}
		}
		for _, l := range wordLines(joinDetails(details), 76) {
			a.out("  %s", l)
		}
		if m := d.Details["module"]; m != "" {
			a.out("  module %s", m)
		}
		n := 0
		for _, k := range l.Keys {
			if k.Device != d.Name || k.Scheme != d.Scheme {
				continue
			}
			n++
			details := map[string]string{}
			for key, v := range k.Details {
				if key != "curve" && key != "can_sign" {
					details[key] = v
				}
			}
			lines := wordLines(joinDetails(details), 50)
			first := ""
			if len(lines) > 0 {
				first, lines = lines[0], lines[1:]
			}
			a.out("  %-8s %s  %s  %s", k.Label, k.PublicKey.Curve, signText(k), first)
			for _, l := range lines {
				a.out("           %s", l)
			}
			a.out("           %s", k.PublicKey)
			a.out("           %s", k.Ref)
		}
		if n == 0 {
			a.out("  no EC keys")
		}
	}
}

// signText says whether a key can sign, in words: "unknown" is never "no".
func signText(k devices.KeyInfo) string {
	if k.CanSign {
		return "can sign"
	}
	if why := k.Details["can_sign"]; why != "" {
		return "can sign: " + why
	}
	return "cannot sign"
}

// libDirsOf lists the directories of searched paths, in order, once each.
func libDirsOf(paths []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range paths {
		d := filepath.Dir(p)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
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
			if !a.yes && !a.stdinTerminal() {
				// Refused before the device is opened: no PIN is asked.
				return errBlindNoTerminal
			}
			if timeout <= 0 {
				return usageErr("--timeout %v: expected a duration greater than 0", timeout)
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

// wordLines breaks text between words into lines of at most w columns
// where it can; a word is never split (a longer one has a line of its own).
func wordLines(text string, w int) []string {
	var out []string
	cur := ""
	for _, word := range strings.Fields(text) {
		switch {
		case cur == "":
			cur = word
		case len(cur)+1+len(word) <= w:
			cur += " " + word
		default:
			out = append(out, cur)
			cur = word
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// errBlindNoTerminal refuses blind signing nobody can confirm.
var errBlindNoTerminal = withCode(exitRefused, errors.New("sign-digest is blind signing and asks on a terminal; there is none (stdin is not a terminal): nothing was signed; pass --yes only if you know what the digest is"))
