package contracts

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	eos "github.com/eoscanada/eos-go"
	"github.com/eoscanada/eos-go/btcsuite/btcutil/base58"
	"github.com/eoscanada/eos-go/ecc"

	//lint:ignore SA1019 EOSIO key strings carry RIPEMD-160 checksums.
	"golang.org/x/crypto/ripemd160"

	"github.com/bpkeys/bpkeys/signer"
)

// RegProducer is eosio::regproducer: the key is stored as a
// block_signing_authority_v0 of threshold 1 with that one key.
type RegProducer struct {
	Producer    eos.AccountName `json:"producer"`
	ProducerKey ecc.PublicKey   `json:"producer_key"`
	URL         string          `json:"url"`
	Location    uint16          `json:"location"`
}

// RegProducer2 is eosio::regproducer2, registering with a signing authority.
type RegProducer2 struct {
	Producer          eos.AccountName       `json:"producer"`
	ProducerAuthority BlockSigningAuthority `json:"producer_authority"`
	URL               string                `json:"url"`
	Location          uint16                `json:"location"`
}

// UnregProd is eosio::unregprod.
type UnregProd struct {
	Producer eos.AccountName `json:"producer"`
}

// ClaimRewards is eosio::claimrewards and eosio.bpay::claimrewards.
type ClaimRewards struct {
	Owner eos.AccountName `json:"owner"`
}

// BlockSigningAuthority is the variant block_signing_authority with its only
// alternative, block_signing_authority_v0. In binary it is varuint32 0,
// uint32 threshold, key_weight[]; in JSON
// ["block_signing_authority_v0",{"threshold":N,"keys":[...]}].
type BlockSigningAuthority struct {
	Threshold uint32          `json:"threshold"`
	Keys      []eos.KeyWeight `json:"keys"`
}

// MarshalBinary implements eos-go's binary marshaler.
func (b BlockSigningAuthority) MarshalBinary(e *eos.Encoder) error {
	if err := e.Encode(eos.Varuint32(0)); err != nil {
		return err
	}
	if err := e.Encode(b.Threshold); err != nil {
		return err
	}
	keys := b.Keys
	if keys == nil {
		keys = []eos.KeyWeight{}
	}
	return e.Encode(keys)
}

// UnmarshalBinary implements eos-go's binary unmarshaler.
func (b *BlockSigningAuthority) UnmarshalBinary(d *eos.Decoder) error {
	idx, err := d.ReadUvarint32()
	if err != nil {
		return err
	}
	if idx != 0 {
		return fmt.Errorf("block_signing_authority: unknown variant index %d (only 0, block_signing_authority_v0, exists)", idx)
	}
	if b.Threshold, err = d.ReadUint32(); err != nil {
		return err
	}
	b.Keys = nil
	return d.Decode(&b.Keys)
}

// MarshalJSON writes the variant as nodeos does.
func (b BlockSigningAuthority) MarshalJSON() ([]byte, error) {
	type kw struct {
		Key    string `json:"key"`
		Weight uint16 `json:"weight"`
	}
	v0 := struct {
		Threshold uint32 `json:"threshold"`
		Keys      []kw   `json:"keys"`
	}{Threshold: b.Threshold, Keys: []kw{}}
	for _, k := range b.Keys {
		v0.Keys = append(v0.Keys, kw{LegacyKeyString(k.PublicKey), k.Weight})
	}
	return json.Marshal([]any{"block_signing_authority_v0", v0})
}

// IsValid is cdt's block_signing_authority_v0::is_valid: no duplicate keys,
// threshold != 0, and the (saturating uint32) weight sum reaches the
// threshold. Key order is not checked.
func (b BlockSigningAuthority) IsValid() bool {
	if b.Threshold == 0 {
		return false
	}
	var sum uint64
	seen := make(map[string]bool, len(b.Keys))
	for _, k := range b.Keys {
		id := string(append([]byte{byte(k.PublicKey.Curve)}, k.PublicKey.Content...))
		if seen[id] {
			return false
		}
		seen[id] = true
		sum += uint64(k.Weight)
	}
	return sum >= uint64(b.Threshold)
}

// ProducerInfo is a row of eosio's "producers" table (scope eosio) without
// the producer_authority extension.
type ProducerInfo struct {
	Owner         eos.AccountName `json:"owner"`
	TotalVotes    Float64         `json:"total_votes"`
	ProducerKey   ecc.PublicKey   `json:"producer_key"`
	IsActive      bool            `json:"is_active"`
	URL           string          `json:"url"`
	UnpaidBlocks  uint32          `json:"unpaid_blocks"`
	LastClaimTime eos.TimePoint   `json:"last_claim_time"`
	Location      uint16          `json:"location"`
}

// ProducerInfoWithAuthority is a producers row with the
// producer_authority$ extension, as regproducer writes it today.
type ProducerInfoWithAuthority struct {
	ProducerInfo
	ProducerAuthority BlockSigningAuthority `json:"producer_authority"`
}

// DecodeProducerInfo decodes a producers row with or without the extension.
func DecodeProducerInfo(data []byte) (ProducerInfoWithAuthority, bool, error) {
	var p ProducerInfoWithAuthority
	d := eos.NewDecoder(data)
	if err := d.Decode(&p.ProducerInfo); err != nil {
		return p, false, fmt.Errorf("decoding producers row: %w", err)
	}
	if d.LastPos() == len(data) {
		return p, false, nil
	}
	if err := p.ProducerAuthority.UnmarshalBinary(d); err != nil {
		return p, false, fmt.Errorf("decoding producers row: producer_authority: %w", err)
	}
	return p, true, nil
}

