package finalizer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/signer/bls"
)

// Chain is what this package reads. *chain.Client implements it.
type Chain interface {
	GetAllTableRows(ctx context.Context, req chain.TableRowsRequest) ([]json.RawMessage, error)
	GetTableRows(ctx context.Context, req chain.TableRowsRequest) (*chain.TableRows, error)
}

var _ Chain = (*chain.Client)(nil)

// Key is one registered finalizer key.
type Key struct {
	ID     uint64        `json:"id"`
	Owner  string        `json:"finalizer_name"`
	Key    bls.PublicKey `json:"key"`
	Active bool          `json:"active"`
}

// Status is what the chain says about an account's finalizer keys.
type Status struct {
	Account string `json:"account"`
	// Producer: the account has a row in eosio's producers table.
	Producer bool `json:"producer"`
	// Keys are the account's registered keys, by id.
	Keys []Key `json:"keys"`
	// ActiveKeyID is finalizers.active_key_id (meaningful when Keys is not
	// empty).
	ActiveKeyID uint64 `json:"active_key_id"`
	// Savanna: the chain has switched (lastpropfins holds a policy).
	Savanna bool `json:"savanna"`
	// InPolicy: the account's active key is in the last proposed finalizer
	// policy.
	InPolicy bool `json:"in_finalizer_policy"`
	// owners maps every registered key on chain to its finalizer.
	owners map[[bls.PublicKeySize]byte]string
}

// Active returns the active key.
func (s *Status) Active() (Key, bool) {
	for _, k := range s.Keys {
		if k.Active {
			return k, true
		}
	}
	return Key{}, false
}

// Owner returns who registered k, if anyone.
func (s *Status) Owner(k bls.PublicKey) (string, bool) {
	o, ok := s.owners[k.Bytes()]
	return o, ok
}

func eosioTable(table string) chain.TableRowsRequest {
	return chain.TableRowsRequest{Code: "eosio", Scope: "eosio", Table: table, JSON: true, Limit: 500}
}

// Read reads the account's finalizer keys and the chain's registered keys
// and last proposed finalizer policy. A table that does not exist (a system
// contract older than Savanna) is an error, never "no keys".
func Read(ctx context.Context, c Chain, account string) (*Status, error) {
	s := &Status{Account: account, owners: map[[bls.PublicKeySize]byte]string{}}
	req := eosioTable("producers")
	req.LowerBound, req.Limit, req.KeyType = account, 1, "name"
	prods, err := c.GetTableRows(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("reading eosio's producers table: %w", err)
	}
	for _, r := range prods.Rows {
		var p struct {
			Owner string `json:"owner"`
		}
		if json.Unmarshal(r, &p) == nil && p.Owner == account {
			s.Producer = true
		}
	}
	keys, err := c.GetAllTableRows(ctx, eosioTable("finkeys"))
	if err != nil {
		return nil, fmt.Errorf("reading eosio's finkeys table (a system contract without Savanna finalizer keys?): %w", err)
	}
	for _, r := range keys {
		var row contracts.FinalizerKeyRow
		if err := json.Unmarshal(r, &row); err != nil {
			return nil, fmt.Errorf("finkeys row %s: %w", r, err)
		}
		k, err := bls.PublicKeyFromBytes(row.FinalizerKeyBinary)
		if err != nil {
			return nil, fmt.Errorf("finkeys row %d of %s: %w", row.ID, row.FinalizerName, err)
		}
		s.owners[k.Bytes()] = string(row.FinalizerName)
		if string(row.FinalizerName) == account {
			s.Keys = append(s.Keys, Key{ID: row.ID, Owner: account, Key: k})
		}
	}
	freq := eosioTable("finalizers")
	freq.LowerBound, freq.UpperBound, freq.KeyType = account, account, "name"
	fins, err := c.GetTableRows(ctx, freq)
	if err != nil {
		return nil, fmt.Errorf("reading eosio's finalizers table: %w", err)
	}
	for _, r := range fins.Rows {
		var f contracts.FinalizerRow
		if err := json.Unmarshal(r, &f); err != nil {
			return nil, fmt.Errorf("finalizers row %s: %w", r, err)
		}
		if string(f.FinalizerName) != account {
			continue
		}
		s.ActiveKeyID = f.ActiveKeyID
		for i := range s.Keys {
			s.Keys[i].Active = s.Keys[i].ID == f.ActiveKeyID
		}
	}
	lp, err := c.GetTableRows(ctx, eosioTable("lastpropfins"))
	if err != nil {
		return nil, fmt.Errorf("reading eosio's lastpropfins table: %w", err)
	}
	for _, r := range lp.Rows {
		var row contracts.LastPropFinalizersRow
		if err := json.Unmarshal(r, &row); err != nil {
			return nil, fmt.Errorf("lastpropfins row %s: %w", r, err)
		}
		s.Savanna = s.Savanna || len(row.LastProposedFinalizers) > 0
		if a, ok := s.Active(); ok {
			for _, f := range row.LastProposedFinalizers {
				if f.KeyID == a.ID {
					s.InPolicy = true
				}
			}
		}
	}
	return s, nil
}

// ErrNoPeerKey means the account has no peer key registered.
var ErrNoPeerKey = errors.New("no peer key registered")

// ReadPeerKey returns the account's registered peer key (ErrNoPeerKey when
// it has none).
func ReadPeerKey(ctx context.Context, c Chain, account string) (signer.PublicKey, error) {
	req := eosioTable("peerkeys")
	req.LowerBound, req.UpperBound, req.KeyType = account, account, "name"
	res, err := c.GetTableRows(ctx, req)
	if err != nil {
		return signer.PublicKey{}, fmt.Errorf("reading eosio's peerkeys table (a system contract without peer keys?): %w", err)
	}
	for _, r := range res.Rows {
		var row contracts.PeerKeyRow
		if err := json.Unmarshal(r, &row); err != nil {
			return signer.PublicKey{}, fmt.Errorf("peerkeys row %s: %w", r, err)
		}
		if string(row.Account) != account || row.Key == nil {
			continue
		}
		k, err := signer.PublicKeyFromECC(*row.Key)
		if err != nil {
			return signer.PublicKey{}, fmt.Errorf("peer key of %s: %w", account, err)
		}
		return k, nil
	}
	return signer.PublicKey{}, fmt.Errorf("%s: %w", account, ErrNoPeerKey)
}

func isNoPeerKey(err error) bool { return errors.Is(err, ErrNoPeerKey) }
