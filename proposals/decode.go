package proposals

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
)

// ErrUndecodable is matched by errors for action data that does not parse
// with its contract's ABI. A review never shows such an action as if it
// were understood.
var ErrUndecodable = errors.New("action data does not decode")

// DecodedAction is one action with its data as named fields.
type DecodedAction struct {
	Account       eos.AccountName       `json:"account"`
	Name          eos.ActionName        `json:"name"`
	Authorization []eos.PermissionLevel `json:"authorization"`
	// Data is the action's fields as decoded with the contract's ABI.
	Data json.RawMessage `json:"data"`
	// HexData is the exact packed data.
	HexData string `json:"hex_data"`
	// ABISource says which ABI decoded it: "chain <abi_hash>" or "built-in".
	ABISource string `json:"abi_source"`
	raw       []byte
}

// Raw returns the action's packed data.
func (d *DecodedAction) Raw() []byte { return d.raw }

// ABIs resolves contract ABIs: from the chain (get_raw_abi, parsed once per
// abi_hash) when a chain is given, else or when the account has none, from
// the ABIs built into bpkeys (contracts.ABI). It is safe for concurrent use.
type ABIs struct {
	chain Chain
	mu    sync.Mutex
	// byAccount caches the answer per account for this resolver's lifetime.
	byAccount map[eos.AccountName]resolved
	// byHash caches parsed ABIs per abi_hash, across accounts.
	byHash map[chain.Checksum256]*eos.ABI
}

type resolved struct {
	abi    *eos.ABI
	source string
	err    error
}

// NewABIs returns a resolver reading from c (nil: built-in ABIs only).
func NewABIs(c Chain) *ABIs {
	return &ABIs{chain: c, byAccount: map[eos.AccountName]resolved{}, byHash: map[chain.Checksum256]*eos.ABI{}}
}

// ABI returns account's ABI and where it came from.
func (r *ABIs) ABI(ctx context.Context, account eos.AccountName) (*eos.ABI, string, error) {
	r.mu.Lock()
	if v, ok := r.byAccount[account]; ok {
		r.mu.Unlock()
		return v.abi, v.source, v.err
	}
	r.mu.Unlock()
	v := r.fetch(ctx, account)
	if ctx.Err() != nil {
		return nil, "", ctx.Err()
	}
	r.mu.Lock()
	r.byAccount[account] = v
	r.mu.Unlock()
	return v.abi, v.source, v.err
}

func (r *ABIs) fetch(ctx context.Context, account eos.AccountName) resolved {
	if r.chain != nil {
		raw, err := r.chain.GetRawABI(ctx, string(account))
		if err != nil && !chain.IsUnknownAccount(err) {
			return resolved{err: fmt.Errorf("reading the ABI of %s: %w", account, err)}
		}
		if err == nil && len(raw.ABI) > 0 {
			r.mu.Lock()
			abi, ok := r.byHash[raw.ABIHash]
			r.mu.Unlock()
			if !ok {
				abi, err = parseBinaryABI(raw.ABI)
				if err != nil {
					return resolved{err: fmt.Errorf("the ABI of %s (abi_hash %s): %w", account, raw.ABIHash, err)}
				}
				r.mu.Lock()
				r.byHash[raw.ABIHash] = abi
				r.mu.Unlock()
			}
			return resolved{abi: abi, source: "chain abi_hash " + raw.ABIHash.String()}
		}
	}
	abi, err := contracts.ABI(account)
	if err != nil {
		return resolved{err: fmt.Errorf("no ABI for %s on the chain nor built in: %w", account, err)}
	}
	return resolved{abi: abi, source: "built-in"}
}

// parseBinaryABI decodes an abi_def as get_raw_abi serves it. eos-go's
// decoder can panic on hostile lengths; that is an error here.
func parseBinaryABI(b []byte) (abi *eos.ABI, err error) {
	defer func() {
		if p := recover(); p != nil {
			abi, err = nil, fmt.Errorf("malformed binary ABI: %v", p)
		}
	}()
	var a eos.ABI
	d := eos.NewDecoder(b)
	if err := d.Decode(&a); err != nil {
		return nil, fmt.Errorf("malformed binary ABI: %w", err)
	}
	a.SetFitNodeos(true)
	if err := checkABIDecodable(&a); err != nil {
		return nil, err
	}
	return &a, nil
}

