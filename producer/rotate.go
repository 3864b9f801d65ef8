package producer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
)

// RotateRequest asks for a new block-signing key or authority.
type RotateRequest struct {
	Account string
	// NewKeys are the new key(s). One key replaces a single-key row (or,
	// with Replace, one key of a multi-key authority); several keys form a
	// new authority of Threshold (default: all of them, weight 1 each).
	NewKeys   []signer.PublicKey
	Threshold uint32
	// Replace names the key of the current multi-key authority that the
	// single new key replaces, keeping threshold and weights.
	Replace *signer.PublicKey
	SendOptions
}

// Rotation is a prepared key rotation: the old and new authority and the
// plan that sends it.
type Rotation struct {
	*Plan
	Old *Row      `json:"old"`
	New Authority `json:"new_authority"`
}

// ErrUsage marks a request that cannot be carried out as asked.
var ErrUsage = errors.New("invalid request")

// newAuthority works out the authority a rotation registers.
func newAuthority(row *Row, req RotateRequest) (Authority, error) {
	if len(req.NewKeys) == 0 {
		return Authority{}, fmt.Errorf("%w: no new key given", ErrUsage)
	}
	seen := map[signer.PublicKey]bool{}
	for _, k := range req.NewKeys {
		if seen[k] {
			return Authority{}, fmt.Errorf("%w: key %s given twice", ErrUsage, k)
		}
		seen[k] = true
	}
	cur := row.Authority
	switch {
	case len(req.NewKeys) > 1:
		if req.Replace != nil {
			return Authority{}, fmt.Errorf("%w: --replace swaps one key; with several new keys give the whole authority", ErrUsage)
		}
		a := Authority{Threshold: req.Threshold}
		for _, k := range req.NewKeys {
			a.Keys = append(a.Keys, KeyWeight{Key: k, Weight: 1})
		}
		if a.Threshold == 0 {
			a.Threshold = uint32(len(a.Keys))
		}
		if a.Threshold > uint32(len(a.Keys)) {
			return Authority{}, fmt.Errorf("%w: threshold %d cannot be reached by %d keys of weight 1", ErrUsage, a.Threshold, len(a.Keys))
		}
		return a, nil
	case req.Replace != nil:
		out := Authority{Threshold: cur.Threshold}
		found := false
		for _, kw := range cur.Keys {
			if kw.Key == *req.Replace {
				kw.Key = req.NewKeys[0]
				found = true
			} else if kw.Key == req.NewKeys[0] {
				return Authority{}, fmt.Errorf("%w: %s is already in the authority", ErrUsage, kw.Key)
			}
			out.Keys = append(out.Keys, kw)
		}
		if !found {
			return Authority{}, fmt.Errorf("%w: --replace %s: that key is not in %s's block-signing authority", ErrUsage, req.Replace, row.Owner)
		}
		return out, nil
	case len(cur.Keys) > 1:
		return Authority{}, fmt.Errorf("%w: %s's block-signing authority has %d keys (threshold %d): say which one the new key replaces with --replace KEY, or give every key of the new authority (--new-key repeated, --threshold N)", ErrUsage, row.Owner, len(cur.Keys), cur.Threshold)
	}
	if req.Threshold > 1 {
		return Authority{}, fmt.Errorf("%w: threshold %d cannot be reached by one key", ErrUsage, req.Threshold)
	}
	return SingleKey(req.NewKeys[0]), nil
}

// PrepareRotation reads the current producers row and builds the
// regproducer (single key) or regproducer2 (multi-key authority, asked for
// or already on chain) that installs the new key, keeping url and location.
// It decides between direct and proposal (see SendOptions.Via). Nothing is
// signed.
func PrepareRotation(ctx context.Context, c Chain, req RotateRequest, signers []signer.Signer) (*Rotation, error) {
	row, err := ReadRow(ctx, c, req.Account)
	if err != nil {
		return nil, err
	}
	auth, err := newAuthority(row, req)
	if err != nil {
		return nil, err
	}
	if row.Active && auth.Equal(row.Authority) {
		return nil, fmt.Errorf("%w: %s already signs with this authority: nothing to rotate", ErrUsage, req.Account)
	}
	acct, err := c.GetAccount(ctx, req.Account)
	if err != nil {
		return nil, fmt.Errorf("reading the permissions of %s: %w", req.Account, err)
	}
	var act *eos.Action
	multi := !auth.IsSingleKey() || len(row.Authority.Keys) > 1
	perm, linked := permissionFor(acct, "regproducer")
	if multi {
		perm, linked = permissionFor(acct, "regproducer2")
		ca := auth.Contract()
		if !ca.IsValid() {
			return nil, fmt.Errorf("%w: the new authority is invalid (duplicate keys, threshold 0, or weights below the threshold)", ErrUsage)
		}
		act = &eos.Action{Account: contracts.System, Name: "regproducer2", ActionData: eos.NewActionData(contracts.RegProducer2{
			Producer: eos.AccountName(req.Account), ProducerAuthority: ca, URL: row.URL, Location: row.Location})}
	} else {
		act = &eos.Action{Account: contracts.System, Name: "regproducer", ActionData: eos.NewActionData(contracts.RegProducer{
			Producer: eos.AccountName(req.Account), ProducerKey: auth.Keys[0].Key.ECC(), URL: row.URL, Location: row.Location})}
	}
	// An action the system contract does not have would be ignored by the
	// chain and look done: refuse it before anything is signed.
	if err := chain.CheckActionsAgainstABI(ctx, c, []*eos.Action{act}); err != nil {
		return nil, fmt.Errorf("rotating the block-signing key of %s: %w", req.Account, err)
	}
	plan, err := prepare(ctx, c, req.Account, perm, linked, act, req.SendOptions, signers)
	if err != nil {
		return nil, err
	}
	return &Rotation{Plan: plan, Old: row, New: auth}, nil
}

