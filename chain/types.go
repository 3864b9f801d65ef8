package chain

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bpkeys/bpkeys/signer"
)

// Checksum256 is a 32-byte hash as nodeos prints it (64 hex digits): block
// ids, transaction ids, ABI and code hashes.
type Checksum256 [32]byte

// ParseChecksum256 reads 64 hex digits.
func ParseChecksum256(s string) (Checksum256, error) {
	var c Checksum256
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != 32 {
		return c, fmt.Errorf("%q is not a 32-byte hash (expected 64 hex digits)", s)
	}
	copy(c[:], b)
	return c, nil
}

// String returns the hash in hex.
func (c Checksum256) String() string { return hex.EncodeToString(c[:]) }

// IsZero reports whether c is all zeros (nodeos's empty checksum).
func (c Checksum256) IsZero() bool { return c == Checksum256{} }

// BlockNum returns the block number a block id carries in its first four
// bytes (big-endian), as nodeos's block_header::num_from_id.
func (c Checksum256) BlockNum() uint32 { return binary.BigEndian.Uint32(c[0:4]) }

// MarshalText writes hex.
func (c Checksum256) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads hex; an empty string is the zero checksum.
func (c *Checksum256) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*c = Checksum256{}
		return nil
	}
	v, err := ParseChecksum256(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// HexBytes is binary data written as hex in JSON, as nodeos does for
// packed_trx and action data.
type HexBytes []byte

// String returns the bytes in hex.
func (h HexBytes) String() string { return hex.EncodeToString(h) }

// MarshalText writes hex.
func (h HexBytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

// UnmarshalText reads hex.
func (h *HexBytes) UnmarshalText(b []byte) error {
	v, err := hex.DecodeString(string(b))
	if err != nil {
		return fmt.Errorf("invalid hex data: %w", err)
	}
	*h = v
	return nil
}

// Time is a nodeos time_point or block_timestamp: UTC, printed without a zone
// ("2023-08-04T18:49:34.500").
type Time struct{ time.Time }

const nodeosTimeLayout = "2006-01-02T15:04:05.000"

// MarshalJSON writes nodeos's format (millisecond precision, no zone).
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(nodeosTimeLayout) + `"`), nil
}

// UnmarshalJSON reads nodeos's format; RFC 3339 with a zone is accepted too.
// null and "" are the zero time.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time: expected a string, got %s", b)
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	// Go accepts a fractional second after the seconds even when the layout
	// has none.
	if v, err := time.ParseInLocation("2006-01-02T15:04:05", s, time.UTC); err == nil {
		t.Time = v
		return nil
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("time %q: not in nodeos's format (2006-01-02T15:04:05.000)", s)
	}
	t.Time = v.UTC()
	return nil
}

// FlexInt is a 64-bit integer as nodeos prints it: a JSON number, or a JSON
// string when it does not fit in 32 bits (fc prints large 64-bit values as
// strings, so the same field is a number on one account and a string on
// another, e.g. get_account's cpu_weight).
type FlexInt int64

// MarshalJSON writes a JSON number.
func (f FlexInt) MarshalJSON() ([]byte, error) { return []byte(strconv.FormatInt(int64(f), 10)), nil }

// UnmarshalJSON reads a number or a string holding one; null is 0.
func (f *FlexInt) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		*f = 0
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("expected an integer, got %s", b)
	}
	*f = FlexInt(v)
	return nil
}

// Info is nodeos's get_info answer (the fields bpkeys uses).
type Info struct {
	ServerVersion             string         `json:"server_version"`
	ChainID                   signer.ChainID `json:"chain_id"`
	HeadBlockNum              uint32         `json:"head_block_num"`
	LastIrreversibleBlockNum  uint32         `json:"last_irreversible_block_num"`
	LastIrreversibleBlockID   Checksum256    `json:"last_irreversible_block_id"`
	LastIrreversibleBlockTime Time           `json:"last_irreversible_block_time"`
	HeadBlockID               Checksum256    `json:"head_block_id"`
	HeadBlockTime             Time           `json:"head_block_time"`
	HeadBlockProducer         string         `json:"head_block_producer"`
	ForkDBHeadBlockNum        uint32         `json:"fork_db_head_block_num"`
	ForkDBHeadBlockID         Checksum256    `json:"fork_db_head_block_id"`
	ServerVersionString       string         `json:"server_version_string"`
	ServerFullVersionString   string         `json:"server_full_version_string"`
	EarliestAvailableBlockNum uint32         `json:"earliest_available_block_num"`
}

// Block is the part of a get_block answer used for TaPoS.
type Block struct {
	ID             Checksum256 `json:"id"`
	BlockNum       uint32      `json:"block_num"`
	RefBlockPrefix uint32      `json:"ref_block_prefix"`
	Timestamp      Time        `json:"timestamp"`
	Producer       string      `json:"producer"`
	Previous       Checksum256 `json:"previous"`
}

// PermissionLevel is an actor@permission pair.
type PermissionLevel struct {
	Actor      string `json:"actor"`
	Permission string `json:"permission"`
}

// String returns actor@permission.
func (p PermissionLevel) String() string { return p.Actor + "@" + p.Permission }