// RewardsRow is a row of eosio.bpay's "rewards" table (scope eosio.bpay):
// rewards a producer can claim with eosio.bpay::claimrewards.
type RewardsRow struct {
	Owner    eos.AccountName `json:"owner"`
	Quantity eos.Asset       `json:"quantity"`
}

// Transfer is eosio.token::transfer.
type Transfer struct {
	From     eos.AccountName `json:"from"`
	To       eos.AccountName `json:"to"`
	Quantity eos.Asset       `json:"quantity"`
	Memo     string          `json:"memo"`
}

// TokenAccountRow is a row of eosio.token's "accounts" table (scope: owner,
// primary key: the symbol code).
type TokenAccountRow struct {
	Balance eos.Asset `json:"balance"`
}

// CurrencyStatsRow is a row of eosio.token's "stat" table (scope: the symbol
// code).
type CurrencyStatsRow struct {
	Supply    eos.Asset       `json:"supply"`
	MaxSupply eos.Asset       `json:"max_supply"`
	Issuer    eos.AccountName `json:"issuer"`
}

// TimePointFormat is how nodeos prints time_point and block times.
const TimePointFormat = "2006-01-02T15:04:05.000"

// FormatTimePoint prints a time_point (microseconds since 1970) as nodeos.
func FormatTimePoint(t eos.TimePoint) string {
	return time.UnixMicro(int64(t)).UTC().Format(TimePointFormat)
}

// TimePointOf converts a time to a time_point.
func TimePointOf(t time.Time) eos.TimePoint { return eos.TimePoint(t.UnixMicro()) }

// LegacyKeyString prints a key as nodeos does: EOS... for K1, PUB_R1_... for
// R1 (never through eos-go's String, which is wrong for some keys). The
// all-zero K1 key that unregprod leaves behind prints as nodeos prints it.
func LegacyKeyString(k ecc.PublicKey) string {
	if p, err := signer.PublicKeyFromECC(k); err == nil {
		return p.Legacy()
	}
	content := k.Content
	if len(content) != 33 {
		content = make([]byte, 33)
	}
	h := ripemd160.New()
	h.Write(content)
	sum := h.Sum(nil)
	prefix := "EOS"
	if k.Curve == ecc.CurveR1 {
		h = ripemd160.New()
		h.Write(content)
		h.Write([]byte("R1"))
		sum = h.Sum(nil)
		prefix = "PUB_R1_"
	}
	return prefix + base58.Encode(append(append([]byte(nil), content...), sum[:4]...))
}

// Float64 is an ABI float64 (eos-go's codec cannot encode both ways).
type Float64 float64

// MarshalBinary writes the IEEE 754 bits little-endian.
func (f Float64) MarshalBinary(e *eos.Encoder) error {
	return e.Encode(math.Float64bits(float64(f)))
}

// UnmarshalBinary reads the IEEE 754 bits little-endian.
func (f *Float64) UnmarshalBinary(d *eos.Decoder) error {
	v, err := d.ReadFloat64()
	*f = Float64(v)
	return err
}

// MarshalJSON prints the value as nodeos does: a string with 17 decimals.
func (f Float64) MarshalJSON() ([]byte, error) {
	return json.Marshal(strconv.FormatFloat(float64(f), 'f', 17, 64))
}

// BlockchainParameters is eosio.system's blockchain_parameters (the base of
// the global state).
type BlockchainParameters struct {
	MaxBlockNetUsage               uint64
	TargetBlockNetUsagePct         uint32
	MaxTransactionNetUsage         uint32
	BasePerTransactionNetUsage     uint32
	NetUsageLeeway                 uint32
	ContextFreeDiscountNetUsageNum uint32
	ContextFreeDiscountNetUsageDen uint32
	MaxBlockCPUUsage               uint32
	TargetBlockCPUUsagePct         uint32
	MaxTransactionCPUUsage         uint32
	MinTransactionCPUUsage         uint32
	MaxTransactionLifetime         uint32
	DeferredTrxExpirationWindow    uint32
	MaxTransactionDelay            uint32
	MaxInlineActionSize            uint32
	MaxInlineActionDepth           uint16
	MaxAuthorityDepth              uint16
}

// GlobalState is the row of eosio's "global" table (eosio_global_state).
// ThreshActivatedStakeTime is zero until 15% of the supply votes; until
// then eosio::claimrewards fails ("cannot claim rewards until the chain is
// activated").
type GlobalState struct {
	BlockchainParameters
	MaxRAMSize                 uint64
	TotalRAMBytesReserved      uint64
	TotalRAMStake              int64
	LastProducerScheduleUpdate uint32 // block_timestamp_type
	LastPervoteBucketFill      eos.TimePoint
	PervoteBucket              int64
	PerblockBucket             int64
	TotalUnpaidBlocks          uint32
	TotalActivatedStake        int64
	ThreshActivatedStakeTime   eos.TimePoint
	LastProducerScheduleSize   uint16
	TotalProducerVoteWeight    Float64
	LastNameClose              uint32 // block_timestamp_type
}
