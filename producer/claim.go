package producer

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/txflow"
)

// EOSMainnetChainID is EOS mainnet's chain id, where eosio.bpay pays block
// rewards (since the 2024 tokenomics change).
const EOSMainnetChainID = "aca376f206b8fc25a6ed44dbdc66547c36c6c33e3a119ffbeaef943642f0e906"

// AlreadyClaimedMessage is eosio::claimrewards's assertion for a claim
// within 24 hours of the last (eosio_assert_message_exception, 3050003).
const AlreadyClaimedMessage = "already claimed rewards within past day"

// ClaimStatus is the outcome of one claim run.
type ClaimStatus string

// Claim outcomes. All three are successes (exit 0).
const (
	// Claimed: the claim transaction was accepted.
	Claimed ClaimStatus = "claimed"
	// NotYet: the 24 hours have not passed; nothing was sent.
	NotYet ClaimStatus = "not-yet"
	// AlreadyClaimed: the claim lost the race to the 24-hour rule (someone
	// else claimed first); nothing changed.
	AlreadyClaimed ClaimStatus = "already-claimed"
	// ClaimedByOther: another run on this machine held the account's claim
	// lock and claimed while this one waited; this run sent nothing.
	ClaimedByOther ClaimStatus = "claimed-by-another-run"
	// NotActivated: the system contract is not activated (under 15% of the
	// supply voting), so eosio refuses claims, and eosio.bpay holds
	// nothing; nothing was sent.
	NotActivated ClaimStatus = "not-activated"
)

// ClaimResult is what a claim run did.
type ClaimResult struct {
	Account string      `json:"account"`
	Status  ClaimStatus `json:"status"`
	// Contracts claimed from (Claimed only).
	Contracts []string `json:"contracts,omitempty"`
	TrxID     string   `json:"trx_id,omitempty"`
	Endpoint  string   `json:"endpoint,omitempty"`
	// Amounts received, such as "150.0000 EOS" (empty when the answer to
	// the push was lost and the claim was confirmed from the table).
	Amounts []string `json:"amounts,omitempty"`
	// LastClaim and NextAllowed are from the producers row after the run.
	LastClaim   time.Time `json:"last_claim_time"`
	NextAllowed time.Time `json:"next_allowed"`
	// HeadBlockTime is the chain's clock when the row was read.
	HeadBlockTime time.Time `json:"head_block_time"`
	// Attempts is how many tries it took.
	Attempts int `json:"attempts"`
	// BPayUnlinked: eosio.bpay held rewards but eosio.bpay::claimrewards is
	// not linked to the claim permission, so only eosio was claimed.
	BPayUnlinked bool `json:"bpay_unlinked,omitempty"`
	// Activation is the system contract's activation state (nil when the
	// run did not read it).
	Activation *Activation `json:"activation,omitempty"`

	amounts []eos.Asset
}

// Failure kinds, for logs and metrics.
const (
	KindEndpoint    = "endpoint"    // no endpoint answered
	KindUncertain   = "uncertain"   // a push whose outcome is unknown
	KindRejected    = "rejected"    // nodeos refused (an assertion, missing authority)
	KindSigner      = "signer"      // the HSM or YubiKey failed, or the journal
	KindInterrupted = "interrupted" // the context ended
	KindOther       = "other"
)

// FailureKinds lists every kind, in the order metrics print them.
var FailureKinds = []string{KindEndpoint, KindUncertain, KindRejected, KindSigner, KindInterrupted, KindOther}

// SignerError wraps a failure of a device: opening it or signing with it.
type SignerError struct{ Err error }

// Error returns the device's error message.
func (e *SignerError) Error() string { return e.Err.Error() }

// Unwrap returns the device's error.
func (e *SignerError) Unwrap() error { return e.Err }

// FailureKind classifies an error of a claim run.
func FailureKind(err error) string {
	var (
		unc *chain.PushUncertainError
		una *chain.UnavailableError
		ep  *chain.EndpointError
		api *chain.APIError
		se  *SignerError
	)
	switch {
	case errors.As(err, &unc):
		return KindUncertain
	case errors.As(err, &se):
		return KindSigner
	case errors.As(err, &api):
		return KindRejected
	case errors.As(err, &una), errors.As(err, &ep):
		return KindEndpoint
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return KindInterrupted
	}
	return KindOther
}

