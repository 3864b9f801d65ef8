package producer

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
)

// Chain is what this package needs from a nodeos client. *chain.Client
// implements it; tests wrap it to inject outages.
type Chain interface {
	GetInfo(ctx context.Context) (*chain.Info, error)
	GetAccount(ctx context.Context, name string) (*chain.Account, error)
	GetTableRows(ctx context.Context, req chain.TableRowsRequest) (*chain.TableRows, error)
	NewTransaction(ctx context.Context, actions []*eos.Action, expiresIn time.Duration) (*eos.SignedTransaction, error)
	RequiredKeys(ctx context.Context, tx *eos.Transaction, available []signer.PublicKey) ([]signer.PublicKey, error)
	Push(ctx context.Context, tx *eos.SignedTransaction) (*chain.PushResult, error)
	// The signing gate's reads and push.
	GetRawABI(ctx context.Context, account string) (*chain.RawABI, error)
	GetTableByScope(ctx context.Context, req chain.TableByScopeRequest) (*chain.TableByScope, error)
	PushPacked(ctx context.Context, p *chain.PackedTransaction) (*chain.PushResult, error)
	// GetABI reads a contract's ABI: actions are checked against it
	// before anything is signed (chain.CheckActionsAgainstABI).
	GetABI(ctx context.Context, account string) (*chain.ABIResponse, error)
}

var _ Chain = (*chain.Client)(nil)

// ErrNotProducer means the account has no row in eosio's producers table.
var ErrNotProducer = errors.New("not a registered producer (no row in eosio's producers table)")

// ClaimInterval is eosio::claimrewards's rule: a claim must come strictly
// more than this after the last one.
const ClaimInterval = 24 * time.Hour

// KeyWeight is one key of a block-signing authority.
type KeyWeight struct {
	Key    signer.PublicKey `json:"key"`
	Weight uint16           `json:"weight"`
}

// Authority is a block_signing_authority_v0.
type Authority struct {
	Threshold uint32      `json:"threshold"`
	Keys      []KeyWeight `json:"keys"`
}

// SingleKey is the authority regproducer stores for one key.
func SingleKey(k signer.PublicKey) Authority {
	return Authority{Threshold: 1, Keys: []KeyWeight{{Key: k, Weight: 1}}}
}

// IsSingleKey reports whether the authority is one key of weight reaching
// the threshold, which regproducer can express.
func (a Authority) IsSingleKey() bool {
	return len(a.Keys) == 1 && a.Threshold == 1 && a.Keys[0].Weight >= 1
}

// Contract converts to the action type.
func (a Authority) Contract() contracts.BlockSigningAuthority {
	out := contracts.BlockSigningAuthority{Threshold: a.Threshold}
	for _, k := range a.Keys {
		out.Keys = append(out.Keys, eos.KeyWeight{PublicKey: k.Key.ECC(), Weight: k.Weight})
	}
	return out
}

// Equal compares two authorities key by key (order matters, as on chain).
func (a Authority) Equal(b Authority) bool {
	if a.Threshold != b.Threshold || len(a.Keys) != len(b.Keys) {
		return false
	}
	for i := range a.Keys {
		if a.Keys[i] != b.Keys[i] {
			return false
		}
	}
	return true
}

// PublicKeys lists the authority's keys.
func (a Authority) PublicKeys() []signer.PublicKey {
	out := make([]signer.PublicKey, len(a.Keys))
	for i, k := range a.Keys {
		out[i] = k.Key
	}
	return out
}

// Row is an account's row of eosio's producers table.
type Row struct {
	Owner  string `json:"owner"`
	Active bool   `json:"is_active"`
	// Authority is the block-signing authority: the producer_authority
	// extension when present, else the single producer_key. It is empty
	// (no keys) for a producer that unregistered.
	Authority Authority `json:"block_signing_authority"`
	// HasExtension is true when the row carries producer_authority.
	HasExtension  bool      `json:"-"`
	URL           string    `json:"url"`
	Location      uint16    `json:"location"`
	LastClaimTime time.Time `json:"last_claim_time"`
	UnpaidBlocks  uint32    `json:"unpaid_blocks"`
	TotalVotes    float64   `json:"total_votes"`
}

// NextClaim is the first time a claim is allowed after this row's last
// claim (strictly more than 24 hours later).
func (r *Row) NextClaim() time.Time { return r.LastClaimTime.Add(ClaimInterval + time.Microsecond) }

// ClaimAllowedAt reports whether a claim included in a block after head is
// allowed.
func (r *Row) ClaimAllowedAt(head time.Time) bool { return !head.Before(r.NextClaim()) }

