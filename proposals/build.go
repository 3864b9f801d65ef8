package proposals

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
)

// DefaultExpiration is how long a proposal stays executable unless the
// proposer chooses otherwise.
const DefaultExpiration = 7 * 24 * time.Hour

// KeyHolders names the account level a team file gives for a key that sits
// directly in an authority (ok false when the team file does not name it).
type KeyHolders func(signer.PublicKey) (eos.PermissionLevel, bool)

// ProposeRequest is what a proposal is built from.
type ProposeRequest struct {
	Proposer eos.AccountName
	// Permission of the proposer that signs propose (default active).
	Permission eos.PermissionName
	// Name of the proposal; empty: generated, unused.
	Name eos.Name
	// Actions of the inner transaction.
	Actions []Action
	// ExpiresIn after the chain's head block time (0: DefaultExpiration).
	ExpiresIn time.Duration
	// Requested approvals; nil: derived from the authorities involved.
	Requested []eos.PermissionLevel
	// Holders maps keys to team members for derived requests (optional).
	Holders KeyHolders
	// AllowDuplicate proposes even when the proposer already has the same
	// transaction on chain under another name (refused by default:
	// approvers could execute it twice).
	AllowDuplicate bool
}

// Built is a proposal ready to be sent: the propose action and the inner
// transaction exactly as the contract will store it.
type Built struct {
	Proposer  eos.AccountName       `json:"proposer"`
	Name      eos.Name              `json:"proposal_name"`
	Requested []eos.PermissionLevel `json:"requested"`
	// Packed is the inner transaction; Hash = sha256(Packed) is the
	// proposal hash approvals will be pinned to.
	Packed []byte            `json:"-"`
	Hash   chain.Checksum256 `json:"proposal_hash"`
	Inner  *Transaction      `json:"transaction"`
	// Propose is the eosio.msig::propose action to sign.
	Propose *eos.Action `json:"-"`
	// Notes explain how the requested approvals were chosen.
	Notes []string `json:"notes,omitempty"`
}

// PackInner packs an inner transaction as cleos multisig propose does:
// ref block 0/0, no resource limits, delay 0, the given expiration.
func PackInner(actions []Action, expiration time.Time) ([]byte, *Transaction, error) {
	if len(actions) == 0 {
		return nil, nil, errors.New("a proposal needs at least one action")
	}
	t := &Transaction{Expiration: expiration.UTC().Truncate(time.Second), ContextFreeActions: []Action{}, Actions: actions}
	packed, err := eos.MarshalBinary(t.EOS())
	if err != nil {
		return nil, nil, fmt.Errorf("packing the proposed transaction: %w", err)
	}
	back, err := DecodePacked(packed)
	if err != nil {
		return nil, nil, fmt.Errorf("packing the proposed transaction: it does not read back: %w", err)
	}
	return packed, back, nil
}

