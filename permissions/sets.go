package permissions

import (
	"slices"

	"github.com/bpkeys/bpkeys/signer"
)

// DefaultSetLimit caps the number of minimal sets computed for one
// permission: a 15-of-21 authority has tens of thousands.
const DefaultSetLimit = 64

// Principal is who can approve at the leaves of a tree: a key, or a level
// of an account outside the world (which bpkeys cannot look into).
type Principal struct {
	Key   signer.PublicKey `json:"key,omitzero"`
	Level Level            `json:"level,omitzero"`
	// Unsupported is the text of a key bpkeys cannot represent.
	Unsupported string `json:"unsupported,omitempty"`
}

// String is the key (PUB_...) or actor@permission.
func (p Principal) String() string {
	switch {
	case p.Unsupported != "":
		return p.Unsupported
	case !p.Key.IsZero():
		return p.Key.String()
	}
	return p.Level.String()
}

// IsKey reports whether the principal is a supported key.
func (p Principal) IsKey() bool { return !p.Key.IsZero() }

type pset []string // atoms (principal texts or holder names), sorted, unique

func sortSet(s pset) pset {
	slices.Sort(s)
	return slices.Compact(s)
}

func isSubset(small, big pset) bool {
	if len(small) > len(big) {
		return false
	}
	for _, p := range small {
		if _, ok := slices.BinarySearch(big, p); !ok {
			return false
		}
	}
	return true
}

// minimize removes duplicates and supersets, sorts by size then text.
func minimize(sets []pset) []pset {
	slices.SortFunc(sets, func(a, b pset) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return slices.Compare(a, b)
	})
	var out []pset
	for _, s := range sets {
		if !slices.ContainsFunc(out, func(o pset) bool { return isSubset(o, s) }) {
			out = append(out, s)
		}
	}
	return out
}

type setFinder struct {
	w     *World
	limit int
	atom  func(Principal) string
	// members maps an atom to the principals it stands for.
	members map[string][]Principal
	path    map[Level]bool
	memo    map[memoKey][]pset
	trunc   bool
	// held says whether an account level has a holder of its own (it is
	// then an atom, not followed).
	held func(Level) bool
}

type memoKey struct {
	l     Level
	depth int
}

func (f *setFinder) atomOf(p Principal) string {
	a := f.atom(p)
	if !slices.ContainsFunc(f.members[a], func(q Principal) bool { return q == p }) {
		f.members[a] = append(f.members[a], p)
	}
	return a
}

// MinimalSets lists the minimal sets of principals that together satisfy
// level l (at most limit sets; limit <= 0 means DefaultSetLimit), smallest
// first. truncated is true when there were more. Each set is confirmed with
// Satisfy, so it is exactly what nodeos would accept.
func (w *World) MinimalSets(l Level, limit int) (sets [][]Principal, truncated bool) {
	f := w.newFinder(limit, func(p Principal) string { return p.String() })
	for _, s := range f.find(l) {
		var ps []Principal
		for _, a := range s {
			ps = append(ps, f.members[a]...)
		}
		sets = append(sets, ps)
	}
	return sets, f.trunc
}

// MinimalHolderSets is MinimalSets with principals grouped by who holds
// them: holder names a key's holder (ok false: the key is its own holder,
// written "unheld PUB_..."); account levels outside the world are written
// actor@permission. Grouping early keeps large trees tractable.
func (w *World) MinimalHolderSets(l Level, holderOf HolderFunc, limit int) (sets [][]string, truncated bool) {
	return w.HolderSets(l, Holders{Key: holderOf}, limit)
}

// Holders says who stands behind the principals of a tree: Key names who
// holds a key (a member, or a machine); Level names who controls an account
// level (a member's own account), which is then not looked into. Either may
// be nil.
type Holders struct {
	Key   HolderFunc
	Level func(Level) (string, bool)
}

// HolderSets is MinimalHolderSets with account levels that have a holder
// (Holders.Level) counted as that holder without following them. Keys
// without a holder are written "unheld PUB_...", account levels outside the
// world actor@permission.
func (w *World) HolderSets(l Level, h Holders, limit int) (sets [][]string, truncated bool) {
	f := w.newFinder(limit, func(p Principal) string {
		if p.IsKey() && h.Key != nil {
			if who, ok := h.Key(p.Key); ok {
				return who
			}
		}
		if p.IsKey() || p.Unsupported != "" {
			return UnheldPrefix + p.String()
		}
		if h.Level != nil {
			if who, ok := h.Level(p.Level); ok {
				return who
			}
		}
		return p.String()
	})
	if h.Level != nil {
		f.held = func(l Level) bool { _, ok := h.Level(l); return ok }
	}
	for _, s := range f.find(l) {
		sets = append(sets, []string(s))
	}
	if sets == nil {
		sets = [][]string{}
	}
	return sets, f.trunc
}

