package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
)

// ABIReader reads a contract's ABI from the chain (get_abi). *Client is one.
type ABIReader interface {
	GetABI(ctx context.Context, account string) (*ABIResponse, error)
}

// ErrActionNotInABI matches a *MissingActionError with errors.Is.
var ErrActionNotInABI = errors.New("the target contract's ABI has no such action")

// MissingActionError is an action the target contract does not have: on a
// real chain a contract ignores (eosio) or rejects an action it does not
// dispatch, and an account without a contract runs nothing, so a
// transaction carrying it can succeed without doing what it says.
type MissingActionError struct {
	Contract string
	Action   string
	// NoContract: the account has no ABI at all.
	NoContract bool
	// Offers are the contract's actions closest to the one asked for.
	Offers []string
	// Note says what this means for the operator, when known.
	Note string
}

func (e *MissingActionError) Error() string {
	var b strings.Builder
	if e.NoContract {
		fmt.Fprintf(&b, "%s has no contract on this chain (no ABI): %s::%s would run nothing", e.Contract, e.Contract, e.Action)
	} else {
		fmt.Fprintf(&b, "the contract on %s has no action %s in its ABI (read from the chain)", e.Contract, e.Action)
		if len(e.Offers) > 0 {
			fmt.Fprintf(&b, "; it offers %s", strings.Join(e.Offers, ", "))
		}
	}
	if e.Note != "" {
		b.WriteString(": " + e.Note)
	}
	b.WriteString("; nothing was signed")
	return b.String()
}

// Unwrap makes errors.Is(err, ErrActionNotInABI) true.
func (e *MissingActionError) Unwrap() error { return ErrActionNotInABI }

// nativeActions run in nodeos itself, whatever eosio's contract declares.
var nativeActions = map[string]bool{
	"newaccount": true, "setcode": true, "setabi": true, "updateauth": true,
	"deleteauth": true, "linkauth": true, "unlinkauth": true, "canceldelay": true,
}

// notes explain a missing action in operator terms.
var notes = map[string]string{
	"eosio::regproducer2": "a multi-key block-signing authority cannot be set on this chain (its system contract predates regproducer2); register a single key with regproducer",
	"eosio::limitauthchg": "this chain's system contract cannot limit authority changes",
}

// CheckActionsAgainstABI checks every action (and the actions of an
// eosio.msig proposal it carries) against the ABI of its target contract
// as the chain serves it, and returns a *MissingActionError for the first
// one the contract does not have. Native actions of eosio always pass.
// A failure to read an ABI is returned as it is, never taken as "no ABI".
func CheckActionsAgainstABI(ctx context.Context, r ABIReader, actions []*eos.Action) error {
	abis := map[string]map[string]bool{}
	return checkActions(ctx, r, actions, abis, 0)
}

// CheckActionsAgainstABI is the package function with this client.
func (c *Client) CheckActionsAgainstABI(ctx context.Context, actions []*eos.Action) error {
	return CheckActionsAgainstABI(ctx, c, actions)
}

func checkActions(ctx context.Context, r ABIReader, actions []*eos.Action, abis map[string]map[string]bool, depth int) error {
	for _, a := range actions {
		code, name := string(a.Account), string(a.Name)
		if code == string(contracts.System) && nativeActions[name] {
			continue
		}
		have, ok := abis[code]
		if !ok {
			var err error
			if have, err = abiActions(ctx, r, code); err != nil {
				return err
			}
			abis[code] = have
		}
		if have == nil {
			return &MissingActionError{Contract: code, Action: name, NoContract: true, Note: notes[code+"::"+name]}
		}
		if !have[name] {
			return &MissingActionError{Contract: code, Action: name, Offers: offers(have, name), Note: notes[code+"::"+name]}
		}
		if code == string(contracts.Msig) && name == "propose" && depth == 0 {
			var p contracts.Propose
			if err := contracts.Decode(actionBytes(a), &p); err != nil {
				return fmt.Errorf("reading the proposed transaction of eosio.msig::propose: %w", err)
			}
			if err := checkActions(ctx, r, p.Trx.Actions, abis, depth+1); err != nil {
				return fmt.Errorf("the proposed transaction: %w", err)
			}
		}
	}
	return nil
}

// actionBytes returns an action's binary data.
func actionBytes(a *eos.Action) []byte {
	if len(a.HexData) > 0 {
		return a.HexData
	}
	b, err := eos.MarshalBinary(a.ActionData.Data)
	if err != nil {
		return nil
	}
	return b
}

// abiActions returns the action names of account's ABI, nil when it has
// none.
func abiActions(ctx context.Context, r ABIReader, account string) (map[string]bool, error) {
	res, err := r.GetABI(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("reading the ABI of %s to check the actions: %w", account, err)
	}
	if len(res.ABI) == 0 || string(res.ABI) == "null" {
		return nil, nil
	}
	var doc struct {
		Actions []struct {
			Name string `json:"name"`
		} `json:"actions"`
	}
	if err := json.Unmarshal(res.ABI, &doc); err != nil {
		return nil, fmt.Errorf("the ABI of %s is unreadable: %w", account, err)
	}
	out := map[string]bool{}
	for _, a := range doc.Actions {
		out[a.Name] = true
	}
	return out, nil
}

// offers lists the contract's actions nearest to name: those sharing its
// stem (name without trailing digits), else the first few, sorted.
func offers(have map[string]bool, name string) []string {
	stem := strings.TrimRight(name, "0123456789")
	var near, all []string
	for a := range have {
		all = append(all, a)
		if strings.HasPrefix(a, stem) || strings.HasPrefix(stem, strings.TrimRight(a, "0123456789")) {
			near = append(near, a)
		}
	}
	sort.Strings(near)
	if len(near) > 0 {
		return near
	}
	sort.Strings(all)
	if len(all) > 8 {
		all = append(all[:8], fmt.Sprintf("... (%d actions)", len(have)))
	}
	return all
}
