package devchain

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
)

// PushRequest is the body of push_transaction and send_transaction.
type PushRequest struct {
	Signatures            []string        `json:"signatures"`
	Compression           json.RawMessage `json:"compression,omitempty"`
	PackedContextFreeData string          `json:"packed_context_free_data"`
	PackedTrx             string          `json:"packed_trx"`
}

// PushResult is what push_transaction answers.
type PushResult struct {
	TransactionID string           `json:"transaction_id"`
	Processed     TransactionTrace `json:"processed"`
}

// TransactionTrace is nodeos's transaction trace ("processed").
type TransactionTrace struct {
	ID              string        `json:"id"`
	BlockNum        uint32        `json:"block_num"`
	BlockTime       string        `json:"block_time"`
	ProducerBlockID *string       `json:"producer_block_id"`
	Receipt         TrxReceipt    `json:"receipt"`
	Elapsed         int64         `json:"elapsed"`
	NetUsage        int           `json:"net_usage"`
	Scheduled       bool          `json:"scheduled"`
	ActionTraces    []ActionTrace `json:"action_traces"`
	AccountRAMDelta *struct{}     `json:"account_ram_delta"`
	Except          *struct{}     `json:"except"`
	ErrorCode       *string       `json:"error_code"`
}

// TrxReceipt is a transaction receipt header.
type TrxReceipt struct {
	Status        string `json:"status"`
	CPUUsageUS    int    `json:"cpu_usage_us"`
	NetUsageWords int    `json:"net_usage_words"`
}

// ActionTrace is one executed action (or notification) in a trace.
type ActionTrace struct {
	ActionOrdinal                          int           `json:"action_ordinal"`
	CreatorActionOrdinal                   int           `json:"creator_action_ordinal"`
	ClosestUnnotifiedAncestorActionOrdinal int           `json:"closest_unnotified_ancestor_action_ordinal"`
	Receipt                                ActionReceipt `json:"receipt"`
	Receiver                               string        `json:"receiver"`
	Act                                    TraceAction   `json:"act"`
	ContextFree                            bool          `json:"context_free"`
	Elapsed                                int64         `json:"elapsed"`
	Console                                string        `json:"console"`
	TrxID                                  string        `json:"trx_id"`
	BlockNum                               uint32        `json:"block_num"`
	BlockTime                              string        `json:"block_time"`
	ProducerBlockID                        *string       `json:"producer_block_id"`
	AccountRAMDeltas                       []struct{}    `json:"account_ram_deltas"`
	Except                                 *struct{}     `json:"except"`
	ErrorCode                              *string       `json:"error_code"`
	ReturnValueHexData                     string        `json:"return_value_hex_data"`
}

// ActionReceipt is an action receipt.
type ActionReceipt struct {
	Receiver       string  `json:"receiver"`
	ActDigest      string  `json:"act_digest"`
	GlobalSequence uint64  `json:"global_sequence"`
	RecvSequence   uint64  `json:"recv_sequence"`
	AuthSequence   [][]any `json:"auth_sequence"`
	CodeSequence   int     `json:"code_sequence"`
	ABISequence    int     `json:"abi_sequence"`
}

// TraceAction is an action as traces print it: data decoded by the ABI when
// the contract has one, and always hex_data.
type TraceAction struct {
	Account       string                `json:"account"`
	Name          string                `json:"name"`
	Authorization []eos.PermissionLevel `json:"authorization"`
	Data          json.RawMessage       `json:"data"`
	HexData       string                `json:"hex_data"`
}

// decodePush unpacks the request: packed transaction, packed context-free
// data, the transaction, its id and signing digest.
func (c *Chain) decodePush(req PushRequest) (packed, cfd []byte, trx *eos.Transaction, id [32]byte, err error) {
	packed, cfd, trx, err = unpackRequest(req)
	if err != nil {
		// nodeos reads the whole request into a packed_transaction in one
		// try block and rethrows any failure as this exception.
		e := newErr(ErrPackedTransaction, "Invalid packed transaction")
		e.Messages = append(e.Messages, err.Error())
		return nil, nil, nil, id, e
	}
	return packed, cfd, trx, sha256.Sum256(packed), nil
}

