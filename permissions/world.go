package permissions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/bpkeys/bpkeys/signer"
)

// ErrNoAccount is what a FetchFunc returns (wrapped or not) for an account
// that does not exist on the chain.
var ErrNoAccount = errors.New("account does not exist")

// FetchFunc reads an account from the chain.
type FetchFunc func(ctx context.Context, name string) (*Account, error)

// World holds the accounts a permission tree refers to, so that account
// levels (actor@permission) can be followed. Accounts not in the world are
// unknown: their levels are treated as outside principals, never as
// satisfied by keys. Accounts known not to exist count for nothing.
type World struct {
	accounts map[string]*Account
	missing  map[string]bool
}

// NewWorld builds a world of accounts.
func NewWorld(accounts ...*Account) *World {
	w := &World{accounts: map[string]*Account{}, missing: map[string]bool{}}
	for _, a := range accounts {
		w.Add(a)
	}
	return w
}

// Add puts (or replaces) an account in the world.
func (w *World) Add(a *Account) {
	w.accounts[a.Name] = a
	delete(w.missing, a.Name)
}

// MarkMissing records that an account does not exist on the chain.
func (w *World) MarkMissing(name string) {
	delete(w.accounts, name)
	w.missing[name] = true
}

// Account returns an account of the world, or nil.
func (w *World) Account(name string) *Account { return w.accounts[name] }