// checkABIDecodable refuses ABIs with arrays of types that take no bytes:
// a few bytes of array length would make the decoder loop billions of times.
func checkABIDecodable(a *eos.ABI) error {
	zero := map[string]bool{}
	var isZero func(t string, depth int) bool
	isZero = func(t string, depth int) bool {
		if depth > 32 {
			return false
		}
		t = strings.TrimSuffix(t, "$")
		if strings.HasSuffix(t, "?") || strings.HasSuffix(t, "[]") {
			return false
		}
		if alias, ok := a.TypeNameForNewTypeName(t); ok && alias != t {
			return isZero(alias, depth+1)
		}
		if v, ok := zero[t]; ok {
			return v
		}
		s := a.StructForName(t)
		if s == nil {
			return false
		}
		zero[t] = false // cycles are not zero-size
		z := s.Base == "" || isZero(s.Base, depth+1)
		for _, f := range s.Fields {
			if !isZero(f.Type, depth+1) {
				z = false
			}
		}
		zero[t] = z
		return z
	}
	check := func(t string) error {
		t = strings.TrimSuffix(strings.TrimSuffix(t, "$"), "?")
		if strings.HasSuffix(t, "[]") && isZero(strings.TrimSuffix(t, "[]"), 0) {
			return fmt.Errorf("the ABI has an array of %s, a type of no bytes, which bpkeys refuses to decode", t)
		}
		return nil
	}
	for _, s := range a.Structs {
		for _, f := range s.Fields {
			if err := check(f.Type); err != nil {
				return err
			}
		}
	}
	for _, t := range a.Types {
		if err := check(t.Type); err != nil {
			return err
		}
	}
	return nil
}

// decodeWithABI decodes data as account::name's struct and requires every
// byte to be consumed.
func decodeWithABI(abi *eos.ABI, account eos.AccountName, name eos.ActionName, data []byte) (js json.RawMessage, err error) {
	defer func() {
		if p := recover(); p != nil {
			js, err = nil, fmt.Errorf("%w: %s::%s: malformed data (%v)", ErrUndecodable, account, name, p)
		}
	}()
	def := abi.ActionForName(name)
	if def == nil {
		return nil, fmt.Errorf("%w: %s::%s: the contract's ABI has no action %q", ErrUndecodable, account, name, name)
	}
	d := eos.NewDecoder(data)
	out, err := abi.Decode(d, def.Type)
	if err != nil {
		return nil, fmt.Errorf("%w: %s::%s: %v", ErrUndecodable, account, name, err)
	}
	if rest := len(data) - d.LastPos(); rest != 0 {
		return nil, fmt.Errorf("%w: %s::%s: %d bytes left over after the fields of %s: the data is not what the ABI describes", ErrUndecodable, account, name, rest, def.Type)
	}
	return out, nil
}

// DecodeActions decodes every action's data with its contract's ABI. It
// fails on the first action that does not decode completely, naming it; it
// never returns a partial decode.
func DecodeActions(ctx context.Context, abis *ABIs, actions []Action) ([]DecodedAction, error) {
	out := make([]DecodedAction, 0, len(actions))
	for i, a := range actions {
		abi, src, err := abis.ABI(ctx, a.Account)
		if err != nil {
			return nil, fmt.Errorf("action %d (%s::%s): %w", i, a.Account, a.Name, err)
		}
		js, err := decodeWithABI(abi, a.Account, a.Name, a.Data)
		if err != nil {
			return nil, fmt.Errorf("action %d: %w", i, err)
		}
		auth := a.Authorization
		if auth == nil {
			auth = []eos.PermissionLevel{}
		}
		out = append(out, DecodedAction{Account: a.Account, Name: a.Name, Authorization: auth, Data: js, HexData: hex.EncodeToString(a.Data), ABISource: src, raw: a.Data})
	}
	return out, nil
}

// safeDecode runs eos-go's reflective decoder, turning its panics on
// hostile input into errors.
func safeDecode(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed data (%v)", p)
		}
	}()
	return f()
}
