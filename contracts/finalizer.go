package contracts

import (
	"encoding/json"
	"fmt"

	eos "github.com/eoscanada/eos-go"
	"github.com/eoscanada/eos-go/ecc"
)

// Savanna finalizer and peer key actions and tables of eos-system-contracts
// (src/finalizer_key.cpp, src/peer_keys.cpp, include/eosio.system/
// eosio.system.hpp and peer_keys.hpp), with the ABI's field names.

// RegFinKey is eosio::regfinkey: register a BLS finalizer key with its proof
// of possession, both in their PUB_BLS_/SIG_BLS_ string forms.
type RegFinKey struct {
	FinalizerName     eos.AccountName `json:"finalizer_name"`
	FinalizerKey      string          `json:"finalizer_key"`
	ProofOfPossession string          `json:"proof_of_possession"`
}

// ActFinKey is eosio::actfinkey: make a registered key the active one.
type ActFinKey struct {
	FinalizerName eos.AccountName `json:"finalizer_name"`
	FinalizerKey  string          `json:"finalizer_key"`
}

// DelFinKey is eosio::delfinkey: delete a registered key.
type DelFinKey struct {
	FinalizerName eos.AccountName `json:"finalizer_name"`
	FinalizerKey  string          `json:"finalizer_key"`
}

// RegPeerKey is eosio::regpeerkey: the K1/R1 key a producer's node proves
// itself with to p2p-bp-gossip peers.
type RegPeerKey struct {
	ProposerFinalizerName eos.AccountName `json:"proposer_finalizer_name"`
	Key                   ecc.PublicKey   `json:"key"`
}

// DelPeerKey is eosio::delpeerkey; key must be the one stored.
type DelPeerKey struct {
	ProposerFinalizerName eos.AccountName `json:"proposer_finalizer_name"`
	Key                   ecc.PublicKey   `json:"key"`
}

// FinalizerKeyRow is a row of the finkeys table (finalizer_key_info).
type FinalizerKeyRow struct {
	ID                 uint64          `json:"id"`
	FinalizerName      eos.AccountName `json:"finalizer_name"`
	FinalizerKey       string          `json:"finalizer_key"`
	FinalizerKeyBinary eos.HexBytes    `json:"finalizer_key_binary"`
}

// FinalizerRow is a row of the finalizers table (finalizer_info).
type FinalizerRow struct {
	FinalizerName     eos.AccountName `json:"finalizer_name"`
	ActiveKeyID       uint64          `json:"active_key_id"`
	ActiveKeyBinary   eos.HexBytes    `json:"active_key_binary"`
	FinalizerKeyCount uint32          `json:"finalizer_key_count"`
}

// FinalizerAuthority is eosio::finalizer_authority.
type FinalizerAuthority struct {
	Description string       `json:"description"`
	Weight      uint64       `json:"weight"`
	PublicKey   eos.HexBytes `json:"public_key"`
}

// FinalizerAuthInfo is finalizer_auth_info: a key id and its authority.
type FinalizerAuthInfo struct {
	KeyID        uint64             `json:"key_id"`
	FinAuthority FinalizerAuthority `json:"fin_authority"`
}

// LastPropFinalizersRow is the one row of lastpropfins: the finalizers of
// the last proposed finalizer policy, by ascending key id. No row means the
// chain has not switched to Savanna.
type LastPropFinalizersRow struct {
	LastProposedFinalizers []FinalizerAuthInfo `json:"last_proposed_finalizers"`
}

// PeerKeyRow is a row of the peerkeys table: account and the variant
// data (v0_data only) holding an optional key.
type PeerKeyRow struct {
	Account eos.AccountName
	Key     *ecc.PublicKey
}

// MarshalBinary implements eos-go's binary marshaler.
func (p PeerKeyRow) MarshalBinary(e *eos.Encoder) error {
	if err := e.Encode(p.Account); err != nil {
		return err
	}
	if err := e.Encode(eos.Varuint32(0)); err != nil {
		return err
	}
	if p.Key == nil {
		return e.Encode(uint8(0))
	}
	if err := e.Encode(uint8(1)); err != nil {
		return err
	}
	return e.Encode(*p.Key)
}

// UnmarshalBinary implements eos-go's binary unmarshaler.
func (p *PeerKeyRow) UnmarshalBinary(d *eos.Decoder) error {
	if err := d.Decode(&p.Account); err != nil {
		return err
	}
	idx, err := d.ReadUvarint32()
	if err != nil {
		return err
	}
	if idx != 0 {
		return fmt.Errorf("peerkeys: unknown data variant index %d (only 0, v0_data, exists)", idx)
	}
	present, err := d.ReadUint8()
	if err != nil {
		return err
	}
	p.Key = nil
	if present == 0 {
		return nil
	}
	var k ecc.PublicKey
	if err := d.Decode(&k); err != nil {
		return err
	}
	p.Key = &k
	return nil
}

// MarshalJSON writes the row as nodeos does:
// {"account":"x","data":["v0_data",{"pubkey":"EOS..."|null}]} (K1 keys in
// the legacy form, as nodeos prints them).
func (p PeerKeyRow) MarshalJSON() ([]byte, error) {
	var key any
	if p.Key != nil {
		key = LegacyKeyString(*p.Key)
	}
	return json.Marshal(map[string]any{
		"account": p.Account,
		"data":    []any{"v0_data", map[string]any{"pubkey": key}},
	})
}

// UnmarshalJSON reads the form MarshalJSON writes (get_table_rows json=true),
// and also a data value without its variant tag.
func (p *PeerKeyRow) UnmarshalJSON(b []byte) error {
	var raw struct {
		Account eos.AccountName `json:"account"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	p.Account = raw.Account
	p.Key = nil
	value := raw.Data
	var tagged []json.RawMessage
	if json.Unmarshal(raw.Data, &tagged) == nil {
		if len(tagged) != 2 {
			return fmt.Errorf("peerkeys row of %s: data is not a [type, value] variant", raw.Account)
		}
		value = tagged[1]
	}
	var v0 struct {
		PubKey *string `json:"pubkey"`
	}
	if err := json.Unmarshal(value, &v0); err != nil {
		return fmt.Errorf("peerkeys row of %s: %w", raw.Account, err)
	}
	if v0.PubKey == nil {
		return nil
	}
	k, err := ecc.NewPublicKey(*v0.PubKey)
	if err != nil {
		return fmt.Errorf("peerkeys row of %s: %w", raw.Account, err)
	}
	p.Key = &k
	return nil
}