// Names lists the accounts of the world, sorted.
func (w *World) Names() []string {
	out := make([]string, 0, len(w.accounts))
	for n := range w.accounts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// With returns a copy of the world where a replaces the account of the same
// name (the accounts themselves are shared, not copied).
func (w *World) With(a *Account) *World {
	c := &World{accounts: make(map[string]*Account, len(w.accounts)+1), missing: make(map[string]bool, len(w.missing))}
	for k, v := range w.accounts {
		c.accounts[k] = v
	}
	for k := range w.missing {
		c.missing[k] = true
	}
	c.Add(a)
	return c
}

// Permission returns the permission a level names, when its account is in
// the world.
func (w *World) Permission(l Level) *Permission {
	a := w.accounts[l.Actor]
	if a == nil {
		return nil
	}
	return a.Perm(l.Permission)
}

// Exists says whether a level exists: known is false when its account is
// not in the world and not known to be missing. eosio.code levels exist for
// every existing account (nodeos lets authorities name them).
func (w *World) Exists(l Level) (exists, known bool) {
	if w.missing[l.Actor] {
		return false, true
	}
	a := w.accounts[l.Actor]
	if a == nil {
		return false, false
	}
	switch l.Permission {
	case Owner, Active, Code:
		return true, true
	}
	return a.Perm(l.Permission) != nil, true
}

// Keys lists every distinct supported key named anywhere in the world.
func (w *World) Keys() []signer.PublicKey {
	seen := map[signer.PublicKey]bool{}
	var out []signer.PublicKey
	for _, n := range w.Names() {
		for _, p := range w.accounts[n].Permissions {
			for _, k := range p.Auth.Keys {
				if k.Unsupported == "" && !seen[k.Key] {
					seen[k.Key] = true
					out = append(out, k.Key)
				}
			}
		}
	}
	slices.SortFunc(out, signer.Compare)
	return out
}

// LoadWorld fetches the root accounts and every account their authorities
// name, following account levels as deep as nodeos does (MaxDepth). An
// account the fetch reports as ErrNoAccount is recorded as missing; any
// other error ends the load.
func LoadWorld(ctx context.Context, fetch FetchFunc, roots ...*Account) (*World, error) {
	w := NewWorld(roots...)
	if err := w.Extend(ctx, fetch, roots...); err != nil {
		return nil, err
	}
	return w, nil
}

// Extend reads into the world every account the given accounts'
// authorities name (to MaxDepth) that it does not hold yet, without adding
// the given accounts themselves: what a plan's or proposal's after state
// names for the first time, so the rules can judge it.
func (w *World) Extend(ctx context.Context, fetch FetchFunc, from ...*Account) error {
	frontier := slices.Clone(from)
	for depth := 1; depth < MaxDepth && len(frontier) > 0; depth++ {
		var next []*Account
		var names []string
		for _, a := range frontier {
			for _, p := range a.Permissions {
				for _, l := range p.Auth.Accounts {
					names = append(names, l.Permission.Actor)
				}
			}
		}
		slices.Sort(names)
		for _, n := range slices.Compact(names) {
			if w.accounts[n] != nil || w.missing[n] || slices.ContainsFunc(from, func(a *Account) bool { return a.Name == n }) {
				continue
			}
			a, err := fetch(ctx, n)
			switch {
			case errors.Is(err, ErrNoAccount):
				w.MarkMissing(n)
				continue
			case err != nil:
				return fmt.Errorf("reading account %s (named in an authority): %w", n, err)
			case a == nil:
				w.MarkMissing(n)
				continue
			}
			w.Add(a)
			next = append(next, a)
		}
		frontier = next
	}
	return nil
}

// Provided is what has approved a transaction: signatures from keys, and
// permission levels already satisfied (by a contract's inline action, or a
// multisig proposal's approvals). AllKeys means every supported key of the
// world has signed: it answers "can this ever be satisfied by keys?".
type Provided struct {
	Keys    []signer.PublicKey
	Levels  []Level
	AllKeys bool
}

// Check is the outcome of a satisfaction check.
type Check struct {
	Satisfied bool
	// DepthLimited is true when a level deeper than MaxDepth was skipped.
	DepthLimited bool
	// Cycle is true when an account level led back to a level being
	// evaluated.
	Cycle bool
	// UsedKeys are the keys counted towards satisfying it (nodeos's greedy
	// choice, heaviest first): the keys that must sign.
	UsedKeys []signer.PublicKey
}

type status uint8

const (
	evaluating status = iota + 1
	satisfied
	unsatisfied
)

type checker struct {
	w      *World
	keys   map[signer.PublicKey]bool
	all    bool
	cache  map[Level]status
	used   map[signer.PublicKey]bool
	usedL  []signer.PublicKey
	result Check
}

// Satisfy checks whether what is provided satisfies level l, exactly as
// nodeos's authority_checker does: weights add up to the threshold, account
// levels are followed recursively up to MaxDepth, a level met again while
// being evaluated counts for nothing (cycles are safe), waits never count,
// and a level that does not exist counts for nothing.
func (w *World) Satisfy(l Level, p Provided) Check {
	ck := &checker{w: w, keys: map[signer.PublicKey]bool{}, all: p.AllKeys, cache: map[Level]status{}, used: map[signer.PublicKey]bool{}}
	for _, k := range p.Keys {
		ck.keys[k] = true
	}
	for _, lv := range p.Levels {
		ck.cache[lv] = satisfied
	}
	ck.result.Satisfied = ck.visit(AccountWeight{l, 1}, 0) > 0
	ck.result.UsedKeys = ck.usedL
	return ck.result
}

// Satisfied reports whether keys (and already-approved levels) satisfy l.
func (w *World) Satisfied(l Level, keys []signer.PublicKey, levels ...Level) bool {
	return w.Satisfy(l, Provided{Keys: keys, Levels: levels}).Satisfied
}

func (ck *checker) visit(lw AccountWeight, depth int) uint32 {
	st, ok := ck.cache[lw.Permission]
	if !ok {
		if depth >= MaxDepth {
			ck.result.DepthLimited = true
			return 0
		}
		p := ck.w.Permission(lw.Permission)
		if p == nil {
			return 0
		}
		ck.cache[lw.Permission] = evaluating
		if ck.satisfied(&p.Auth, depth+1) {
			ck.cache[lw.Permission] = satisfied
			return uint32(lw.Weight)
		}
		ck.cache[lw.Permission] = unsatisfied
		return 0
	}
	switch st {
	case satisfied:
		return uint32(lw.Weight)
	case evaluating:
		ck.result.Cycle = true
	}
	return 0
}

func (ck *checker) satisfied(a *Authority, depth int) bool {
	type meta struct {
		weight uint16
		kind   int // 1 key, 2 account (nodeos: keys before accounts on equal weights)
		idx    int
	}
	metas := make([]meta, 0, len(a.Keys)+len(a.Accounts))
	for i, k := range a.Keys {
		metas = append(metas, meta{k.Weight, 1, i})
	}
	for i, l := range a.Accounts {
		metas = append(metas, meta{l.Weight, 2, i})
	}
	sort.SliceStable(metas, func(i, j int) bool {
		if metas[i].weight != metas[j].weight {
			return metas[i].weight > metas[j].weight
		}
		return metas[i].kind < metas[j].kind
	})
	mark := len(ck.usedL)
	var total uint32
	for _, m := range metas {
		if m.kind == 1 {
			k := a.Keys[m.idx]
			if k.Unsupported == "" && (ck.all || ck.keys[k.Key]) {
				total += uint32(m.weight)
				if !ck.used[k.Key] {
					ck.used[k.Key] = true
					ck.usedL = append(ck.usedL, k.Key)
				}
			}
		} else {
			total += ck.visit(a.Accounts[m.idx], depth)
		}
		if total >= a.Threshold {
			return true
		}
	}
	for _, k := range ck.usedL[mark:] {
		delete(ck.used, k)
	}
	ck.usedL = ck.usedL[:mark]
	return false
}

// Reachable reports whether the permission's threshold can be reached
// counting the weights of its keys and of the account levels that exist
// (or whose account is not known), without following them. Waits do not
// count.
func (w *World) Reachable(a Authority) (sum uint64, ok bool) {
	for _, k := range a.Keys {
		sum += uint64(k.Weight)
	}
	for _, l := range a.Accounts {
		if exists, known := w.Exists(l.Permission); exists || !known {
			sum += uint64(l.Weight)
		}
	}
	return sum, a.Threshold > 0 && sum >= uint64(a.Threshold)
}