// Build prepares a proposal: the inner transaction, the requested
// approvals (checked to be able to satisfy it), and a valid, unused name.
func Build(ctx context.Context, c Chain, req ProposeRequest) (*Built, error) {
	if _, err := contracts.NameValue(string(req.Proposer)); err != nil {
		return nil, fmt.Errorf("proposer: %w", err)
	}
	perm := req.Permission
	if perm == "" {
		perm = contracts.Active
	}
	exp := req.ExpiresIn
	if exp == 0 {
		exp = DefaultExpiration
	}
	if exp < time.Minute {
		return nil, fmt.Errorf("expiration %v is too short for anyone to review and approve: choose at least a minute", exp)
	}
	info, err := c.GetInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the chain's head time: %w", err)
	}
	packed, inner, err := PackInner(req.Actions, info.HeadBlockTime.Add(exp))
	if err != nil {
		return nil, err
	}
	b := &Built{Proposer: req.Proposer, Packed: packed, Hash: sha256.Sum256(packed), Inner: inner}
	accts := NewAccounts(c)
	if req.Requested == nil {
		b.Requested, b.Notes, err = DeriveRequested(ctx, accts, req.Actions, req.Holders)
		if err != nil {
			return nil, err
		}
	} else {
		for _, l := range req.Requested {
			if _, err := contracts.NameValue(string(l.Actor)); err != nil {
				return nil, fmt.Errorf("requested approval %s: %w", levelString(l), err)
			}
			if _, err := contracts.NameValue(string(l.Permission)); err != nil {
				return nil, fmt.Errorf("requested approval %s: %w", levelString(l), err)
			}
		}
		b.Requested = SortLevels(append([]eos.PermissionLevel(nil), req.Requested...))
	}
	prog, err := Evaluate(ctx, accts, req.Actions, b.Requested, b.Requested)
	if err != nil {
		return nil, err
	}
	if !prog.Satisfied {
		return nil, fmt.Errorf("even if everyone requested approved, the transaction would not be authorized, and eosio.msig would refuse the proposal (\"transaction authorization failed\"): %s; add approvals with --request", strings.Join(prog.Missing, "; "))
	}
	if !req.AllowDuplicate {
		dup, err := FindSameTransaction(ctx, c, req.Proposer, packed)
		if err != nil {
			return nil, err
		}
		if dup != nil && dup.Name != req.Name {
			return nil, &DuplicateError{Proposer: req.Proposer, Name: dup.Name, Hash: dup.Hash, Expiration: dup.Transaction.Expiration}
		}
	}
	if b.Name, err = chooseName(ctx, c, req.Proposer, req.Name, b.Hash); err != nil {
		return nil, err
	}
	data, err := contracts.ProposeRaw{Proposer: req.Proposer, ProposalName: b.Name, Requested: b.Requested, PackedTrx: packed}.Bytes()
	if err != nil {
		return nil, err
	}
	b.Propose = &eos.Action{Account: Msig, Name: "propose", Authorization: []eos.PermissionLevel{{Actor: req.Proposer, Permission: perm}}, ActionData: eos.NewActionDataFromHexData(data)}
	return b, nil
}

// nameAlphabet is the characters of an EOSIO name that are valid anywhere
// in the first 12 positions, without '.'.
const nameAlphabet = "12345abcdefghijklmnopqrstuvwxyz"

// GenerateName derives a proposal name from a hash and an attempt number:
// 12 characters of [1-5a-z], so always a valid name.
func GenerateName(hash chain.Checksum256, attempt int) eos.Name {
	h := sha256.Sum256(append(hash[:], byte(attempt), byte(attempt>>8)))
	var b strings.Builder
	for i := 0; i < 12; i++ {
		b.WriteByte(nameAlphabet[int(h[i])%len(nameAlphabet)])
	}
	return eos.Name(b.String())
}

func chooseName(ctx context.Context, c Chain, proposer eos.AccountName, name eos.Name, hash chain.Checksum256) (eos.Name, error) {
	if name != "" {
		if _, err := contracts.NameValue(string(name)); err != nil {
			return "", fmt.Errorf("proposal name: %w", err)
		}
		p, err := Read(ctx, c, proposer, name)
		switch {
		case errors.Is(err, ErrNotFound):
			return name, nil
		case err != nil:
			return "", fmt.Errorf("checking that %s/%s is unused: %w", proposer, name, err)
		}
		return "", fmt.Errorf("%s already has a proposal named %s (hash %s): choose another --name, or cancel that one first", proposer, name, p.Hash)
	}
	for attempt := 0; attempt < 16; attempt++ {
		n := GenerateName(hash, attempt)
		rows, _, err := rowsHex(ctx, c, string(proposer), "proposal", string(n), string(n), 1)
		if err != nil {
			return "", err
		}
		if got, ok := firstName(rows, 0); !ok || got != n {
			return n, nil
		}
	}
	return "", errors.New("could not find an unused proposal name: pass --name")
}

// DeriveRequested lists the approvals a proposal should request. For every
// authorization the actions declare it walks the permission's authority:
// an account level whose own authority holds keys is requested (its holders
// approve as that level); an account level made only of other levels is
// walked in turn (up to nodeos's depth of 6). For keys sitting directly in
// a walked authority, the level the team file names for the key is added;
// and the declared level itself is requested when its account entries alone
// cannot reach its threshold.
func DeriveRequested(ctx context.Context, accts *Accounts, actions []Action, holders KeyHolders) ([]eos.PermissionLevel, []string, error) {
	d := &deriver{accts: accts, holders: holders, seen: map[string]bool{}}
	for _, a := range actions {
		for _, l := range a.Authorization {
			if err := d.level(ctx, a, l, 0, true); err != nil {
				return nil, nil, err
			}
		}
	}
	return SortLevels(d.out), d.notes, nil
}