// Claimer claims a producer's rewards: once (cron) or forever (Run).
type Claimer struct {
	Chain   Chain
	Journal *audit.Journal
	Account string
	// Permission authorizes the claims (default "claim"; it must be linked
	// to eosio::claimrewards and eosio.bpay::claimrewards, or be active).
	Permission string
	// RewardContracts overrides the detection (see package doc).
	RewardContracts []string
	// OpenSigners opens the device keys for one claim; the returned
	// function closes them. Called for each claim that is due, so a device
	// that hiccuped is opened afresh next time.
	OpenSigners func(ctx context.Context) ([]signer.Signer, func(), error)
	// PermanentSignerError reports device errors that retrying cannot fix
	// (a wrong or locked PIN, a missing key); nil treats every device error
	// as transient.
	PermanentSignerError func(error) bool
	// Retries is how many times a transient failure is retried within one
	// run (default 3), with Backoff doubling from 2 s (at most MaxBackoff,
	// default 1 min).
	Retries    int
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Expiration of claim transactions (0: the chain client's default).
	Expiration time.Duration
	// Log gets one line per event; nil discards.
	Log *slog.Logger
	// Clock defaults to SystemClock.
	Clock Clock
	// Metrics, when set, is updated and written after every run.
	Metrics *Metrics
	// LockDir, when set, holds the per-account claim lock: one run at a
	// time claims for an account; a run that finds it taken waits, and
	// reports ClaimedByOther when the other run claimed.
	LockDir string

	// warnedUnlinked: the eosio.bpay link warning was given this process.
	warnedUnlinked bool

	// pending is a signed claim whose push was uncertain: it is re-sent,
	// never rebuilt, until the chain says whether it went through: its id,
	// the contracts it claims from and the last claim time before it.
	pending       *chain.PackedTransaction
	pendingOf     []string
	pendingID     string
	pendingBefore time.Time
	// resolvedID is the id of a pending claim dropped because it can no
	// longer go through (expired, or refused as already claimed).
	resolvedID string
	// bpayUnlinked: this attempt left eosio.bpay out (not linked).
	bpayUnlinked bool
}

// ClaimLanded reports whether a claim pushed after the producers row said
// before has landed: the row's last_claim_time moved past it. It resolves
// a push whose answer was lost by reading its effect.
func ClaimLanded(ctx context.Context, c Chain, account string, before time.Time) (bool, *Row, error) {
	row, err := ReadRow(ctx, c, account)
	if err != nil {
		return false, nil, err
	}
	return row.LastClaimTime.After(before), row, nil
}

// pendingLanded resolves the pending claim from the producers row: when
// it landed, the claim is done (no re-send).
func (c *Claimer) pendingLanded(ctx context.Context) (*ClaimResult, bool) {
	landed, row, err := ClaimLanded(ctx, c.Chain, c.Account, c.pendingBefore)
	if err != nil || !landed {
		return nil, false
	}
	out := &ClaimResult{Account: c.Account, Status: Claimed, Contracts: c.pendingOf, TrxID: c.pendingID, LastClaim: row.LastClaimTime, NextAllowed: row.NextClaim()}
	c.pending, c.pendingOf, c.pendingID = nil, nil, ""
	c.log().Info("the answer to the claim was lost, but the producers table shows it landed", "account", c.Account, "trx_id", out.TrxID, "last_claim_time", row.LastClaimTime)
	res, _ := c.finishClaimed(ctx, out)
	return res, true
}

func (c *Claimer) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c.Log
}

func (c *Claimer) clock() Clock {
	if c.Clock == nil {
		return SystemClock{}
	}
	return c.Clock
}

func (c *Claimer) permission() string {
	if c.Permission == "" {
		return "claim"
	}
	return c.Permission
}

