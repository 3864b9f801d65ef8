package chain

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/signer"
)

// Expiration limits for transactions built by NewTransaction.
const (
	// DefaultExpiration leaves time for PIN entry and a touch on each device.
	DefaultExpiration = 5 * time.Minute
	// MaxExpiration is nodeos's default max_transaction_lifetime; beyond it
	// nodeos refuses the transaction (tx_exp_too_far_exception).
	MaxExpiration = time.Hour
)

// TaPoS returns the reference block fields of a transaction that refers to
// the block with this id, as nodeos's set_reference_block computes them:
// ref_block_num is the low 16 bits of the block number (big-endian in
// id[0:4]) and ref_block_prefix is id[8:12] read little-endian.
func TaPoS(blockID Checksum256) (refBlockNum uint16, refBlockPrefix uint32) {
	return uint16(binary.BigEndian.Uint32(blockID[0:4])), binary.LittleEndian.Uint32(blockID[8:12])
}

// BuildTransaction makes a transaction referring to block refBlockID that
// expires expiresIn after now (the chain's head block time), with delay_sec
// 0 and no resource limits. expiresIn 0 means DefaultExpiration; more than
// MaxExpiration or less than zero is refused.
func BuildTransaction(refBlockID Checksum256, now time.Time, actions []*eos.Action, expiresIn time.Duration) (*eos.SignedTransaction, error) {
	expiresIn, err := checkExpiration(expiresIn)
	if err != nil {
		return nil, err
	}
	if len(actions) == 0 {
		return nil, errors.New("a transaction needs at least one action")
	}
	for i, a := range actions {
		if a == nil {
			return nil, fmt.Errorf("action %d is nil", i)
		}
	}
	if refBlockID.IsZero() {
		return nil, errors.New("no reference block for TaPoS")
	}
	num, prefix := TaPoS(refBlockID)
	tx := &eos.Transaction{
		TransactionHeader: eos.TransactionHeader{
			// Expiration is serialised in whole seconds: round down so the
			// lifetime never exceeds expiresIn.
			Expiration:     eos.JSONTime{Time: now.UTC().Add(expiresIn).Truncate(time.Second)},
			RefBlockNum:    num,
			RefBlockPrefix: prefix,
		},
		ContextFreeActions: []*eos.Action{},
		Actions:            actions,
		Extensions:         []*eos.Extension{},
	}
	return eos.NewSignedTransaction(tx), nil
}

// checkExpiration applies DefaultExpiration and MaxExpiration.
func checkExpiration(d time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		return DefaultExpiration, nil
	case d < 0:
		return 0, fmt.Errorf("transaction expiration %v is negative", d)
	case d > MaxExpiration:
		return 0, fmt.Errorf("transaction expiration %v is beyond nodeos's max_transaction_lifetime of %v, which nodeos would refuse (tx_exp_too_far_exception): choose at most %v", d, MaxExpiration, MaxExpiration)
	}
	return d, nil
}

// NewTransaction builds a transaction for actions with TaPoS from the last
// irreversible block (or a block a few below head when the node does not
// report one) and an expiration expiresIn after the head block time (0 means
// DefaultExpiration, at most MaxExpiration). It uses the chain's clock, not
// the local one, so a skewed local clock cannot make it expire early.
func (c *Client) NewTransaction(ctx context.Context, actions []*eos.Action, expiresIn time.Duration) (*eos.SignedTransaction, error) {
	if _, err := checkExpiration(expiresIn); err != nil {
		return nil, err // before any network call
	}
	info, err := c.GetInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("building a transaction: %w", err)
	}
	ref := info.LastIrreversibleBlockID
	if ref.IsZero() || ref.BlockNum() != info.LastIrreversibleBlockNum {
		num := info.HeadBlockNum
		if num > 3 {
			num -= 3
		}
		b, err := c.GetBlock(ctx, strconv.FormatUint(uint64(num), 10))
		if err != nil {
			return nil, fmt.Errorf("building a transaction: reference block: %w", err)
		}
		if _, prefix := TaPoS(b.ID); b.RefBlockPrefix != 0 && prefix != b.RefBlockPrefix {
			return nil, fmt.Errorf("building a transaction: block %d: ref_block_prefix %d does not match its id %s", b.BlockNum, b.RefBlockPrefix, b.ID)
		}
		ref = b.ID
	}
	return BuildTransaction(ref, info.HeadBlockTime.Time, actions, expiresIn)
}

// txJSON is a transaction as nodeos's JSON API takes it, with action data
// in hex.
type txJSON struct {
	Expiration            string       `json:"expiration"`
	RefBlockNum           uint16       `json:"ref_block_num"`
	RefBlockPrefix        uint32       `json:"ref_block_prefix"`
	MaxNetUsageWords      uint32       `json:"max_net_usage_words"`
	MaxCPUUsageMS         uint8        `json:"max_cpu_usage_ms"`
	DelaySec              uint32       `json:"delay_sec"`
	ContextFreeActions    []actionJSON `json:"context_free_actions"`
	Actions               []actionJSON `json:"actions"`
	TransactionExtensions []any        `json:"transaction_extensions"`
}

type actionJSON struct {
	Account       string            `json:"account"`
	Name          string            `json:"name"`
	Authorization []PermissionLevel `json:"authorization"`
	Data          HexBytes          `json:"data"`
}

