package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	eos "github.com/eoscanada/eos-go"
	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/internal/inputfile"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/txflow"
)

func newTxCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "tx", Short: "Sign a transaction offline, or push a signed one"}
	cmd.AddCommand(newTxSignCmd(a), newTxPushCmd(a))
	return cmd
}

// txFile is a transaction as nodeos prints it, with action data in hex
// ("data" as a hex string, or "hex_data"), its signatures and context-free
// data: what cleos writes with -s -d -j.
type txFile struct {
	Expiration         chain.Time     `json:"expiration"`
	RefBlockNum        uint16         `json:"ref_block_num"`
	RefBlockPrefix     uint32         `json:"ref_block_prefix"`
	MaxNetUsageWords   uint32         `json:"max_net_usage_words"`
	MaxCPUUsageMS      uint8          `json:"max_cpu_usage_ms"`
	DelaySec           uint32         `json:"delay_sec"`
	ContextFreeActions []txFileAction `json:"context_free_actions"`
	Actions            []txFileAction `json:"actions"`
	Extensions         []any          `json:"transaction_extensions"`
	Signatures         []string       `json:"signatures"`
	// ContextFreeData is cleos's context_free_data: hex strings.
	ContextFreeData []string `json:"context_free_data,omitempty"`
}

type txFileAction struct {
	Account       string              `json:"account"`
	Name          string              `json:"name"`
	Authorization []permissions.Level `json:"authorization"`
	Data          json.RawMessage     `json:"data"`
	HexData       string              `json:"hex_data,omitempty"`
}

func (x txFileAction) eos() (*eos.Action, error) {
	h := x.HexData
	if h == "" {
		if err := json.Unmarshal(x.Data, &h); err != nil {
			return nil, fmt.Errorf("action %s::%s: give the data in hex (\"data\": \"...\" or \"hex_data\")", x.Account, x.Name)
		}
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("action %s::%s: data is not hex: %w", x.Account, x.Name, err)
	}
	out := &eos.Action{Account: eos.AccountName(x.Account), Name: eos.ActionName(x.Name), ActionData: eos.NewActionDataFromHexData(b)}
	for _, l := range x.Authorization {
		out.Authorization = append(out.Authorization, eos.PermissionLevel{Actor: eos.AccountName(l.Actor), Permission: eos.PermissionName(l.Permission)})
	}
	return out, nil
}

// readTxFile reads a transaction file (or an object with "transaction").
func readTxFile(path string) (*txFile, *eos.SignedTransaction, error) {
	b, err := inputfile.Read(path, "transaction file", inputfile.MaxAction)
	if err != nil {
		return nil, nil, withCode(exitUsage, err)
	}
	var wrap struct {
		Transaction json.RawMessage `json:"transaction"`
	}
	if json.Unmarshal(b, &wrap) == nil && len(wrap.Transaction) > 0 {
		b = wrap.Transaction
	}
	var f txFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, nil, withCode(exitUsage, fmt.Errorf("transaction file %s: %w", path, err))
	}
	if len(f.Extensions) > 0 {
		return nil, nil, withCode(exitUsage, errors.New("transaction extensions are not supported"))
	}
	if len(f.Actions) == 0 {
		return nil, nil, withCode(exitUsage, errors.New("the transaction has no actions"))
	}
	tx := &eos.Transaction{TransactionHeader: eos.TransactionHeader{
		Expiration: eos.JSONTime{Time: f.Expiration.Time}, RefBlockNum: f.RefBlockNum, RefBlockPrefix: f.RefBlockPrefix,
		MaxNetUsageWords: eos.Varuint32(f.MaxNetUsageWords), MaxCPUUsageMS: f.MaxCPUUsageMS, DelaySec: eos.Varuint32(f.DelaySec),
	}, ContextFreeActions: []*eos.Action{}, Extensions: []*eos.Extension{}}
	for _, x := range f.ContextFreeActions {
		ea, err := x.eos()
		if err != nil {
			return nil, nil, withCode(exitUsage, err)
		}
		tx.ContextFreeActions = append(tx.ContextFreeActions, ea)
	}
	for _, x := range f.Actions {
		ea, err := x.eos()
		if err != nil {
			return nil, nil, withCode(exitUsage, err)
		}
		tx.Actions = append(tx.Actions, ea)
	}
	st := eos.NewSignedTransaction(tx)
	for i, h := range f.ContextFreeData {
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, nil, withCode(exitUsage, fmt.Errorf("context_free_data %d is not hex: %w", i+1, err))
		}
		st.ContextFreeData = append(st.ContextFreeData, b)
	}
	for i, s := range f.Signatures {
		sig, err := signer.ParseSignature(s)
		if err != nil {
			return nil, nil, withCode(exitUsage, fmt.Errorf("signature %d: %w", i+1, err))
		}
		st.Signatures = append(st.Signatures, sig.ECC())
	}
	return &f, st, nil
}

