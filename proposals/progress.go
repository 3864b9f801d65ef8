package proposals

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
)

// maxAuthDepth is nodeos's default max_authority_depth.
const maxAuthDepth = 6

// Accounts fetches accounts once each (get_account), for the authority
// trees a review walks. Unknown accounts are remembered as nil. Safe for
// concurrent use.
type Accounts struct {
	chain Chain
	mu    sync.Mutex
	cache map[string]*chain.Account
}

// NewAccounts returns an account cache over c.
func NewAccounts(c Chain) *Accounts {
	return &Accounts{chain: c, cache: map[string]*chain.Account{}}
}

// Get returns the account, or nil when it does not exist.
func (a *Accounts) Get(ctx context.Context, name string) (*chain.Account, error) {
	a.mu.Lock()
	acct, ok := a.cache[name]
	a.mu.Unlock()
	if ok {
		return acct, nil
	}
	acct, err := a.chain.GetAccount(ctx, name)
	if err != nil {
		if !chain.IsUnknownAccount(err) {
			return nil, fmt.Errorf("reading account %s: %w", name, err)
		}
		acct = nil
	}
	a.mu.Lock()
	a.cache[name] = acct
	a.mu.Unlock()
	return acct, nil
}

// Set puts an account in the cache (as a review would see it).
func (a *Accounts) Set(acct *chain.Account) {
	a.mu.Lock()
	a.cache[acct.AccountName] = acct
	a.mu.Unlock()
}

// LevelProgress is how far the counted approvals go towards satisfying one
// permission level, with the same rules as the contract's
// check_transaction_authorization: an approved level is satisfied; any
// other level is satisfied when the weights of its satisfied account
// entries reach its threshold. Keys and waits never count in a proposal.
type LevelProgress struct {
	Level     string `json:"level"`
	Satisfied bool   `json:"satisfied"`
	// Approved: this very level gave a counted approval.
	Approved bool `json:"approved,omitempty"`
	// Requested: this level is on the proposal's requested list.
	Requested bool   `json:"requested,omitempty"`
	Threshold uint32 `json:"threshold,omitempty"`
	Weight    uint32 `json:"weight"`
	// Accounts are the account entries of the level's authority.
	Accounts []WeightedProgress `json:"accounts,omitempty"`
	// KeyWeight is the weight the authority's keys hold, which no approval
	// can provide.
	KeyWeight uint32 `json:"key_weight,omitempty"`
	// Note explains a level that cannot be evaluated.
	Note string `json:"note,omitempty"`
}

// WeightedProgress is an account entry of an authority and its progress.
type WeightedProgress struct {
	Weight uint16 `json:"weight"`
	LevelProgress
}

// Progress is a proposal's approval progress against the authorizations
// its actions declare.
type Progress struct {
	Authorizations []LevelProgress `json:"authorizations"`
	// Satisfied: the counted approvals satisfy every authorization.
	Satisfied bool `json:"satisfied"`
	// Missing says, for each authorization not satisfied, what would
	// satisfy it.
	Missing []string `json:"missing,omitempty"`
}

// Evaluate computes the progress of approvals (the counted ones) towards
// the authorizations declared by actions, with the requested levels
// marked.
func Evaluate(ctx context.Context, accts *Accounts, actions []Action, requested, approvals []eos.PermissionLevel) (*Progress, error) {
	e := &evaluator{accts: accts, approved: map[string]bool{}, requested: map[string]bool{}}
	for _, l := range approvals {
		e.approved[levelString(l)] = true
	}
	for _, l := range requested {
		e.requested[levelString(l)] = true
	}
	p := &Progress{Satisfied: true, Authorizations: []LevelProgress{}}
	seen := map[string]bool{}
	for _, a := range actions {
		for _, l := range a.Authorization {
			s := levelString(l)
			if seen[s] {
				continue
			}
			seen[s] = true
			lp, err := e.level(ctx, l, 0, map[string]bool{})
			if err != nil {
				return nil, err
			}
			p.Authorizations = append(p.Authorizations, lp)
			if !lp.Satisfied {
				p.Satisfied = false
				p.Missing = append(p.Missing, missingLine(lp, e))
			}
		}
	}
	return p, nil
}

type evaluator struct {
	accts     *Accounts
	approved  map[string]bool
	requested map[string]bool
}

func levelString(l eos.PermissionLevel) string { return string(l.Actor) + "@" + string(l.Permission) }

