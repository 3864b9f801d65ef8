package main

import (
	"context"
	"errors"
	"fmt"

	eos "github.com/eoscanada/eos-go"
	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/finalizer"
	"github.com/bpkeys/bpkeys/signer"
)

func newPeerKeyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "peerkey", Short: "The K1/R1 key a producer's node proves itself with to p2p-bp-gossip peers (regpeerkey, delpeerkey)"}
	cmd.AddCommand(newPeerKeyShowCmd(a), newPeerKeySetCmd(a), newPeerKeyDeleteCmd(a))
	return cmd
}

func newPeerKeyShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show ACCOUNT",
		Short: "The account's registered peer key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.chainClient()
			if err != nil {
				return err
			}
			k, err := finalizer.ReadPeerKey(cmd.Context(), c, args[0])
			none := errors.Is(err, finalizer.ErrNoPeerKey)
			if err != nil && !none {
				return err
			}
			if a.json {
				out := map[string]any{"account": args[0], "peer_key": nil}
				if !none {
					out["peer_key"] = k.String()
				}
				return a.printJSON(out)
			}
			if none {
				a.out("%s: no peer key registered", args[0])
				return nil
			}
			a.out("%s: %s", args[0], k)
			return nil
		},
	}
}

func newPeerKeySetCmd(a *app) *cobra.Command {
	var f keySendFlags
	var key, generate, curve string
	cmd := &cobra.Command{
		Use:   "set ACCOUNT (--key KEY | --generate REF)",
		Short: "Register the peer key (regpeerkey), or make it on an HSM or YubiKey first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (key == "") == (generate == "") {
				return usageErr("give exactly one of --key KEY and --generate REF")
			}
			ctx := cmd.Context()
			c, err := a.chainClient()
			if err != nil {
				return err
			}
			var cur *signer.PublicKey
			switch k, err := finalizer.ReadPeerKey(ctx, c, args[0]); {
			case err == nil:
				cur = &k
			case !errors.Is(err, finalizer.ErrNoPeerKey):
				return err
			}
			var pk signer.PublicKey
			if key != "" {
				if pk, err = signerKey("--key", key); err != nil {
					return err
				}
			} else {
				if pk, err = a.generateSigningKey(ctx, generate, curve); err != nil {
					return err
				}
				a.info("generated the peer key %s on %s", pk, generate)
			}
			act, err := finalizer.SetPeerKey(args[0], f.permission, pk, cur)
			if err != nil {
				return refusedLocally(err)
			}
			if cur != nil {
				a.info("replaces the registered peer key %s", cur)
			}
			sent, err := a.keySend(ctx, c, "peerkey regpeerkey "+args[0], []*eos.Action{act}, f, nil, func(ctx context.Context) error {
				return finalizer.ConfirmPeerKey(ctx, c, args[0], &pk)
			})
			if err != nil {
				return err
			}
			return a.reportKeySent(sent, fmt.Sprintf("registered peer key %s for %s", pk, args[0]))
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&key, "key", "", "the peer public key (PUB_K1_..., PUB_R1_... or EOS...)")
	cmd.Flags().StringVar(&generate, "generate", "", "make the key on this device first (pkcs11:... or yubikey:...)")
	cmd.Flags().StringVar(&curve, "curve", "", "with --generate: k1 or r1 (default: k1 on an HSM, r1 on a YubiKey)")
	return cmd
}

func newPeerKeyDeleteCmd(a *app) *cobra.Command {
	var f keySendFlags
	cmd := &cobra.Command{
		Use:   "delete ACCOUNT",
		Short: "Delete the registered peer key (delpeerkey)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := a.chainClient()
			if err != nil {
				return err
			}
			cur, err := finalizer.ReadPeerKey(ctx, c, args[0])
			if errors.Is(err, finalizer.ErrNoPeerKey) {
				return refusedLocally(err)
			}
			if err != nil {
				return err
			}
			sent, err := a.keySend(ctx, c, "peerkey delpeerkey "+args[0], []*eos.Action{finalizer.DeletePeerKey(args[0], f.permission, cur)}, f, nil, func(ctx context.Context) error {
				return finalizer.ConfirmPeerKey(ctx, c, args[0], nil)
			})
			if err != nil {
				return err
			}
			return a.reportKeySent(sent, fmt.Sprintf("deleted peer key %s of %s", cur, args[0]))
		},
	}
	f.register(cmd)
	return cmd
}