func (w *World) newFinder(limit int, atom func(Principal) string) *setFinder {
	if limit <= 0 {
		limit = DefaultSetLimit
	}
	return &setFinder{w: w, limit: limit, atom: atom, members: map[string][]Principal{}, path: map[Level]bool{}, memo: map[memoKey][]pset{}}
}

// find computes the sets and keeps those Satisfy confirms.
func (f *setFinder) find(l Level) []pset {
	raw, _ := f.level(l, 0)
	var out []pset
	for _, s := range raw {
		var p Provided
		unsupported := false
		for _, a := range s {
			for _, pr := range f.members[a] {
				switch {
				case pr.IsKey():
					p.Keys = append(p.Keys, pr.Key)
				case pr.Unsupported != "":
					unsupported = true
				default:
					p.Levels = append(p.Levels, pr.Level)
				}
			}
		}
		if unsupported || f.w.Satisfy(l, p).Satisfied {
			out = append(out, s)
		}
	}
	return out
}

// level returns the minimal sets for l at depth; clean is false when a
// cycle cut the search (the result then depends on the path: not memoized).
func (f *setFinder) level(l Level, depth int) ([]pset, bool) {
	if depth >= MaxDepth {
		return nil, true
	}
	if depth > 0 && f.held != nil && f.held(l) {
		return []pset{{f.atomOf(Principal{Level: l})}}, true
	}
	if exists, known := f.w.Exists(l); !known {
		return []pset{{f.atomOf(Principal{Level: l})}}, true
	} else if !exists {
		return nil, true
	}
	p := f.w.Permission(l)
	if p == nil { // eosio.code and other virtual levels: outside approvals
		return []pset{{f.atomOf(Principal{Level: l})}}, true
	}
	if f.path[l] {
		return nil, false
	}
	key := memoKey{l, depth}
	if r, ok := f.memo[key]; ok {
		return r, true
	}
	f.path[l] = true
	r, clean := f.authority(&p.Auth, depth+1)
	delete(f.path, l)
	if clean {
		f.memo[key] = r
	}
	return r, clean
}

func (f *setFinder) authority(a *Authority, depth int) ([]pset, bool) {
	type entry struct {
		weight uint32
		sets   []pset
	}
	clean := true
	var entries []entry
	for _, k := range a.Keys {
		pr := Principal{Key: k.Key, Unsupported: k.Unsupported}
		if k.Unsupported != "" {
			pr.Key = signer.PublicKey{}
		}
		entries = append(entries, entry{uint32(k.Weight), []pset{{f.atomOf(pr)}}})
	}
	for _, l := range a.Accounts {
		s, c := f.level(l.Permission, depth)
		clean = clean && c
		if len(s) > 0 {
			entries = append(entries, entry{uint32(l.Weight), s})
		}
	}
	slices.SortStableFunc(entries, func(x, y entry) int { return int(y.weight) - int(x.weight) })
	suffix := make([]uint64, len(entries)+1)
	for i := len(entries) - 1; i >= 0; i-- {
		suffix[i] = suffix[i+1] + uint64(entries[i].weight)
	}
	var out []pset
	budget := f.limit * 8
	var chosen []int
	var dfs func(i int, sum uint64)
	dfs = func(i int, sum uint64) {
		if len(out) >= budget {
			f.trunc = true
			return
		}
		if sum >= uint64(a.Threshold) {
			out = append(out, f.combine(entries2sets(chosen, func(j int) []pset { return entries[j].sets }))...)
			return
		}
		if i == len(entries) || sum+suffix[i] < uint64(a.Threshold) {
			return
		}
		chosen = append(chosen, i)
		dfs(i+1, sum+uint64(entries[i].weight))
		chosen = chosen[:len(chosen)-1]
		dfs(i+1, sum)
	}
	if a.Threshold > 0 {
		dfs(0, 0)
	}
	out = minimize(out)
	if len(out) > f.limit {
		out = out[:f.limit]
		f.trunc = true
	}
	return out, clean
}

func entries2sets(chosen []int, get func(int) []pset) [][]pset {
	out := make([][]pset, len(chosen))
	for i, j := range chosen {
		out[i] = get(j)
	}
	return out
}

// combine is the cross product of the choices: one set from each, united.
func (f *setFinder) combine(choices [][]pset) []pset {
	acc := []pset{{}}
	for _, c := range choices {
		var next []pset
		for _, a := range acc {
			for _, s := range c {
				u := append(slices.Clone(a), s...)
				next = append(next, sortSet(u))
				if len(next) > f.limit*8 {
					f.trunc = true
					break
				}
			}
		}
		acc = next
	}
	return acc
}