func (e *evaluator) level(ctx context.Context, l eos.PermissionLevel, depth int, path map[string]bool) (LevelProgress, error) {
	s := levelString(l)
	lp := LevelProgress{Level: s, Requested: e.requested[s]}
	if e.approved[s] {
		lp.Approved, lp.Satisfied = true, true
	}
	if path[s] {
		lp.Note = "cycle: this level names itself"
		return lp, nil
	}
	if depth >= maxAuthDepth {
		lp.Note = fmt.Sprintf("beyond nodeos's authority depth of %d", maxAuthDepth)
		return lp, nil
	}
	acct, err := e.accts.Get(ctx, string(l.Actor))
	if err != nil {
		return lp, err
	}
	var perm *chain.Permission
	if acct != nil {
		perm = acct.Permission(string(l.Permission))
	}
	if perm == nil {
		lp.Note = "no such permission on chain"
		return lp, nil
	}
	auth := perm.RequiredAuth
	lp.Threshold = auth.Threshold
	for _, k := range auth.Keys {
		lp.KeyWeight += uint32(k.Weight)
	}
	path[s] = true
	defer delete(path, s)
	var total uint32
	for _, aw := range auth.Accounts {
		sub := eos.PermissionLevel{Actor: eos.AccountName(aw.Permission.Actor), Permission: eos.PermissionName(aw.Permission.Permission)}
		sp, err := e.level(ctx, sub, depth+1, path)
		if err != nil {
			return lp, err
		}
		if sp.Satisfied {
			total += uint32(aw.Weight)
		}
		lp.Accounts = append(lp.Accounts, WeightedProgress{Weight: aw.Weight, LevelProgress: sp})
	}
	lp.Weight = total
	if total >= auth.Threshold && auth.Threshold > 0 {
		lp.Satisfied = true
	}
	return lp, nil
}

// candidates lists the requested, not yet approved levels under lp that
// would add weight.
func candidates(lp LevelProgress, out map[string]bool) {
	if lp.Satisfied {
		return
	}
	if lp.Requested && !lp.Approved {
		out[lp.Level] = true
	}
	for _, a := range lp.Accounts {
		candidates(a.LevelProgress, out)
	}
}

func missingLine(lp LevelProgress, e *evaluator) string {
	c := map[string]bool{}
	candidates(lp, c)
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", lp.Level)
	if lp.Threshold > 0 {
		fmt.Fprintf(&b, "weight %d of %d", lp.Weight, lp.Threshold)
	} else {
		b.WriteString("not approved")
	}
	if lp.Note != "" {
		fmt.Fprintf(&b, " (%s)", lp.Note)
	}
	if len(names) == 0 {
		b.WriteString("; no requested approval can add weight: the proposal cannot execute as requested")
	} else {
		fmt.Fprintf(&b, "; needs approval from %s", strings.Join(names, " or "))
		if lp.Threshold > 0 && len(lp.Accounts) > 0 {
			fmt.Fprintf(&b, " (%d more weight)", lp.Threshold-min(lp.Weight, lp.Threshold))
		}
	}
	return b.String()
}

// Verdict is a review's conclusion.
type Verdict struct {
	// Executable: exec would succeed now.
	Executable bool `json:"executable"`
	// Reasons lists what stands in the way (missing approvals, expiry, the
	// earliest execution time).
	Reasons []string `json:"reasons,omitempty"`
}

// Judge combines progress, expiry and earliest_exec_time at now.
func Judge(p *Proposal, prog *Progress, now time.Time) Verdict {
	var v Verdict
	if p.Expired(now) {
		v.Reasons = append(v.Reasons, fmt.Sprintf("the proposed transaction expired at %s: it can only be cancelled", p.Transaction.Expiration.Format(time.RFC3339)))
	}
	if len(p.Transaction.ContextFreeActions) > 0 {
		v.Reasons = append(v.Reasons, "the transaction has context-free actions, which eosio.msig cannot execute")
	}
	v.Reasons = append(v.Reasons, prog.Missing...)
	if prog.Satisfied && p.EarliestExecTime != nil && now.Before(*p.EarliestExecTime) {
		v.Reasons = append(v.Reasons, fmt.Sprintf("too early to execute: not before %s", p.EarliestExecTime.Format(time.RFC3339)))
	}
	v.Executable = len(v.Reasons) == 0
	return v
}

// SortLevels sorts and de-duplicates levels in nodeos's order.
func SortLevels(ls []eos.PermissionLevel) []eos.PermissionLevel {
	sort.SliceStable(ls, func(i, j int) bool { return contracts.ComparePermissionLevels(ls[i], ls[j]) < 0 })
	out := ls[:0]
	for i, l := range ls {
		if i > 0 && l == ls[i-1] {
			continue
		}
		out = append(out, l)
	}
	return out
}

// Chain is the chain the cache reads.
func (a *Accounts) Chain() Chain { return a.chain }
