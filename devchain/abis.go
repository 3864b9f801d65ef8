package devchain

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/json"
	"fmt"

	eos "github.com/eoscanada/eos-go"
)

//go:embed abis/*.json
var abiFiles embed.FS

// SystemContract names the eosio.system the devchain models.
const (
	// SystemCurrent is the reference eosio.system of the recorded Jungle 4
	// ABI: regproducer2, eosio.bpay, limitauthchg, producer_authority.
	SystemCurrent = "current"
	// SystemLegacy is an older eosio.system (before regproducer2) as many
	// chains and test nets still run: no regproducer2, no limitauthchg, no
	// finalizer actions, no producer_authority in the producers table, no
	// authorized_by on the auth actions, and eosio.bpay is a plain account
	// without a contract.
	SystemLegacy = "legacy"
)

// legacyMissingActions are the eosio actions an older system contract does
// not have (regproducer2 and limitauthchg came with reference-contracts
// v3.x, the finalizer actions with Savanna).
var legacyMissingActions = map[string]bool{
	"regproducer2": true, "limitauthchg": true,
	"regfinkey": true, "actfinkey": true, "delfinkey": true, "switchtosvnn": true,
}

// contractABI is a deployed contract's ABI as nodeos serves it.
type contractABI struct {
	doc     json.RawMessage // get_abi's "abi"
	abi     *eos.ABI
	raw     []byte   // get_raw_abi's "abi" (binary abi_def)
	hash    [32]byte // sha256 of raw
	actions map[string]bool
}

// hasAction reports whether the ABI declares action.
func (c *contractABI) hasAction(action string) bool { return c != nil && c.actions[action] }

// loadABIs returns the ABIs of the contracts deployed for a system contract
// flavour: eosio, eosio.msig, eosio.token and (current only) eosio.bpay.
func loadABIs(system string) (map[string]*contractABI, error) {
	accounts := []string{"eosio", "eosio.msig", "eosio.token"}
	if system != SystemLegacy {
		accounts = append(accounts, "eosio.bpay")
	}
	out := map[string]*contractABI{}
	for _, acct := range accounts {
		js, err := abiFiles.ReadFile("abis/" + acct + ".json")
		if err != nil {
			return nil, fmt.Errorf("devchain: embedded ABI of %s: %w", acct, err)
		}
		if acct == "eosio" && system == SystemLegacy {
			if js, err = legacySystemABI(js); err != nil {
				return nil, err
			}
		} else if acct == "eosio" {
			if js, err = savannaSystemABI(js); err != nil {
				return nil, err
			}
		}
		ca, err := newContractABI(js)
		if err != nil {
			return nil, fmt.Errorf("devchain: embedded ABI of %s: %w", acct, err)
		}
		out[acct] = ca
	}
	return out, nil
}

func newContractABI(js []byte) (*contractABI, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, js); err != nil {
		return nil, err
	}
	a, err := eos.NewABI(bytes.NewReader(js))
	if err != nil {
		return nil, err
	}
	a.SetFitNodeos(true)
	cp := *a
	if cp.Extensions == nil {
		cp.Extensions = []*eos.Extension{}
	}
	raw, err := eos.MarshalBinary(&cp)
	if err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	raw = append(raw, 0) // action_results: present and empty, as cdt writes abi/1.2
	ca := &contractABI{doc: compact.Bytes(), abi: a, raw: raw, hash: sha256.Sum256(raw), actions: map[string]bool{}}
	for _, ad := range a.Actions {
		ca.actions[string(ad.Name)] = true
	}
	return ca, nil
}

// savannaSystemABI adds to the recorded system ABI (August 2023, before
// Savanna) the finalizer and peer key actions, tables, structs and variant
// of eos-system-contracts (abis/eosio.savanna.json).
func savannaSystemABI(js []byte) ([]byte, error) {
	var doc, add map[string]any
	if err := json.Unmarshal(js, &doc); err != nil {
		return nil, fmt.Errorf("devchain: system ABI: %w", err)
	}
	extra, err := abiFiles.ReadFile("abis/eosio.savanna.json")
	if err != nil {
		return nil, fmt.Errorf("devchain: the Savanna part of the system ABI: %w", err)
	}
	if err := json.Unmarshal(extra, &add); err != nil {
		return nil, fmt.Errorf("devchain: the Savanna part of the system ABI: %w", err)
	}
	for _, k := range []string{"structs", "actions", "tables", "variants"} {
		have, _ := doc[k].([]any)
		more, _ := add[k].([]any)
		doc[k] = append(have, more...)
	}
	return json.Marshal(doc)
}

// legacySystemABI edits the recorded system ABI into an older one: without
// legacyMissingActions (and the limitauthchg table), without the
// producer_authority$ extension of producer_info and without authorized_by$
// on the auth actions.
func legacySystemABI(js []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(js, &doc); err != nil {
		return nil, fmt.Errorf("devchain: system ABI: %w", err)
	}
	var actions []any
	for _, a := range doc["actions"].([]any) {
		if !legacyMissingActions[a.(map[string]any)["name"].(string)] {
			actions = append(actions, a)
		}
	}
	doc["actions"] = actions
	var tables []any
	for _, t := range doc["tables"].([]any) {
		if t.(map[string]any)["name"] != "limitauthchg" {
			tables = append(tables, t)
		}
	}
	doc["tables"] = tables
	for _, s := range doc["structs"].([]any) {
		sm := s.(map[string]any)
		var fields []any
		for _, f := range sm["fields"].([]any) {
			n := f.(map[string]any)["name"]
			if n == "authorized_by" || (sm["name"] == "producer_info" && n == "producer_authority") {
				continue
			}
			fields = append(fields, f)
		}
		if fields == nil {
			fields = []any{}
		}
		sm["fields"] = fields
	}
	return json.Marshal(doc)
}