func newTxSignCmd(a *app) *cobra.Command {
	var refs []string
	cmd := &cobra.Command{
		Use:   "sign --chain-id ID --signer REF... FILE",
		Short: "Sign a transaction offline: a transaction JSON in, the signed transaction out",
		Long: `Sign a transaction without talking to a chain. FILE is a transaction as nodeos prints it, with
action data in hex. Every --signer signs (offline, bpkeys cannot ask which keys are required: give
only the keys that must sign, nodeos refuses irrelevant signatures). The chain id comes from
--chain-id. The signed transaction is written to stdout, ready for 'bpkeys tx push'.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if strings.TrimSpace(a.chainID) == "" {
				return usageErr("offline signing needs --chain-id: the signature digest includes it")
			}
			chainID, err := signer.ParseChainID(a.chainID)
			if err != nil {
				return usageErr("--chain-id: %v", err)
			}
			f, st, err := readTxFile(args[0])
			if err != nil {
				return err
			}
			frozen, err := txflow.Freeze(chainID, st.Transaction, nil)
			if err != nil {
				var ne *txflow.NameError
				if errors.As(err, &ne) {
					return withCode(exitUsage, err)
				}
				return err
			}
			signers, closeSigners, err := a.openRequiredSigners(ctx, refs)
			if err != nil {
				return err
			}
			defer closeSigners()
			g, err := a.offlineGate()
			if err != nil {
				return err
			}
			prep, err := g.PrepareFrozen(ctx, frozen, pubsOf(signers), txflow.Job{Note: "tx sign " + args[0]})
			if err != nil {
				return err
			}
			if err := a.showAndConfirm(prep, "Sign?"); err != nil {
				return err
			}
			if err := g.SignOnly(ctx, prep, signers); err != nil {
				return err
			}
			st.Signatures = nil
			for _, sig := range frozen.Signatures {
				st.Signatures = append(st.Signatures, sig.ECC())
			}
			f.Signatures = f.Signatures[:0]
			for _, s := range st.Signatures {
				sig, err := signer.SignatureFromECC(s)
				if err != nil {
					return err
				}
				f.Signatures = append(f.Signatures, sig.String())
			}
			return a.printJSON(f)
		},
	}
	cmd.Flags().StringArrayVar(&refs, "signer", nil, "key reference of a signing YubiKey or HSM key (repeatable)")
	return cmd
}

// offlineGate is the gate of tx sign: with an endpoint given explicitly it
// judges the transaction against that chain; without one it signs offline
// and refuses transactions whose effects need the chain to be judged.
func (a *app) offlineGate() (*txflow.Gate, error) {
	j, err := a.journal()
	if err != nil {
		return nil, err
	}
	g := &txflow.Gate{Journal: j}
	if len(a.urls) == 0 && strings.TrimSpace(os.Getenv("BPKEYS_URL")) == "" {
		return g, nil
	}
	c, err := a.chainClient()
	if err != nil {
		return nil, err
	}
	t, err := a.permsTeam()
	if err != nil {
		return nil, err
	}
	g.Chain, g.Judge = c, txflow.Judge{Team: t}
	return g, nil
}

func newTxPushCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "push FILE",
		Short: "Push a signed transaction (the output of 'bpkeys tx sign')",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			_, st, err := readTxFile(args[0])
			if err != nil {
				return err
			}
			if len(st.Signatures) == 0 {
				return usageErr("the transaction has no signatures: sign it first with 'bpkeys tx sign'")
			}
			c, err := a.chainClient()
			if err != nil {
				return err
			}
			chainID, err := c.ChainID(ctx)
			if err != nil {
				return err
			}
			frozen, err := txflow.Freeze(chainID, st.Transaction, nil)
			if err != nil {
				return withCode(exitUsage, err)
			}
			for _, l := range txflow.Describe(frozen) {
				a.info("  %s", l)
			}
			for i, s := range st.Signatures {
				sig, err := signer.SignatureFromECC(s)
				if err != nil {
					return fmt.Errorf("signature %d: %w", i+1, err)
				}
				k, err := sig.Recover(frozen.Digest[:])
				if err != nil {
					return fmt.Errorf("signature %d does not recover on chain %s (signed for another chain?): %w", i+1, chainID, err)
				}
				a.info("  signed by %s", k)
				frozen.Signatures = append(frozen.Signatures, sig)
			}
			res, err := c.PushPacked(ctx, frozen.Pack())
			if err != nil {
				return fmt.Errorf("pushing: %w", err)
			}
			if res.Duplicate {
				return fmt.Errorf("the chain already had transaction %s: it was pushed before; this push changed nothing", res.TransactionID)
			}
			if a.json {
				return a.printJSON(map[string]string{"transaction_id": res.TransactionID.String()})
			}
			a.out("%s", res.TransactionID)
			return nil
		},
	}
}
