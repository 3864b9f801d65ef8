package devchain

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
)

// Genesis describes a devchain's starting state. Permission entries are the
// objects of get_account's "permissions" array, so a real account can be
// pasted in (extra fields such as last_updated are ignored; linked_actions
// are honoured). System accounts (eosio, eosio.msig, eosio.token,
// eosio.bpay, eosio.vpay, eosio.prods, eosio.null) exist without being named.
type Genesis struct {
	// ChainID is 64 hex digits; empty means sha256("bpkeys devchain").
	ChainID string `json:"chain_id,omitempty"`
	// Time is the time of the first block, as nodeos prints times
	// ("2026-01-01T00:00:00.000"). It is the chain's clock with a manual
	// clock; with a real clock the chain follows the wall clock.
	Time string `json:"time,omitempty"`
	// CoreSymbol is "precision,CODE"; empty means "4,EOS".
	CoreSymbol string `json:"core_symbol,omitempty"`
	// SystemContract is the eosio.system modelled: "" or "current" (the
	// recorded Jungle 4 ABI: regproducer2, eosio.bpay, limitauthchg), or
	// "legacy" (an older eosio.system without them; see SystemLegacy).
	SystemContract string `json:"system_contract,omitempty"`
	// TransactionStatus serves get_transaction_status (default true); false
	// answers it 404 "Unknown Endpoint", as a nodeos run without
	// --transaction-finality-status-max-storage-size-gb does.
	TransactionStatus *bool `json:"transaction_status,omitempty"`
	// Activated marks the system contract as activated (15% of the supply
	// voting): thresh_activated_stake_time in eosio's global table. Default
	// true; false makes eosio::claimrewards fail as on a new chain.
	Activated *bool             `json:"activated,omitempty"`
	Accounts  []GenesisAccount  `json:"accounts"`
	Producers []GenesisProducer `json:"producers,omitempty"`
}

// GenesisAccount is one account of the genesis.
type GenesisAccount struct {
	Name string `json:"name"`
	// AccountName is accepted too, so a whole get_account answer can be used.
	AccountName string              `json:"account_name,omitempty"`
	Permissions []GenesisPermission `json:"permissions"`
	// Balance is a core-token balance such as "1000.0000 EOS".
	Balance    string `json:"balance,omitempty"`
	Privileged bool   `json:"privileged,omitempty"`
}

// GenesisPermission is a get_account permission object.
type GenesisPermission struct {
	PermName      string            `json:"perm_name"`
	Parent        string            `json:"parent"`
	RequiredAuth  GenesisAuthority  `json:"required_auth"`
	LinkedActions []GenesisLinkedAt `json:"linked_actions,omitempty"`
}

// GenesisLinkedAt is a linked action: contract account and action (empty
// action: every action of the contract).
type GenesisLinkedAt struct {
	Account string `json:"account"`
	Action  string `json:"action,omitempty"`
}

// GenesisAuthority is an authority as get_account prints it; keys may be in
// any form signer.ParsePublicKey reads (EOS..., PUB_K1_..., PUB_R1_...).
type GenesisAuthority struct {
	Threshold uint32 `json:"threshold"`
	Keys      []struct {
		Key    string `json:"key"`
		Weight uint16 `json:"weight"`
	} `json:"keys"`
	Accounts []struct {
		Permission struct {
			Actor      string `json:"actor"`
			Permission string `json:"permission"`
		} `json:"permission"`
		Weight uint16 `json:"weight"`
	} `json:"accounts"`
	Waits []struct {
		WaitSec uint32 `json:"wait_sec"`
		Weight  uint16 `json:"weight"`
	} `json:"waits"`
}

// GenesisProducer registers a producer at genesis.
type GenesisProducer struct {
	Owner       string `json:"owner"`
	ProducerKey string `json:"producer_key"`
	URL         string `json:"url"`
	Location    uint16 `json:"location"`
	// LastClaimTime defaults to the zero time, so the producer can claim
	// right away (a fresh regproducer on chain must wait 24 h).
	LastClaimTime string `json:"last_claim_time,omitempty"`
	// BPayRewards seeds eosio.bpay's rewards table for the producer
	// (default "100.0000 <core>"; "0" for none).
	BPayRewards string `json:"bpay_rewards,omitempty"`
}

// LoadGenesis reads a genesis JSON file.
func LoadGenesis(path string) (*Genesis, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading genesis: %w", err)
	}
	g, err := ParseGenesis(b)
	if err != nil {
		return nil, fmt.Errorf("genesis %s: %w", path, err)
	}
	return g, nil
}

// ParseGenesis parses genesis JSON.
func ParseGenesis(b []byte) (*Genesis, error) {
	var g Genesis
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("parsing genesis JSON: %w", err)
	}
	return &g, nil
}

// DefaultChainID is the chain id of a genesis that names none.
var DefaultChainID = signer.ChainID(sha256.Sum256([]byte("bpkeys devchain")))

// DefaultGenesisTime is the first block time of a genesis that names none.
var DefaultGenesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func (g *Genesis) chainID() (signer.ChainID, error) {
	if g.ChainID == "" {
		return DefaultChainID, nil
	}
	id, err := signer.ParseChainID(g.ChainID)
	if err != nil {
		return id, fmt.Errorf("chain_id: %w", err)
	}
	return id, nil
}

func (g *Genesis) time() (time.Time, error) {
	if g.Time == "" {
		return DefaultGenesisTime, nil
	}
	return parseTime(g.Time)
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.000", "2006-01-02T15:04:05", time.RFC3339Nano} {
		if t, err := time.Parse(layout, strings.TrimSuffix(s, "Z")); err == nil {
			return t.UTC(), nil
		}
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: expected YYYY-MM-DDTHH:MM:SS.sss (UTC)", s)
}

func (g *Genesis) systemContract() (string, error) {
	switch g.SystemContract {
	case "", SystemCurrent:
		return SystemCurrent, nil
	case SystemLegacy:
		return SystemLegacy, nil
	}
	return "", fmt.Errorf("system_contract %q: expected %q or %q", g.SystemContract, SystemCurrent, SystemLegacy)
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

func (g *Genesis) coreSymbol() (eos.Symbol, error) {
	s := g.CoreSymbol
	if s == "" {
		s = "4,EOS"
	}
	sym, err := eos.StringToSymbol(s)
	if err != nil {
		return sym, fmt.Errorf("core_symbol %q: expected precision,CODE such as 4,EOS: %w", s, err)
	}
	return sym, nil
}

func (ga GenesisAuthority) authority() (authority, error) {
	var e eos.Authority
	e.Threshold = ga.Threshold
	for i, k := range ga.Keys {
		pk, err := signer.ParsePublicKey(k.Key)
		if err != nil {
			return authority{}, fmt.Errorf("keys[%d]: %w", i, err)
		}
		e.Keys = append(e.Keys, eos.KeyWeight{PublicKey: pk.ECC(), Weight: k.Weight})
	}
	for _, a := range ga.Accounts {
		e.Accounts = append(e.Accounts, eos.PermissionLevelWeight{Permission: eos.PermissionLevel{Actor: eos.AccountName(a.Permission.Actor), Permission: eos.PermissionName(a.Permission.Permission)}, Weight: a.Weight})
	}
	for _, w := range ga.Waits {
		e.Waits = append(e.Waits, eos.WaitWeight{WaitSec: w.WaitSec, Weight: w.Weight})
	}
	if err := contracts.ValidateAuthority(e); err != nil {
		return authority{}, err
	}
	return authorityFromEOS(e)
}