func unpackRequest(req PushRequest) (packed, cfd []byte, trx *eos.Transaction, err error) {
	comp := strings.Trim(strings.TrimSpace(string(req.Compression)), `"`)
	if packed, err = hex.DecodeString(req.PackedTrx); err != nil {
		return nil, nil, nil, fmt.Errorf("packed_trx is not hex: %w", err)
	}
	if cfd, err = hex.DecodeString(req.PackedContextFreeData); err != nil {
		return nil, nil, nil, fmt.Errorf("packed_context_free_data is not hex: %w", err)
	}
	switch comp {
	case "", "none", "0", "null":
	case "zlib", "1":
		if packed, err = inflate(packed); err != nil {
			return nil, nil, nil, fmt.Errorf("decompressing packed_trx (zlib): %w", err)
		}
		if len(cfd) > 0 {
			if cfd, err = inflate(cfd); err != nil {
				return nil, nil, nil, fmt.Errorf("decompressing packed_context_free_data (zlib): %w", err)
			}
		}
	default:
		return nil, nil, nil, fmt.Errorf("unknown transaction compression %q", comp)
	}
	trx = new(eos.Transaction)
	if err := eos.UnmarshalBinary(packed, trx); err != nil {
		return nil, nil, nil, fmt.Errorf("error unpacking eosio::chain::transaction: %w", err)
	}
	for _, s := range req.Signatures {
		if _, err := signer.ParseSignature(s); err != nil {
			return nil, nil, nil, fmt.Errorf("signature %q: %w", s, err)
		}
	}
	return packed, cfd, trx, nil
}

func inflate(b []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, 8<<20))
}

// recoverKeys recovers the key of every signature as nodeos's
// get_signature_keys does: K1 must be canonical, R1 low-S, one signature per
// key.
func recoverKeys(sigs []string, digest [32]byte) ([]signer.PublicKey, error) {
	keys := make([]signer.PublicKey, 0, len(sigs))
	seen := make(map[signer.PublicKey]bool, len(sigs))
	for _, s := range sigs {
		sig, err := signer.ParseSignature(s)
		if err != nil {
			return nil, newErr(ErrException, "invalid signature %q: %v", s, err)
		}
		switch {
		case sig.Curve == signer.CurveK1 && !sig.IsCanonical():
			return nil, newErr(ErrAssert, "is_canonical( c ): signature is not canonical")
		case sig.Curve == signer.CurveR1 && !sig.IsLowS():
			return nil, newErr(ErrException, "invalid high s-value encountered in r1 signature")
		}
		k, err := sig.Recover(digest[:])
		if err != nil {
			return nil, newErr(ErrException, "unable to reconstruct public key from signature: %v", err)
		}
		if seen[k] {
			return nil, newErr(ErrDuplicateSig, "transaction includes more than one signature signed using the same key associated with public key: %s", k.Legacy())
		}
		seen[k] = true
		keys = append(keys, k)
	}
	return keys, nil
}

// PushTransaction checks and executes a signed transaction as nodeos's
// push_transaction does, and returns the trace. Errors are *Error values.
func (c *Chain) PushTransaction(req PushRequest) (*PushResult, error) {
	start := time.Now()
	packed, cfd, trx, id, err := c.decodePush(req)
	if err != nil {
		return nil, err
	}
	digest := signer.Digest(c.chainID, packed, cfd)
	keys, err := recoverKeys(req.Signatures, digest)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	res, err := c.applyTransactionLocked(trx, id, keys, len(packed), start)
	if err != nil {
		c.log.Printf("rejected %x: %v", id[:8], err)
		return nil, err
	}
	c.log.Printf("accepted %x in block %d", id[:8], res.Processed.BlockNum)
	return res, nil
}