// PrepareUnregister builds unregprod for account (the kill switch), direct
// or proposed like a rotation. Nothing is signed.
func PrepareUnregister(ctx context.Context, c Chain, account string, opts SendOptions, signers []signer.Signer) (*Plan, *Row, error) {
	row, err := ReadRow(ctx, c, account)
	if err != nil {
		return nil, nil, err
	}
	if !row.Active {
		return nil, row, fmt.Errorf("%w: %s is already unregistered (is_active 0): nothing to do", ErrUsage, account)
	}
	acct, err := c.GetAccount(ctx, account)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the permissions of %s: %w", account, err)
	}
	perm, linked := permissionFor(acct, "unregprod")
	act := &eos.Action{Account: contracts.System, Name: "unregprod", ActionData: eos.NewActionData(contracts.UnregProd{Producer: eos.AccountName(account)})}
	if err := chain.CheckActionsAgainstABI(ctx, c, []*eos.Action{act}); err != nil {
		return nil, nil, fmt.Errorf("unregistering %s: %w", account, err)
	}
	plan, err := prepare(ctx, c, account, perm, linked, act, opts, signers)
	if err != nil {
		return nil, nil, err
	}
	return plan, row, nil
}

// Confirm reads the producers row back after a direct rotation and reports
// whether it shows the new authority; poll until it does or until the
// deadline (the transaction may take a block to be applied on the node
// read).
func Confirm(ctx context.Context, c Chain, account string, want Authority, deadline time.Duration, clock Clock) (*Row, bool, error) {
	if clock == nil {
		clock = SystemClock{}
	}
	end := clock.Now().Add(deadline)
	for {
		row, err := ReadRow(ctx, c, account)
		if err == nil && row.Active && row.Authority.Equal(want) {
			return row, true, nil
		}
		if clock.Now().After(end) {
			return row, false, err
		}
		if err := clock.Sleep(ctx, 250*time.Millisecond); err != nil {
			return row, false, err
		}
	}
}

// ConfirmUnregistered reads the row back after unregprod.
func ConfirmUnregistered(ctx context.Context, c Chain, account string, deadline time.Duration, clock Clock) (*Row, bool, error) {
	if clock == nil {
		clock = SystemClock{}
	}
	end := clock.Now().Add(deadline)
	for {
		row, err := ReadRow(ctx, c, account)
		if err == nil && !row.Active {
			return row, true, nil
		}
		if clock.Now().After(end) {
			return row, false, err
		}
		if err := clock.Sleep(ctx, 250*time.Millisecond); err != nil {
			return row, false, err
		}
	}
}

// NotShownError is a state change the chain accepted but whose effect the
// producers table does not show within the confirmation window.
type NotShownError struct {
	Account string
	TrxID   string
	Want    string // what was asked for
	Shows   string // what the table shows (or why it could not be read)
	Window  time.Duration
}

func (e *NotShownError) Error() string {
	return fmt.Sprintf("transaction %s was accepted, but after %s the producers table of %s still shows %s, not %s: treat it as not done (keep the old key on the producing node) and check with bpkeys producer show %s",
		e.TrxID, e.Window, e.Account, e.Shows, e.Want, e.Account)
}

// ReadBackRotation polls the producers row until it shows want, for at
// most window. It returns the row, or a *NotShownError saying what the
// table shows.
func ReadBackRotation(ctx context.Context, c Chain, account, trxID string, want Authority, window time.Duration, clock Clock) (*Row, error) {
	row, ok, err := Confirm(ctx, c, account, want, window, clock)
	if ok {
		return row, nil
	}
	return row, &NotShownError{Account: account, TrxID: trxID, Want: want.String(), Shows: shows(row, err), Window: window}
}

// ReadBackUnregistered polls until the row shows the producer inactive.
func ReadBackUnregistered(ctx context.Context, c Chain, account, trxID string, window time.Duration, clock Clock) (*Row, error) {
	row, ok, err := ConfirmUnregistered(ctx, c, account, window, clock)
	if ok {
		return row, nil
	}
	return row, &NotShownError{Account: account, TrxID: trxID, Want: "is_active 0", Shows: shows(row, err), Window: window}
}

func shows(row *Row, err error) string {
	switch {
	case row == nil && err != nil:
		return fmt.Sprintf("nothing readable (%v)", err)
	case row == nil:
		return "no row"
	case !row.Active:
		return "the producer inactive (is_active 0)"
	}
	return row.Authority.String() + " (active)"
}

// String is the authority as an operator reads it: the key, or "threshold
// N of K1 (weight w), ...".
func (a Authority) String() string {
	switch {
	case len(a.Keys) == 0:
		return "no key"
	case a.IsSingleKey():
		return a.Keys[0].Key.String()
	}
	parts := make([]string, len(a.Keys))
	for i, k := range a.Keys {
		parts[i] = fmt.Sprintf("%s (weight %d)", k.Key, k.Weight)
	}
	return fmt.Sprintf("threshold %d of %s", a.Threshold, strings.Join(parts, ", "))
}