func actionsJSON(in []*eos.Action) ([]actionJSON, error) {
	out := make([]actionJSON, 0, len(in))
	for _, a := range in {
		data, err := a.ActionData.EncodeActionData()
		if err != nil {
			return nil, fmt.Errorf("encoding %s::%s data: %w", a.Account, a.Name, err)
		}
		auth := make([]PermissionLevel, 0, len(a.Authorization))
		for _, p := range a.Authorization {
			auth = append(auth, PermissionLevel{Actor: string(p.Actor), Permission: string(p.Permission)})
		}
		if data == nil {
			data = HexBytes{}
		}
		out = append(out, actionJSON{Account: string(a.Account), Name: string(a.Name), Authorization: auth, Data: data})
	}
	return out, nil
}

func transactionJSON(tx *eos.Transaction) (*txJSON, error) {
	if len(tx.Extensions) > 0 {
		return nil, errors.New("transactions with extensions are not supported")
	}
	cfa, err := actionsJSON(tx.ContextFreeActions)
	if err != nil {
		return nil, err
	}
	acts, err := actionsJSON(tx.Actions)
	if err != nil {
		return nil, err
	}
	return &txJSON{
		Expiration:            tx.Expiration.UTC().Format("2006-01-02T15:04:05"),
		RefBlockNum:           tx.RefBlockNum,
		RefBlockPrefix:        tx.RefBlockPrefix,
		MaxNetUsageWords:      uint32(tx.MaxNetUsageWords),
		MaxCPUUsageMS:         tx.MaxCPUUsageMS,
		DelaySec:              uint32(tx.DelaySec),
		ContextFreeActions:    cfa,
		Actions:               acts,
		TransactionExtensions: []any{},
	}, nil
}

// RequiredKeys asks nodeos (get_required_keys) which of the available keys
// must sign tx, so that only those sign (nodeos rejects irrelevant
// signatures). K1 keys are sent in the legacy EOS... form every nodeos
// version accepts, R1 keys as PUB_R1_.... An error wrapping an *APIError
// with CodeUnsatisfiedAuth means the available keys cannot satisfy tx.
func (c *Client) RequiredKeys(ctx context.Context, tx *eos.Transaction, available []signer.PublicKey) ([]signer.PublicKey, error) {
	const op = "get_required_keys"
	if tx == nil {
		return nil, errors.New("get_required_keys: no transaction")
	}
	if len(available) == 0 {
		return nil, errors.New("get_required_keys: no keys available: connect a YubiKey or HSM holding a key of the authority, or pass --signer")
	}
	tj, err := transactionJSON(tx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	keys := make([]string, len(available))
	offered := make(map[signer.PublicKey]bool, len(available))
	for i, k := range available {
		keys[i] = k.Legacy()
		offered[k] = true
	}
	body := struct {
		Transaction  *txJSON  `json:"transaction"`
		AvailableKey []string `json:"available_keys"`
	}{tj, keys}
	data, err := c.read(ctx, op, "/v1/chain/get_required_keys", body, requiredKeysNorm)
	if err != nil {
		return nil, err
	}
	req, err := parseRequiredKeys(data)
	if err != nil {
		return nil, fmt.Errorf("%s: unreadable answer: %w", op, err)
	}
	for _, k := range req {
		if !offered[k] {
			return nil, fmt.Errorf("%s: the node asked for key %s, which was not offered: refusing to trust this answer", op, k)
		}
	}
	return req, nil
}

// PackedTransaction is a signed transaction as send_transaction and
// push_transaction take it.
type PackedTransaction struct {
	Signatures            []signer.Signature `json:"signatures"`
	Compression           string             `json:"compression"` // "none" or "zlib"
	PackedContextFreeData HexBytes           `json:"packed_context_free_data"`
	PackedTrx             HexBytes           `json:"packed_trx"`
}

// Pack serialises a signed transaction for Push, without compression.
func Pack(tx *eos.SignedTransaction) (*PackedTransaction, error) {
	if tx == nil || tx.Transaction == nil {
		return nil, errors.New("no transaction to pack")
	}
	trx, cfd, err := tx.PackedTransactionAndCFD()
	if err != nil {
		return nil, fmt.Errorf("packing the transaction: %w", err)
	}
	p := &PackedTransaction{Compression: "none", PackedTrx: trx, PackedContextFreeData: HexBytes{}}
	if len(cfd) > 0 {
		p.PackedContextFreeData = cfd
	}
	for i, s := range tx.Signatures {
		sig, err := signer.SignatureFromECC(s)
		if err != nil {
			return nil, fmt.Errorf("signature %d: %w", i, err)
		}
		p.Signatures = append(p.Signatures, sig)
	}
	return p, nil
}

// Transaction returns the packed transaction bytes, decompressed.
func (p *PackedTransaction) Transaction() ([]byte, error) {
	switch p.Compression {
	case "", "none", "0":
		return p.PackedTrx, nil
	case "zlib", "1":
		r, err := zlib.NewReader(bytes.NewReader(p.PackedTrx))
		if err != nil {
			return nil, fmt.Errorf("packed_trx: %w", err)
		}
		defer r.Close()
		b, err := io.ReadAll(io.LimitReader(r, maxBody))
		if err != nil {
			return nil, fmt.Errorf("packed_trx: %w", err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown compression %q", p.Compression)
}

// ID returns the transaction id: sha256 of the (decompressed) packed
// transaction.
func (p *PackedTransaction) ID() (Checksum256, error) {
	trx, err := p.Transaction()
	if err != nil {
		return Checksum256{}, err
	}
	if len(trx) == 0 {
		return Checksum256{}, errors.New("empty packed transaction")
	}
	return sha256.Sum256(trx), nil
}