func (c *Chain) applyTransactionLocked(trx *eos.Transaction, id [32]byte, keys []signer.PublicKey, size int, start time.Time) (*PushResult, error) {
	idHex := hex.EncodeToString(id[:])
	if _, dup := c.known[id]; dup {
		return nil, newErr(ErrDuplicateTx, "duplicate transaction %s", idHex)
	}
	pending := c.pendingTime()
	exp := trx.Expiration.Time.UTC()
	if exp.Before(pending) {
		return nil, newErr(ErrExpired, "expired transaction %s, expiration %s, block time %s", idHex, exp.Format("2006-01-02T15:04:05"), pending.Format(contracts.TimePointFormat))
	}
	if exp.After(pending.Add(maxTrxLifetime)) {
		return nil, newErr(ErrExpTooFar, "Transaction expiration is too far in the future relative to the reference time of %s, expiration %s, maximum transaction lifetime %d seconds", pending.Format(contracts.TimePointFormat), exp.Format("2006-01-02T15:04:05"), int(maxTrxLifetime.Seconds()))
	}
	ref := c.blocks[trx.RefBlockNum]
	if ref.RefBlockPrefix() != trx.RefBlockPrefix {
		return nil, newErr(ErrInvalidRefBlock, "Transaction's reference block did not match. Is this transaction from a different fork?")
	}
	if len(trx.Actions) == 0 {
		return nil, newErr(ErrNoAction, "transaction must have at least one action")
	}
	if len(trx.ContextFreeActions) > 0 {
		return nil, newErr(ErrTransaction, "context-free actions are not supported by the devchain")
	}
	d := c.db
	for _, a := range trx.Actions {
		if d.accounts[string(a.Account)] == nil {
			return nil, newErr(ErrTransaction, "action's code account '%s' does not exist", a.Account)
		}
		if len(a.Authorization) == 0 {
			return nil, newErr(ErrNoAuths, "transaction must have at least one authorization")
		}
		for _, au := range a.Authorization {
			if d.accounts[string(au.Actor)] == nil {
				return nil, newErr(ErrTransaction, "action's authorizing actor '%s' does not exist", au.Actor)
			}
			if _, ok := d.permission(level{string(au.Actor), string(au.Permission)}); !ok {
				return nil, newErr(ErrTransaction, "action's authorizations include a non-existent permission: %s", level{string(au.Actor), string(au.Permission)}.json())
			}
		}
	}
	if trx.DelaySec != 0 {
		return nil, newErr(ErrTransaction, "transaction cannot be delayed")
	}
	if _, err := c.checkAuthorization(trx.Actions, keys, nil, false); err != nil {
		return nil, err
	}

	x := &applyCtx{c: c, d: d, trxID: idHex, now: pending, blockNum: c.head.Num + 1}
	mark := d.mark()
	for _, a := range trx.Actions {
		if err := x.run(a, 0, 0, ""); err != nil {
			d.rollback(mark)
			return nil, err
		}
	}
	d.commit()
	c.known[id] = exp
	c.statuses[id] = trxInclusion{BlockNum: x.blockNum, Expiration: exp}
	c.dirty = true
	bt := pending.Format(contracts.TimePointFormat)
	for i := range x.traces {
		x.traces[i].TrxID = idHex
		x.traces[i].BlockNum = x.blockNum
		x.traces[i].BlockTime = bt
	}
	elapsed := time.Since(start).Microseconds()
	netWords := (size + 65 + 7) / 8
	return &PushResult{TransactionID: idHex, Processed: TransactionTrace{
		ID: idHex, BlockNum: x.blockNum, BlockTime: bt,
		Receipt: TrxReceipt{Status: "executed", CPUUsageUS: int(elapsed) + 100, NetUsageWords: netWords},
		Elapsed: elapsed, NetUsage: netWords * 8, ActionTraces: x.traces,
	}}, nil
}

var nativeSpecial = map[string]bool{"updateauth": true, "deleteauth": true, "linkauth": true, "unlinkauth": true, "canceldelay": true}

// checkAuthorization is nodeos's authorization_manager::check_authorization:
// linkauth minimum permissions (and the special rules of the native auth
// actions) for every declared authorization, then that the provided keys
// and permissions satisfy each, then (unless allowUnused) that every key was
// needed.
func (c *Chain) checkAuthorization(actions []*eos.Action, keys []signer.PublicKey, perms []level, allowUnused bool) (*checker, error) {
	d := c.db
	ck := newChecker(d, keys, perms)
	var toSatisfy []level
	seen := map[level]bool{}
	for _, act := range actions {
		special := string(act.Account) == "eosio" && nativeSpecial[string(act.Name)]
		if special {
			if err := c.checkSpecial(act); err != nil {
				return nil, err
			}
		}
		for _, au := range act.Authorization {
			decl := level{string(au.Actor), string(au.Permission)}
			if !special {
				if min, ok := d.lookupMinimum(decl.Actor, string(act.Account), string(act.Name)); ok {
					if _, exists := d.permission(decl); !exists {
						return nil, newErr(ErrPermissionQuery, "Failed to retrieve permission: %s", decl.json())
					}
					minL := level{decl.Actor, min}
					if !d.satisfies(decl, minL) {
						return nil, newErr(ErrIrrelevantAuth, "action declares irrelevant authority '%s'; minimum authority is %s", decl.json(), minL.json())
					}
				}
			}
			if !seen[decl] {
				seen[decl] = true
				toSatisfy = append(toSatisfy, decl)
			}
		}
	}
	for _, l := range toSatisfy {
		if !ck.satisfiedLevel(l) {
			return nil, newErr(ErrUnsatisfied, "transaction declares authority '%s', but does not have signatures for it under a provided delay of 0 ms, provided permissions %s, provided keys %s, and a delay max limit of 3888000000 ms", l.json(), levelsJSON(perms), keysJSON(keys))
		}
	}
	if !allowUnused {
		if unused := ck.unusedKeys(); len(unused) > 0 {
			return nil, newErr(ErrIrrelevantSig, "transaction bears irrelevant signatures from these keys: %s", keysJSON(unused))
		}
	}
	return ck, nil
}