type deriver struct {
	accts   *Accounts
	holders KeyHolders
	seen    map[string]bool
	out     []eos.PermissionLevel
	notes   []string
}

func (d *deriver) level(ctx context.Context, a Action, l eos.PermissionLevel, depth int, declared bool) error {
	s := levelString(l)
	if d.seen[s] || depth >= maxAuthDepth {
		return nil
	}
	d.seen[s] = true
	acct, err := d.accts.Get(ctx, string(l.Actor))
	if err != nil {
		return err
	}
	var p *chain.Permission
	if acct != nil {
		p = acct.Permission(string(l.Permission))
	}
	if p == nil {
		if declared {
			return fmt.Errorf("action %s::%s is authorized by %s, which does not exist on chain", a.Account, a.Name, s)
		}
		d.out = append(d.out, l)
		return nil
	}
	var accountWeight uint32
	for _, aw := range p.RequiredAuth.Accounts {
		sub := eos.PermissionLevel{Actor: eos.AccountName(aw.Permission.Actor), Permission: eos.PermissionName(aw.Permission.Permission)}
		accountWeight += uint32(aw.Weight)
		subAcct, err := d.accts.Get(ctx, string(sub.Actor))
		if err != nil {
			return err
		}
		sp := permOf(subAcct, string(sub.Permission))
		if sp == nil || len(sp.RequiredAuth.Keys) > 0 || len(sp.RequiredAuth.Accounts) == 0 {
			d.out = append(d.out, sub)
			continue
		}
		if err := d.level(ctx, a, sub, depth+1, false); err != nil {
			return err
		}
	}
	for _, k := range p.RequiredAuth.Keys {
		if d.holders == nil || k.Unsupported != "" {
			continue
		}
		if h, ok := d.holders(k.Key); ok {
			d.out = append(d.out, h)
			d.notes = append(d.notes, fmt.Sprintf("%s holds key %s of %s", levelString(h), k.Key, s))
		}
	}
	if accountWeight < p.RequiredAuth.Threshold {
		d.out = append(d.out, l)
		d.notes = append(d.notes, fmt.Sprintf("%s itself is requested: its account entries alone (weight %d) cannot reach its threshold %d", s, accountWeight, p.RequiredAuth.Threshold))
	}
	return nil
}

// ActionJSON is an action as the --actions and --trx files hold it: data
// as named fields (encoded with the contract's ABI) or as hex.
type ActionJSON struct {
	Account       eos.AccountName       `json:"account"`
	Name          eos.ActionName        `json:"name"`
	Authorization []eos.PermissionLevel `json:"authorization"`
	Data          json.RawMessage       `json:"data"`
	HexData       string                `json:"hex_data,omitempty"`
}

