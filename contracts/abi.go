package contracts

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"fmt"
	"slices"
	"sync"

	eos "github.com/eoscanada/eos-go"
)

//go:embed abis/*.json
var abiFiles embed.FS

// ErrNoABI is returned for an account whose ABI is not embedded.
var ErrNoABI = fmt.Errorf("no ABI embedded for this account (known: eosio, eosio.msig, eosio.token, eosio.bpay)")

var (
	abiOnce  sync.Once
	abiCache map[eos.AccountName]*eos.ABI
	abiErr   error
)

func sortSlice[T any](s []T, cmp func(a, b T) int) { slices.SortStableFunc(s, cmp) }

// ABIAccounts lists the accounts whose ABI is embedded.
func ABIAccounts() []eos.AccountName {
	return []eos.AccountName{System, Msig, Token, BPay}
}

// ABIJSON returns the embedded ABI document of account, as get_abi serves it.
func ABIJSON(account eos.AccountName) ([]byte, error) {
	b, err := abiFiles.ReadFile("abis/" + string(account) + ".json")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", account, ErrNoABI)
	}
	return b, nil
}

// ABI returns the parsed embedded ABI of account. The value is shared: do
// not modify it.
func ABI(account eos.AccountName) (*eos.ABI, error) {
	abiOnce.Do(func() {
		abiCache = map[eos.AccountName]*eos.ABI{}
		for _, acct := range ABIAccounts() {
			js, err := ABIJSON(acct)
			if err != nil {
				abiErr = err
				return
			}
			a, err := eos.NewABI(bytes.NewReader(js))
			if err != nil {
				abiErr = fmt.Errorf("embedded ABI of %s: %w", acct, err)
				return
			}
			a.SetFitNodeos(true)
			abiCache[acct] = a
		}
	})
	if abiErr != nil {
		return nil, abiErr
	}
	a, ok := abiCache[account]
	if !ok {
		return nil, fmt.Errorf("%s: %w", account, ErrNoABI)
	}
	return a, nil
}

// DecodeActionJSON decodes the binary data of account::action into the JSON
// nodeos would show (bools as 0/1, K1 keys as EOS..., time points with
// milliseconds).
func DecodeActionJSON(account eos.AccountName, action eos.ActionName, data []byte) ([]byte, error) {
	a, err := ABI(account)
	if err != nil {
		return nil, err
	}
	if a.ActionForName(action) == nil {
		return nil, fmt.Errorf("%s has no action %q in its ABI", account, action)
	}
	js, err := a.DecodeAction(data, action)
	if err != nil {
		return nil, fmt.Errorf("decoding %s::%s: %w", account, action, err)
	}
	return js, nil
}

// RawABI returns the binary abi_def of account (what get_raw_abi serves,
// base64-encoded) and its sha256 (abi_hash).
func RawABI(account eos.AccountName) ([]byte, [32]byte, error) {
	a, err := ABI(account)
	if err != nil {
		return nil, [32]byte{}, err
	}
	cp := *a
	if cp.Extensions == nil {
		cp.Extensions = []*eos.Extension{}
	}
	b, err := eos.MarshalBinary(&cp)
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("encoding the ABI of %s: %w", account, err)
	}
	b = append(b, 0) // action_results$: present and empty, as cdt writes abi/1.2
	return b, sha256.Sum256(b), nil
}