// checkSpecial applies nodeos's check_*_authorization for native actions.
func (c *Chain) checkSpecial(act *eos.Action) error {
	d := c.db
	data := []byte(act.HexData)
	one := func(what string) (level, error) {
		if len(act.Authorization) != 1 {
			return level{}, newErr(ErrIrrelevantAuth, "%s action should only have one declared authorization", what)
		}
		au := act.Authorization[0]
		return level{string(au.Actor), string(au.Permission)}, nil
	}
	switch act.Name {
	case "updateauth":
		u, _, err := contracts.DecodeUpdateAuth(data)
		if err != nil {
			return newErr(ErrUnpack, "%v", err)
		}
		auth, err := one("updateauth")
		if err != nil {
			return err
		}
		if auth.Actor != string(u.Account) {
			return newErr(ErrIrrelevantAuth, "the owner of the affected permission needs to be the actor of the declared authorization")
		}
		min := level{string(u.Account), string(u.Permission)}
		if _, ok := d.permission(min); !ok {
			min = level{string(u.Account), string(u.Parent)}
			if _, ok := d.permission(min); !ok {
				return newErr(ErrPermissionQuery, "Failed to retrieve permission: %s", min.json())
			}
		}
		if !d.satisfies(auth, min) {
			return newErr(ErrIrrelevantAuth, "updateauth action declares irrelevant authority '%s'; minimum authority is %s", auth.json(), min.json())
		}
	case "deleteauth":
		del, _, err := contracts.DecodeDeleteAuth(data)
		if err != nil {
			return newErr(ErrUnpack, "%v", err)
		}
		auth, err := one("deleteauth")
		if err != nil {
			return err
		}
		if auth.Actor != string(del.Account) {
			return newErr(ErrIrrelevantAuth, "the owner of the permission being deleted needs to be the actor of the declared authorization")
		}
		min := level{string(del.Account), string(del.Permission)}
		if _, ok := d.permission(min); !ok {
			return newErr(ErrPermissionQuery, "Failed to retrieve permission: %s", min.json())
		}
		if !d.satisfies(auth, min) {
			return newErr(ErrIrrelevantAuth, "delete action declares irrelevant authority '%s'; minimum authority is %s", auth.json(), min.json())
		}
	case "linkauth":
		l, _, err := contracts.DecodeLinkAuth(data)
		if err != nil {
			return newErr(ErrUnpack, "%v", err)
		}
		auth, err := one("link")
		if err != nil {
			return err
		}
		if auth.Actor != string(l.Account) {
			return newErr(ErrIrrelevantAuth, "the owner of the linked permission needs to be the actor of the declared authorization")
		}
		if l.Code == "eosio" && nativeSpecial[string(l.Type)] {
			return newErr(ErrActionValidate, "Cannot link eosio::%s to a minimum permission", l.Type)
		}
		linked, ok := d.lookupMinimum(string(l.Account), string(l.Code), string(l.Type))
		if !ok {
			return nil
		}
		min := level{string(l.Account), linked}
		if !d.satisfies(auth, min) {
			return newErr(ErrIrrelevantAuth, "link action declares irrelevant authority '%s'; minimum authority is %s", auth.json(), min.json())
		}
	case "unlinkauth":
		u, _, err := contracts.DecodeUnlinkAuth(data)
		if err != nil {
			return newErr(ErrUnpack, "%v", err)
		}
		auth, err := one("unlink")
		if err != nil {
			return err
		}
		if auth.Actor != string(u.Account) {
			return newErr(ErrIrrelevantAuth, "the owner of the linked permission needs to be the actor of the declared authorization")
		}
		linked, found := d.lookupLinked(string(u.Account), string(u.Code), string(u.Type))
		if !found {
			return newErr(ErrTransaction, "cannot unlink non-existent permission link of account '%s' for actions matching '%s::%s'", u.Account, u.Code, u.Type)
		}
		if linked == string(contracts.Any) {
			return nil
		}
		min := level{string(u.Account), linked}
		if !d.satisfies(auth, min) {
			return newErr(ErrIrrelevantAuth, "unlink action declares irrelevant authority '%s'; minimum authority is %s", auth.json(), min.json())
		}
	case "canceldelay":
		return newErr(ErrActionValidate, "canceldelay is not supported: deferred transactions are disabled")
	}
	return nil
}

// isAuthorizationError reports whether err is one of nodeos's
// authorization_exception family (309xxxx), which check_transaction_authorization
// turns into "false".
func isAuthorizationError(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code >= 3090000 && e.Code < 3100000
}

// RequiredKeys is get_required_keys: the subset of available keys nodeos's
// authority checker uses to satisfy every declared authorization.
func (c *Chain) RequiredKeys(actions []*eos.Action, available []signer.PublicKey) ([]signer.PublicKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ck := newChecker(c.db, available, nil)
	for _, act := range actions {
		for _, au := range act.Authorization {
			l := level{string(au.Actor), string(au.Permission)}
			if !ck.satisfiedLevel(l) {
				return nil, newErr(ErrUnsatisfied, "transaction declares authority '%s', but does not have signatures for it.", l.json())
			}
		}
	}
	out := append([]signer.PublicKey(nil), ck.usedList...)
	return out, nil
}