// ParseActions reads actions from JSON: an array of actions, or an object
// with "actions" (a transaction, or a plan), or with "transaction"/"trx"
// holding one. Context-free actions are refused. Data given as fields is
// encoded with the contract's ABI and must decode back to the same bytes.
func ParseActions(ctx context.Context, abis *ABIs, b []byte) ([]Action, error) {
	raw, err := findActions(b, 0)
	if err != nil {
		return nil, err
	}
	var in []ActionJSON
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, fmt.Errorf("reading actions: %w", err)
	}
	if len(in) == 0 {
		return nil, errors.New("no actions to propose")
	}
	out := make([]Action, 0, len(in))
	for i, a := range in {
		what := fmt.Sprintf("action %d (%s::%s)", i, a.Account, a.Name)
		if _, err := contracts.NameValue(string(a.Account)); err != nil {
			return nil, fmt.Errorf("%s: account: %w", what, err)
		}
		if _, err := contracts.NameValue(string(a.Name)); err != nil {
			return nil, fmt.Errorf("%s: name: %w", what, err)
		}
		if len(a.Authorization) == 0 {
			return nil, fmt.Errorf("%s: no authorization: name the account@permission that authorizes it", what)
		}
		var data []byte
		hexStr := a.HexData
		if hexStr == "" && len(a.Data) > 0 && a.Data[0] == '"' {
			if err := json.Unmarshal(a.Data, &hexStr); err != nil {
				return nil, fmt.Errorf("%s: data: %w", what, err)
			}
		}
		if hexStr != "" {
			if data, err = hex.DecodeString(hexStr); err != nil {
				return nil, fmt.Errorf("%s: hex data: %w", what, err)
			}
		} else {
			abi, _, err := abis.ABI(ctx, a.Account)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			if abi.ActionForName(a.Name) == nil {
				return nil, fmt.Errorf("%s: the contract's ABI has no such action", what)
			}
			// eos-go's ABI encoder mangles PUB_K1_ keys: give it EOS... forms.
			in, err := legacyKeys(a.Data)
			if err != nil {
				return nil, fmt.Errorf("%s: data: %w", what, err)
			}
			if err := safeDecode(func() (err error) { data, err = abi.EncodeAction(a.Name, in); return err }); err != nil {
				return nil, fmt.Errorf("%s: encoding the data with the ABI: %w", what, err)
			}
			// The bytes must decode to the fields that were given.
			back, err := decodeWithABI(abi, a.Account, a.Name, data)
			if err != nil {
				return nil, fmt.Errorf("%s: the encoded data does not read back: %w", what, err)
			}
			if !sameFields(a.Data, back) {
				return nil, fmt.Errorf("%s: the data encoded with the ABI reads back as %s, not as given: refusing to propose it", what, back)
			}
		}
		act := Action{Account: a.Account, Name: a.Name, Authorization: a.Authorization, Data: data}
		// Whatever the input, the bytes must read back completely.
		if _, err := DecodeActions(ctx, abis, []Action{act}); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, act)
	}
	return out, nil
}

func findActions(b []byte, depth int) (json.RawMessage, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		return b, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("reading actions: expected a JSON array of actions or an object with \"actions\": %w", err)
	}
	if cfa, ok := obj["context_free_actions"]; ok && len(bytes.TrimSpace(cfa)) > 2 && string(bytes.TrimSpace(cfa)) != "null" {
		return nil, errors.New("the transaction has context-free actions: eosio.msig refuses to propose them")
	}
	if d, ok := obj["delay_sec"]; ok && string(d) != "0" && string(d) != `"0"` {
		return nil, errors.New("the transaction has a delay_sec: a proposal's inner transaction is built with delay 0; remove it")
	}
	if a, ok := obj["actions"]; ok {
		return a, nil
	}
	if depth < 3 {
		for _, k := range []string{"transaction", "trx", "plan"} {
			if v, ok := obj[k]; ok {
				return findActions(v, depth+1)
			}
		}
	}
	return nil, errors.New("reading actions: no \"actions\" in the JSON")
}

// legacyKeys rewrites PUB_K1_ key strings as EOS... in a JSON document.
func legacyKeys(in json.RawMessage) (json.RawMessage, error) {
	d := json.NewDecoder(bytes.NewReader(in))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	var walk func(any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				v[k] = walk(e)
			}
		case []any:
			for i, e := range v {
				v[i] = walk(e)
			}
		case string:
			if strings.HasPrefix(v, "PUB_K1_") {
				if k, err := signer.ParsePublicKey(v); err == nil {
					return k.Legacy()
				}
			}
		}
		return v
	}
	return json.Marshal(walk(v))
}

// sameFields compares given fields with decoded ones: keys in any form,
// numbers as numbers or strings, absent and null alike.
func sameFields(given, decoded json.RawMessage) bool {
	parse := func(b json.RawMessage) (any, bool) {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var v any
		return v, d.Decode(&v) == nil
	}
	x, ok1 := parse(given)
	y, ok2 := parse(decoded)
	return ok1 && ok2 && equalNorm(normFields(x), normFields(y))
}

func normFields(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			if e != nil {
				out[k] = normFields(e)
			}
		}
		return out
	case []any:
		// eos-go drops a variant's tag: ["block_signing_authority_v0", {...}].
		if len(v) == 2 {
			if tag, ok := v[0].(string); ok && strings.HasPrefix(tag, "block_signing_authority") {
				return normFields(v[1])
			}
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normFields(e)
		}
		return out
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "1"
		}
		return "0"
	case string:
		if k, err := signer.ParsePublicKey(v); err == nil {
			return k.String()
		}
		return v
	}
	return v
}

func equalNorm(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
