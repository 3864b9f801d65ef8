package main

import (
	"encoding/hex"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/signer"
)

func newKeyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "key", Short: "Inspect public keys"}
	cmd.AddCommand(&cobra.Command{
		Use:   "inspect KEY",
		Short: "Show a public key's curve, string forms and compressed point",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := signer.ParsePublicKey(args[0])
			if err != nil {
				return usageErr("%w", err)
			}
			info := keyInspection{
				Curve:      k.Curve.String(),
				CurveName:  k.Curve.Name(),
				PublicKey:  k.String(),
				Point:      k.Hex(),
				Binary:     hex.EncodeToString(k.Bytes()),
				YubiKeyOK:  k.Curve == signer.CurveR1,
				LegacyForm: "",
			}
			if k.Curve == signer.CurveK1 {
				info.LegacyForm = k.Legacy()
			}
			if a.json {
				return a.printJSON(info)
			}
			a.out("curve:       %s (%s)", info.Curve, info.CurveName)
			a.out("public key:  %s", info.PublicKey)
			if info.LegacyForm != "" {
				a.out("legacy form: %s", info.LegacyForm)
			}
			a.out("point (hex): %s", info.Point)
			a.out("binary:      %s", info.Binary)
			if k.Curve == signer.CurveK1 {
				a.out("devices:     a K1 key can live on a PKCS#11 HSM, not on a YubiKey (PIV has no secp256k1)")
			}
			return nil
		},
	})
	return cmd
}

type keyInspection struct {
	Curve      string `json:"curve"`
	CurveName  string `json:"curve_name"`
	PublicKey  string `json:"public_key"`
	LegacyForm string `json:"legacy,omitempty"`
	Point      string `json:"point_hex"`
	Binary     string `json:"binary_hex"`
	YubiKeyOK  bool   `json:"yubikey_capable"`
}

// parseHexArg decodes hex operator input, naming the argument on error.
func parseHexArg(name, s string) ([]byte, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "0x")
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, usageErr("%s is not hex: %w", name, err)
	}
	return b, nil
}