// transient reports whether retrying err may help.
func (c *Claimer) transient(err error) bool {
	switch FailureKind(err) {
	case KindEndpoint, KindUncertain:
		return true
	case KindSigner:
		return c.PermanentSignerError == nil || !c.PermanentSignerError(err)
	}
	return false
}

// Once runs one claim: reads the producers row, and when the 24 hours have
// passed, claims from every reward contract that has something to pay.
// NotYet and AlreadyClaimed are successes. Transient failures (endpoints
// down, a device hiccup, an uncertain push) are retried with backoff.
func (c *Claimer) Once(ctx context.Context) (*ClaimResult, error) {
	retries := c.Retries
	if retries == 0 {
		retries = 3
	}
	backoff := c.Backoff
	if backoff <= 0 {
		backoff = 2 * time.Second
	}
	maxBackoff := c.MaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = time.Minute
	}
	if c.LockDir != "" {
		res, unlock, err := c.lock(ctx)
		if err != nil {
			c.record(nil, err)
			return nil, fmt.Errorf("claiming rewards for %s: %w", c.Account, err)
		}
		defer unlock()
		if res != nil {
			c.record(res, nil)
			return res, nil
		}
	}
	var lastSeen *time.Time
	for attempt := 1; ; attempt++ {
		res, err := c.attempt(ctx, &lastSeen)
		if err == nil {
			res.Attempts = attempt
			c.record(res, nil)
			return res, nil
		}
		kind := FailureKind(err)
		if ctx.Err() != nil {
			kind = KindInterrupted
		}
		if kind == KindInterrupted || !c.transient(err) || attempt > retries {
			c.record(nil, err)
			c.log().Error("claim failed", "account", c.Account, "kind", kind, "attempt", attempt, "error", err.Error())
			return nil, fmt.Errorf("claiming rewards for %s: %w", c.Account, err)
		}
		if c.Metrics != nil {
			c.Metrics.Failures[kind]++
		}
		c.log().Warn("claim attempt failed, retrying", "account", c.Account, "kind", kind, "attempt", attempt, "retry_in", backoff.String(), "error", err.Error())
		if err := c.clock().Sleep(ctx, backoff); err != nil {
			c.record(nil, err)
			return nil, fmt.Errorf("claiming rewards for %s: %w", c.Account, err)
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// lock takes the account's claim lock. When another run held it, the row
// read before waiting tells whether that run claimed: then the result is
// ClaimedByOther and this run does nothing more. The metrics are re-read
// under the lock, so that concurrent runs count each claim once.
func (c *Claimer) lock(ctx context.Context) (*ClaimResult, func(), error) {
	before, rerr := ReadRow(ctx, c.Chain, c.Account)
	unlock, busy, err := lockAccount(ctx, c.LockDir, c.Account)
	if err != nil {
		return nil, nil, err
	}
	if m := c.Metrics; m != nil && m.Path != "" {
		if fresh, err := LoadMetrics(m.Path, m.Account); err == nil {
			*m = *fresh
		}
	}
	if !busy || rerr != nil {
		return nil, unlock, nil
	}
	c.log().Info("another run was claiming for this account: waited for it", "account", c.Account)
	row, err := ReadRow(ctx, c.Chain, c.Account)
	if err != nil || !row.LastClaimTime.After(before.LastClaimTime) {
		return nil, unlock, nil
	}
	res := &ClaimResult{Account: c.Account, Status: ClaimedByOther, LastClaim: row.LastClaimTime, NextAllowed: row.NextClaim()}
	if info, err := c.Chain.GetInfo(ctx); err == nil {
		res.HeadBlockTime = info.HeadBlockTime.Time.UTC()
	}
	c.log().Info("claimed by another run: nothing sent", "account", c.Account, "last_claim_time", row.LastClaimTime, "next_allowed", res.NextAllowed)
	return res, unlock, nil
}

// record updates and writes the metrics.
func (c *Claimer) record(res *ClaimResult, err error) {
	m := c.Metrics
	if m == nil {
		return
	}
	m.LastRun = c.clock().Now()
	if err != nil {
		kind := FailureKind(err)
		m.Failures[kind]++
	} else {
		m.NextAllowed = res.NextAllowed
		m.BPayUnlinked = 0
		if res.BPayUnlinked {
			m.BPayUnlinked = 1
		}
		if !res.LastClaim.IsZero() {
			m.LastClaim = res.LastClaim
		}
		if res.Status == Claimed {
			m.LastSuccess = m.LastRun
			m.Claims++
			for _, a := range res.amounts {
				m.Amount[a.Symbol.Symbol] += float64(a.Amount) / pow10(a.Precision)
			}
		} else {
			m.NoOps++
		}
	}
	if werr := m.Write(); werr != nil {
		c.log().Error("writing metrics", "file", m.Path, "error", werr.Error())
	}
}

func pow10(p uint8) float64 {
	f := 1.0
	for i := uint8(0); i < p; i++ {
		f *= 10
	}
	return f
}

// attempt is one try. lastSeen carries the last claim time read by an
// earlier try of the same run, to recognise a claim whose answer was lost.
func (c *Claimer) attempt(ctx context.Context, lastSeen **time.Time) (*ClaimResult, error) {
	lg := c.log()
	c.bpayUnlinked = false
	if c.pending != nil {
		// An earlier push may have gone through: the producers row says
		// so; else re-send the same bytes (nodeos refuses a duplicate),
		// never a newly signed claim.
		if out, ok := c.pendingLanded(ctx); ok {
			return out, nil
		}
		res, err := c.Chain.PushPacked(ctx, c.pending)
		switch {
		case err == nil:
			out := &ClaimResult{Account: c.Account, Status: Claimed, Contracts: c.pendingOf, TrxID: res.TransactionID.String(), Endpoint: res.Endpoint}
			c.pending, c.pendingOf, c.pendingID = nil, nil, ""
			if res.Trace != nil {
				out.amounts = receivedBy(res.Trace, c.Account)
			}
			return c.finishClaimed(ctx, out)
		case chain.IsCode(err, chain.CodeExpiredTx), chain.IsAssertion(err, AlreadyClaimedMessage):
			// It can no longer go through (or the claim already did): the
			// producers row says which.
			c.resolvedID = c.pendingID
			c.pending, c.pendingOf, c.pendingID = nil, nil, ""
		default:
			return nil, err
		}
	}
	row, err := ReadRow(ctx, c.Chain, c.Account)
	if err != nil {
		return nil, err
	}
	if !row.Active {
		return nil, fmt.Errorf("%s is not an active producer (unregistered: is_active 0), so it cannot claim: register it again with bpkeys producer rotate-key", c.Account)
	}
	info, err := c.Chain.GetInfo(ctx)
	if err != nil {
		return nil, err
	}
	head := info.HeadBlockTime.Time.UTC()
	base := &ClaimResult{Account: c.Account, LastClaim: row.LastClaimTime, NextAllowed: row.NextClaim(), HeadBlockTime: head}
	if *lastSeen != nil && row.LastClaimTime.After(**lastSeen) {
		if c.resolvedID == "" {
			// Not ours: nothing of this run was uncertain.
			base.Status = AlreadyClaimed
			lg.Info("claimed by someone else since the last try: nothing sent", "account", c.Account, "last_claim_time", row.LastClaimTime, "next_allowed", base.NextAllowed)
			return base, nil
		}
		// Our earlier, uncertain push went through.
		base.Status, base.TrxID = Claimed, c.resolvedID
		lg.Info("claimed (confirmed from the producers table after a lost answer)", "account", c.Account, "trx_id", c.resolvedID, "last_claim_time", row.LastClaimTime, "next_allowed", base.NextAllowed)
		return base, nil
	}
	t := row.LastClaimTime
	*lastSeen = &t
	act, err := ReadActivation(ctx, c.Chain)
	if err != nil {
		return nil, err
	}
	base.Activation = &act
	// eosio's claim needs the 24 hours and an activated chain; eosio.bpay's
	// has neither rule: it pays whenever it holds rewards.
	eosioDue := row.ClaimAllowedAt(head) && !act.NotActivated()
	contractsToClaim, err := c.contractsDue(ctx, info.ChainID, eosioDue)
	if err != nil {
		return nil, err
	}
	if len(contractsToClaim) == 0 {
		if act.NotActivated() {
			base.Status = NotActivated
			lg.Info("not activated: claims from eosio fail until 15% of the supply votes; nothing sent", "account", c.Account, "total_activated_stake", act.TotalActivatedStake)
			return base, nil
		}
		base.Status = NotYet
		lg.Info("not yet: nothing sent", "account", c.Account, "last_claim_time", row.LastClaimTime, "next_allowed", base.NextAllowed, "wait", base.NextAllowed.Sub(head).Round(time.Second).String())
		return base, nil
	}
	var acts []*eos.Action
	for _, k := range contractsToClaim {
		acts = append(acts, &eos.Action{
			Account: eos.AccountName(k), Name: "claimrewards",
			Authorization: []eos.PermissionLevel{{Actor: eos.AccountName(c.Account), Permission: eos.PermissionName(c.permission())}},
			ActionData:    eos.NewActionData(contracts.ClaimRewards{Owner: eos.AccountName(c.Account)}),
		})
	}
	// A reward contract the chain does not have (an older system without
	// eosio.bpay) would run nothing and look paid: refuse before signing.
	if err := chain.CheckActionsAgainstABI(ctx, c.Chain, acts); err != nil {
		return nil, err
	}
	signers, closeSigners, err := c.OpenSigners(ctx)
	if err != nil {
		return nil, &SignerError{Err: fmt.Errorf("opening the claim key: %w", err)}
	}
	defer closeSigners()
	g := &txflow.Gate{Chain: c.Chain, Journal: c.Journal}
	prep, err := g.Prepare(ctx, txflow.Job{
		Note: "claimrewards " + c.Account, Stages: [][]*eos.Action{acts}, Expiration: c.Expiration,
		Avail: pubKeys(signers), Refreeze: true,
		OnRefreeze: func() {
			lg.Info("the HSM signs deterministically and this digest had no canonical signature: expiration moved one second earlier, signing again", "account", c.Account)
		},
	})
	if err != nil {
		if chain.IsCode(err, chain.CodeUnsatisfiedAuth) {
			return nil, fmt.Errorf("the claim key cannot sign for %s@%s: %w", c.Account, c.permission(), err)
		}
		return nil, err
	}
	// Unattended: the operator confirmed by scheduling the claim; what is
	// signed is logged before the signature.
	lg.Info("signing", "account", c.Account, "transaction", prep.Summary(), "digest", prep.Digests())
	_ = prep.Lines()
	if err := prep.Confirmed(); err != nil {
		return nil, err
	}
	done, err := g.Sign(ctx, prep, signers)
	var serr *txflow.SignError
	if errors.As(err, &serr) {
		return nil, &SignerError{Err: fmt.Errorf("signing the claim: %w", err)}
	}
	var res *chain.PushResult
	if err == nil {
		res = done.Pushed[0]
	}

	if err != nil {
		if chain.IsAssertion(err, AlreadyClaimedMessage) {
			// Lost the race: someone claimed since the row was read.
			out := &ClaimResult{Account: c.Account, Status: AlreadyClaimed}
			if r2, err2 := ReadRow(ctx, c.Chain, c.Account); err2 == nil {
				out.LastClaim, out.NextAllowed = r2.LastClaimTime, r2.NextClaim()
			} else {
				out.LastClaim, out.NextAllowed = row.LastClaimTime, head.Add(ClaimInterval)
			}
			out.HeadBlockTime = head
			lg.Info("already claimed within the past day: nothing changed", "account", c.Account, "next_allowed", out.NextAllowed)
			return out, nil
		}
		var unc *chain.PushUncertainError
		if errors.As(err, &unc) {
			c.pending, c.pendingOf, c.pendingID, c.pendingBefore = prep.Stages[0].Frozen.Pack(), contractsToClaim, unc.ID.String(), row.LastClaimTime
			if out, ok := c.pendingLanded(ctx); ok {
				out.BPayUnlinked, out.Activation = c.bpayUnlinked, &act
				return out, nil
			}
		}
		return nil, err
	}
	out := &ClaimResult{Account: c.Account, Status: Claimed, Contracts: contractsToClaim, TrxID: res.TransactionID.String(), Endpoint: res.Endpoint, Activation: &act, BPayUnlinked: c.bpayUnlinked}
	if res.Trace != nil {
		out.amounts = receivedBy(res.Trace, c.Account)
	}
	return c.finishClaimed(ctx, out)
}

// finishClaimed fills the times from the row (best effort) and logs.
func (c *Claimer) finishClaimed(ctx context.Context, out *ClaimResult) (*ClaimResult, error) {
	for _, a := range out.amounts {
		out.Amounts = append(out.Amounts, a.String())
	}
	if row, err := ReadRow(ctx, c.Chain, c.Account); err == nil {
		out.LastClaim, out.NextAllowed = row.LastClaimTime, row.NextClaim()
	}
	if info, err := c.Chain.GetInfo(ctx); err == nil {
		out.HeadBlockTime = info.HeadBlockTime.Time.UTC()
	}
	if out.NextAllowed.IsZero() {
		out.NextAllowed = out.HeadBlockTime.Add(ClaimInterval)
	}
	c.log().Info("claimed", "account", c.Account, "trx_id", out.TrxID, "contracts", strings.Join(out.Contracts, ","), "amount", strings.Join(out.Amounts, " + "), "next_allowed", out.NextAllowed, "endpoint", out.Endpoint)
	return out, nil
}

// contractsDue lists the reward contracts to claim from now: eosio when
// eosioDue (its 24 hours have passed on an activated chain), and
// eosio.bpay when configured (or detected) and it holds rewards for the
// account, whatever eosio's clock says.
func (c *Claimer) contractsDue(ctx context.Context, chainID signer.ChainID, eosioDue bool) ([]string, error) {
	list := c.RewardContracts
	if list == nil {
		var err error
		if list, err = RewardContracts(ctx, c.Chain, chainID, c.Account); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, k := range list {
		if k == string(contracts.System) && !eosioDue {
			continue
		}
		if k != string(contracts.BPay) {
			out = append(out, k)
			continue
		}
		due, err := BPayRewards(ctx, c.Chain, c.Account)
		if err != nil {
			return nil, err
		}
		if due.Amount > 0 {
			linked, err := BPayLinked(ctx, c.Chain, c.Account, c.permission())
			if err != nil {
				return nil, err
			}
			if !linked {
				c.bpayUnlinked = true
				if !c.warnedUnlinked {
					c.warnedUnlinked = true
					c.log().Warn(fmt.Sprintf("eosio.bpay holds %s for %s, but eosio.bpay::claimrewards is not linked to %s@%s, so only eosio is claimed: link it with: bpkeys perms plan %s --link %s=eosio.bpay::claimrewards --out plan.json, then bpkeys perms apply plan.json --signer ... (active key)",
						due, c.Account, c.Account, c.permission(), c.Account, c.permission()), "account", c.Account)
				}
				continue
			}
			out = append(out, k)
		} else {
			c.log().Info("eosio.bpay holds no rewards for the account: not claiming from it this time", "account", c.Account)
		}
	}
	return out, nil
}

// RewardContracts decides which contracts pay the account's rewards:
// eosio always; eosio.bpay on EOS mainnet, and on any chain whose eosio.bpay
// serves a rewards table (probed). An endpoint outage is returned as an
// error, not taken for "no eosio.bpay".
func RewardContracts(ctx context.Context, c Chain, chainID signer.ChainID, account string) ([]string, error) {
	out := []string{string(contracts.System)}
	if chainID.String() == EOSMainnetChainID {
		return append(out, string(contracts.BPay)), nil
	}
	_, err := BPayRewards(ctx, c, account)
	var api *chain.APIError
	switch {
	case err == nil:
		out = append(out, string(contracts.BPay))
	case errors.As(err, &api):
		// No eosio.bpay contract or table on this chain.
	default:
		return nil, err
	}
	return out, nil
}

// BPayLinked reports whether perm of account may sign
// eosio.bpay::claimrewards: nodeos requires the permission linked to the
// action (or, without a link, active) to be perm or a descendant of it.
// A node that does not report links (nodeos before Leap 4) gives true: the
// push is then the judge.
func BPayLinked(ctx context.Context, c Chain, account, perm string) (bool, error) {
	if perm == "active" || perm == "owner" {
		return true, nil
	}
	acct, err := c.GetAccount(ctx, account)
	if err != nil {
		return false, fmt.Errorf("reading the links of %s: %w", account, err)
	}
	parent := map[string]string{}
	reported := false
	linked := map[string]string{} // action ("" for the contract) -> permission
	for _, p := range acct.Permissions {
		parent[p.PermName] = p.Parent
		if p.LinkedActions != nil {
			reported = true
		}
		for _, l := range p.LinkedActions {
			if l.Account == string(contracts.BPay) && (l.Action == "claimrewards" || l.Action == "") {
				linked[l.Action] = p.PermName
			}
		}
	}
	if !reported {
		return true, nil
	}
	for _, l := range acct.EosioAnyLinkedActions {
		if l.Account == string(contracts.BPay) && (l.Action == "claimrewards" || l.Action == "") {
			linked[l.Action] = "eosio.any"
		}
	}
	// nodeos looks for the action's own link first, then the contract's.
	min, ok := linked["claimrewards"]
	if !ok {
		min, ok = linked[""]
	}
	if !ok {
		return false, nil
	}
	if min == "eosio.any" {
		return true, nil // any permission of the account may sign it
	}
	for p, n := min, 0; p != "" && n < 64; p, n = parent[p], n+1 {
		if p == perm {
			return true, nil
		}
	}
	return false, nil
}

// BPayRewards reads what eosio.bpay holds for account (zero when nothing).
func BPayRewards(ctx context.Context, c Chain, account string) (eos.Asset, error) {
	res, err := c.GetTableRows(ctx, chain.TableRowsRequest{
		Code: string(contracts.BPay), Scope: string(contracts.BPay), Table: "rewards",
		LowerBound: account, UpperBound: account, KeyType: "name", Limit: 1,
	})
	if err != nil {
		return eos.Asset{}, fmt.Errorf("reading eosio.bpay rewards of %s: %w", account, err)
	}
	for _, raw := range res.Rows {
		var h string
		if err := json.Unmarshal(raw, &h); err != nil {
			return eos.Asset{}, fmt.Errorf("reading eosio.bpay rewards of %s: expected a hex row, got %.80s", account, raw)
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			return eos.Asset{}, fmt.Errorf("reading eosio.bpay rewards of %s: %w", account, err)
		}
		var r contracts.RewardsRow
		if err := contracts.Decode(b, &r); err != nil {
			return eos.Asset{}, fmt.Errorf("reading eosio.bpay rewards of %s: %w", account, err)
		}
		if string(r.Owner) == account {
			return r.Quantity, nil
		}
	}
	return eos.Asset{}, nil
}

// receivedBy sums the eosio.token transfers to account in a trace.
func receivedBy(t *chain.Trace, account string) []eos.Asset {
	sums := map[string]eos.Asset{}
	for _, at := range t.ActionTraces {
		if at.Act.Account != string(contracts.Token) || at.Act.Name != "transfer" || at.Receiver != string(contracts.Token) {
			continue
		}
		var tr struct {
			To       string `json:"to"`
			Quantity string `json:"quantity"`
		}
		if json.Unmarshal(at.Act.Data, &tr) != nil || tr.To != account {
			continue
		}
		a, err := eos.NewAssetFromString(tr.Quantity)
		if err != nil {
			continue
		}
		if s, ok := sums[a.Symbol.Symbol]; ok {
			s.Amount += a.Amount
			sums[a.Symbol.Symbol] = s
		} else {
			sums[a.Symbol.Symbol] = a
		}
	}
	out := make([]eos.Asset, 0, len(sums))
	for _, a := range sums {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Symbol.Symbol < out[j].Symbol.Symbol })
	return out
}

func pubKeys(signers []signer.Signer) []signer.PublicKey {
	out := make([]signer.PublicKey, len(signers))
	for i, s := range signers {
		out[i] = s.PublicKey()
	}
	return out
}
