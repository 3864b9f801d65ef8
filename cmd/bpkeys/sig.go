package main

import (
	"encoding/hex"

	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/signer"
)

func newSigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "sig", Short: "Inspect signatures"}
	var digestHex, trxHex, cfdHex string
	rec := &cobra.Command{
		Use:   "recover SIG",
		Short: "Show the public key that made a signature, and whether nodeos accepts its form",
		Long: "Recover the public key behind SIG over a digest (--digest HEX) or over a transaction\n" +
			"(--chain-id HEX --trx PACKED_HEX [--cfd PACKED_CFD_HEX]), as nodeos does.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			chainHex := a.chainID
			sig, err := signer.ParseSignature(args[0])
			if err != nil {
				return usageErr("%w", err)
			}
			var digest []byte
			switch {
			case digestHex != "" && (chainHex != "" || trxHex != ""):
				return usageErr("give either --digest or --chain-id with --trx, not both")
			case digestHex != "":
				if digest, err = parseHexArg("--digest", digestHex); err != nil {
					return err
				}
				if len(digest) != 32 {
					return usageErr("--digest must be 32 bytes (64 hex digits), got %d bytes", len(digest))
				}
			case chainHex != "" && trxHex != "":
				id, err := signer.ParseChainID(chainHex)
				if err != nil {
					return usageErr("--chain-id: %w", err)
				}
				trx, err := parseHexArg("--trx", trxHex)
				if err != nil {
					return err
				}
				var cfd []byte
				if cfdHex != "" {
					if cfd, err = parseHexArg("--cfd", cfdHex); err != nil {
						return err
					}
				}
				d := signer.Digest(id, trx, cfd)
				digest = d[:]
			default:
				return usageErr("give --digest HEX, or --chain-id HEX with --trx PACKED_HEX")
			}
			pub, err := sig.Recover(digest)
			if err != nil {
				return withCode(exitFailed, err)
			}
			res := recovery{
				PublicKey: pub.String(),
				Curve:     sig.Curve.String(),
				Digest:    hex.EncodeToString(digest),
				LowS:      sig.IsLowS(),
				Canonical: sig.IsCanonical(),
			}
			if pub.Curve == signer.CurveK1 {
				res.Legacy = pub.Legacy()
			}
			if a.json {
				return a.printJSON(res)
			}
			a.out("public key: %s", res.PublicKey)
			if res.Legacy != "" {
				a.out("legacy:     %s", res.Legacy)
			}
			a.out("digest:     %s", res.Digest)
			switch {
			case res.Canonical:
				a.out("form:       accepted by nodeos (%s)", map[bool]string{true: "canonical", false: "low S"}[sig.Curve == signer.CurveK1])
			case sig.Curve == signer.CurveK1:
				a.out("form:       NOT canonical: nodeos rejects this K1 signature")
			default:
				a.out("form:       HIGH S: nodeos rejects this R1 signature")
			}
			return nil
		},
	}
	rec.Flags().StringVar(&digestHex, "digest", "", "the 32-byte digest that was signed, in hex")
	rec.Flags().StringVar(&trxHex, "trx", "", "packed transaction in hex, with --chain-id")
	rec.Flags().StringVar(&cfdHex, "cfd", "", "packed context-free data in hex (optional, with --trx)")
	cmd.AddCommand(rec)
	return cmd
}

type recovery struct {
	PublicKey string `json:"public_key"`
	Legacy    string `json:"legacy,omitempty"`
	Curve     string `json:"curve"`
	Digest    string `json:"digest"`
	Canonical bool   `json:"accepted_form"`
	LowS      bool   `json:"low_s"`
}