// ReadRow reads account's producers row (binary, decoded with the
// contract's layout). It returns an error wrapping ErrNotProducer when the
// account has none.
func ReadRow(ctx context.Context, c Chain, account string) (*Row, error) {
	res, err := c.GetTableRows(ctx, chain.TableRowsRequest{
		Code: string(contracts.System), Scope: string(contracts.System), Table: "producers",
		LowerBound: account, UpperBound: account, KeyType: "name", Limit: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("reading the producers row of %s: %w", account, err)
	}
	for _, raw := range res.Rows {
		var h string
		if err := json.Unmarshal(raw, &h); err != nil {
			return nil, fmt.Errorf("reading the producers row of %s: expected a hex row, got %.80s", account, raw)
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("reading the producers row of %s: %w", account, err)
		}
		p, hasExt, err := contracts.DecodeProducerInfo(b)
		if err != nil {
			return nil, fmt.Errorf("reading the producers row of %s: %w", account, err)
		}
		if string(p.Owner) != account {
			continue
		}
		return rowFrom(p, hasExt)
	}
	return nil, fmt.Errorf("%s: %w", account, ErrNotProducer)
}

func rowFrom(p contracts.ProducerInfoWithAuthority, hasExt bool) (*Row, error) {
	r := &Row{
		Owner: string(p.Owner), Active: p.IsActive, HasExtension: hasExt, URL: p.URL, Location: p.Location,
		LastClaimTime: time.UnixMicro(int64(p.LastClaimTime)).UTC(), UnpaidBlocks: p.UnpaidBlocks, TotalVotes: float64(p.TotalVotes),
	}
	if hasExt && len(p.ProducerAuthority.Keys) > 0 {
		r.Authority.Threshold = p.ProducerAuthority.Threshold
		for _, kw := range p.ProducerAuthority.Keys {
			k, err := signer.PublicKeyFromECC(kw.PublicKey)
			if err != nil {
				return nil, fmt.Errorf("producers row of %s: authority key: %w", p.Owner, err)
			}
			r.Authority.Keys = append(r.Authority.Keys, KeyWeight{Key: k, Weight: kw.Weight})
		}
		return r, nil
	}
	if k, err := signer.PublicKeyFromECC(p.ProducerKey); err == nil && p.IsActive {
		r.Authority = SingleKey(k)
	}
	return r, nil
}

// permissionFor is nodeos's lookup_minimum_permission over get_account's
// linked_actions: the permission linked to eosio::action, else to the whole
// eosio contract, else active. A link to eosio.any means any permission
// will do; active is then used.
func permissionFor(acct *chain.Account, action string) (perm string, linked bool) {
	for _, want := range []string{action, ""} {
		for _, p := range acct.Permissions {
			for _, l := range p.LinkedActions {
				if l.Account == string(contracts.System) && l.Action == want {
					return p.PermName, true
				}
			}
		}
		for _, l := range acct.EosioAnyLinkedActions {
			if l.Account == string(contracts.System) && l.Action == want {
				return string(contracts.Active), false
			}
		}
	}
	return string(contracts.Active), false
}

// Info is what `bpkeys producer show` prints.
type Info struct {
	Account string `json:"account"`
	Row     *Row   `json:"row"`
	// HeadBlockTime is the chain's clock when the row was read.
	HeadBlockTime time.Time `json:"head_block_time"`
	// NextClaim is when eosio::claimrewards will next be allowed.
	NextClaim       time.Time `json:"next_claim_allowed"`
	ClaimAllowedNow bool      `json:"claim_allowed_now"`
	// RotatePermission is the permission that authorizes regproducer (and
	// regproducer2): a linked one, or active.
	RotatePermission string `json:"rotate_permission"`
	RotateLinked     bool   `json:"rotate_linked"`
	// UnregisterPermission authorizes unregprod.
	UnregisterPermission string `json:"unregister_permission"`
	// ClaimPermission authorizes eosio::claimrewards.
	ClaimPermission string `json:"claim_permission"`
	// Activation is the system contract's activation state: on a chain
	// not activated, eosio refuses every claim whatever NextClaim says.
	Activation Activation `json:"activation"`
}

// Show reads account's producers row, the chain's head time and the
// permissions that can rotate, unregister and claim.
func Show(ctx context.Context, c Chain, account string) (*Info, error) {
	row, err := ReadRow(ctx, c, account)
	if err != nil {
		return nil, err
	}
	info, err := c.GetInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the chain's head time: %w", err)
	}
	acct, err := c.GetAccount(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("reading the permissions of %s: %w", account, err)
	}
	act, err := ReadActivation(ctx, c)
	if err != nil {
		return nil, err
	}
	out := &Info{Account: account, Row: row, HeadBlockTime: info.HeadBlockTime.Time.UTC(), NextClaim: row.NextClaim(), Activation: act}
	out.ClaimAllowedNow = row.Active && row.ClaimAllowedAt(out.HeadBlockTime) && !act.NotActivated()
	out.RotatePermission, out.RotateLinked = permissionFor(acct, "regproducer")
	out.UnregisterPermission, _ = permissionFor(acct, "unregprod")
	out.ClaimPermission, _ = permissionFor(acct, "claimrewards")
	return out, nil
}