// KeyWeight is one key of an authority.
type KeyWeight struct {
	Key    signer.PublicKey `json:"key"`
	Weight uint16           `json:"weight"`
	// Unsupported holds the key's text when it is of a type bpkeys cannot
	// represent (a WebAuthn PUB_WA_ key); Key is then the zero value. Such a
	// key still counts towards the threshold on chain.
	Unsupported string `json:"-"`
}

// UnmarshalJSON reads {"key": "EOS...|PUB_K1_...|PUB_R1_...|FIO...", "weight": n}.
func (k *KeyWeight) UnmarshalJSON(b []byte) error {
	var aux struct {
		Key    string `json:"key"`
		Weight uint16 `json:"weight"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*k = KeyWeight{Weight: aux.Weight}
	p, err := signer.ParsePublicKey(aux.Key)
	switch {
	case errors.Is(err, signer.ErrUnsupported):
		k.Unsupported = aux.Key
	case err != nil:
		return fmt.Errorf("authority key %q: %w", aux.Key, err)
	default:
		k.Key = p
	}
	return nil
}

// MarshalJSON writes the key in its PUB_ form (or the unsupported key's text).
func (k KeyWeight) MarshalJSON() ([]byte, error) {
	key := k.Unsupported
	if key == "" {
		key = k.Key.String()
	}
	return json.Marshal(struct {
		Key    string `json:"key"`
		Weight uint16 `json:"weight"`
	}{key, k.Weight})
}

// PermissionLevelWeight is one account of an authority.
type PermissionLevelWeight struct {
	Permission PermissionLevel `json:"permission"`
	Weight     uint16          `json:"weight"`
}

// WaitWeight is one wait of an authority.
type WaitWeight struct {
	WaitSec uint32 `json:"wait_sec"`
	Weight  uint16 `json:"weight"`
}

// Authority is a permission's required_auth.
type Authority struct {
	Threshold uint32                  `json:"threshold"`
	Keys      []KeyWeight             `json:"keys"`
	Accounts  []PermissionLevelWeight `json:"accounts"`
	Waits     []WaitWeight            `json:"waits"`
}

// LinkedAction is a linkauth: the contract account and action whose minimum
// permission is the permission it is listed under. An empty Action means
// every action of the contract (nodeos omits the field then).
type LinkedAction struct {
	Account string `json:"account"`
	Action  string `json:"action,omitempty"`
}

// String returns account::action, or account::* for the whole contract.
func (l LinkedAction) String() string {
	if l.Action == "" {
		return l.Account + "::*"
	}
	return l.Account + "::" + l.Action
}

// Permission is one entry of get_account's permissions: exactly the objects
// a devchain genesis file takes.
type Permission struct {
	PermName     string    `json:"perm_name"`
	Parent       string    `json:"parent"`
	RequiredAuth Authority `json:"required_auth"`
	// LinkedActions is nil when the node did not report links (nodeos before
	// Leap 4, FIO) and empty when it reported none.
	LinkedActions []LinkedAction `json:"linked_actions,omitempty"`
}

// Account is nodeos's get_account answer (the fields bpkeys uses).
type Account struct {
	AccountName       string       `json:"account_name"`
	HeadBlockNum      uint32       `json:"head_block_num"`
	HeadBlockTime     Time         `json:"head_block_time"`
	Privileged        bool         `json:"privileged"`
	LastCodeUpdate    Time         `json:"last_code_update"`
	Created           Time         `json:"created"`
	CoreLiquidBalance string       `json:"core_liquid_balance,omitempty"`
	RAMQuota          FlexInt      `json:"ram_quota"`
	RAMUsage          FlexInt      `json:"ram_usage"`
	NetWeight         FlexInt      `json:"net_weight"`
	CPUWeight         FlexInt      `json:"cpu_weight"`
	Permissions       []Permission `json:"permissions"`
	// EosioAnyLinkedActions lists actions linked to eosio.any (nil when not
	// reported).
	EosioAnyLinkedActions []LinkedAction  `json:"eosio_any_linked_actions,omitempty"`
	TotalResources        json.RawMessage `json:"total_resources,omitempty"`
	SelfDelegated         json.RawMessage `json:"self_delegated_bandwidth,omitempty"`
	VoterInfo             json.RawMessage `json:"voter_info,omitempty"`
	// Raw is the whole answer as the endpoint sent it.
	Raw json.RawMessage `json:"-"`
}

// Permission returns the named permission, or nil.
func (a *Account) Permission(name string) *Permission {
	for i := range a.Permissions {
		if a.Permissions[i].PermName == name {
			return &a.Permissions[i]
		}
	}
	return nil
}

// ABIResponse is get_abi's answer. ABI is the contract's ABI as JSON (null
// when the account has none); Parse decodes it with eos-go for action and
// table data decoding.
type ABIResponse struct {
	AccountName string          `json:"account_name"`
	ABI         json.RawMessage `json:"abi,omitempty"`
}

// RawABI is get_raw_abi's answer with the ABI decoded from base64 and
// checked against abi_hash.
type RawABI struct {
	AccountName string
	CodeHash    Checksum256
	ABIHash     Checksum256
	ABI         []byte // the binary ABI; empty when the account has none
}

// TableRowsRequest is get_table_rows's request. JSON selects decoded rows
// (true) or hex (false). LowerBound/UpperBound, KeyType ("i64", "name",
// "sha256", ...) and IndexPosition ("1"/"primary", "2"/"secondary", ...)
// are sent as given; a zero Limit lets nodeos choose (10).
type TableRowsRequest struct {
	Code          string `json:"code"`
	Scope         string `json:"scope"`
	Table         string `json:"table"`
	JSON          bool   `json:"json"`
	LowerBound    string `json:"lower_bound,omitempty"`
	UpperBound    string `json:"upper_bound,omitempty"`
	Limit         uint32 `json:"limit,omitempty"`
	KeyType       string `json:"key_type,omitempty"`
	IndexPosition string `json:"index_position,omitempty"`
	EncodeType    string `json:"encode_type,omitempty"`
	Reverse       bool   `json:"reverse,omitempty"`
	ShowPayer     bool   `json:"show_payer,omitempty"`
}

// TableRows is get_table_rows's answer. With ShowPayer each row is
// {"data": ..., "payer": ...}.
type TableRows struct {
	Rows    []json.RawMessage `json:"rows"`
	More    bool              `json:"more"`
	NextKey string            `json:"next_key"`
}

// TableByScopeRequest is get_table_by_scope's request.
type TableByScopeRequest struct {
	Code       string `json:"code"`
	Table      string `json:"table,omitempty"`
	LowerBound string `json:"lower_bound,omitempty"`
	UpperBound string `json:"upper_bound,omitempty"`
	Limit      uint32 `json:"limit,omitempty"`
	Reverse    bool   `json:"reverse,omitempty"`
}

// ScopeRow is one row of get_table_by_scope.
type ScopeRow struct {
	Code  string  `json:"code"`
	Scope string  `json:"scope"`
	Table string  `json:"table"`
	Payer string  `json:"payer"`
	Count FlexInt `json:"count"`
}

// TableByScope is get_table_by_scope's answer. More is the lower bound of
// the next page (a string, unlike get_table_rows's boolean), empty at the
// end.
type TableByScope struct {
	Rows []ScopeRow `json:"rows"`
	More string     `json:"more"`
}

// ProducersRequest is get_producers's request.
type ProducersRequest struct {
	LowerBound string `json:"lower_bound,omitempty"`
	Limit      uint32 `json:"limit,omitempty"`
}

// Producer is one row of get_producers (the eosio producers table).
type Producer struct {
	Owner string `json:"owner"`
	// TotalVotes is a decimal string (a double on chain).
	TotalVotes string `json:"total_votes"`
	// ProducerKey is the text of the block-signing key; an unregistered
	// producer has the null key (EOS1111111111111111111111111111111114T1Anm),
	// which is not a valid point: use Key.
	ProducerKey   string  `json:"producer_key"`
	IsActive      FlexInt `json:"is_active"`
	URL           string  `json:"url"`
	UnpaidBlocks  FlexInt `json:"unpaid_blocks"`
	LastClaimTime Time    `json:"last_claim_time"`
	Location      FlexInt `json:"location"`
	// ProducerAuthority is ["block_signing_authority_v0", {...}] when present.
	ProducerAuthority json.RawMessage `json:"producer_authority,omitempty"`
}

// NullKey is the key eosio stores for a producer without an active key.
const NullKey = "EOS1111111111111111111111111111111114T1Anm"

// Key parses ProducerKey; ok is false for the null key.
func (p Producer) Key() (k signer.PublicKey, ok bool, err error) {
	if p.ProducerKey == "" || p.ProducerKey == NullKey {
		return k, false, nil
	}
	k, err = signer.ParsePublicKey(p.ProducerKey)
	if err != nil {
		return k, false, fmt.Errorf("producer %s key %q: %w", p.Owner, p.ProducerKey, err)
	}
	return k, true, nil
}

// Producers is get_producers's answer. More is the next page's lower bound.
type Producers struct {
	Rows                    []Producer `json:"rows"`
	TotalProducerVoteWeight string     `json:"total_producer_vote_weight"`
	More                    string     `json:"more"`
}

// TransactionStatus is get_transaction_status's answer (nodeos 3.1+ with
// the transaction finality status feature enabled).
type TransactionStatus struct {
	State          string      `json:"state"` // LOCALLY_APPLIED, IN_BLOCK, IRREVERSIBLE, FORKED_OUT, FAILED, UNKNOWN
	BlockNumber    uint32      `json:"block_number"`
	BlockID        Checksum256 `json:"block_id"`
	BlockTimestamp Time        `json:"block_timestamp"`
	Expiration     Time        `json:"expiration"`
	HeadNumber     uint32      `json:"head_number"`
}

// Known reports whether the node has the transaction applied or in a block.
func (s TransactionStatus) Known() bool {
	switch s.State {
	case "LOCALLY_APPLIED", "IN_BLOCK", "IRREVERSIBLE":
		return true
	}
	return false
}
