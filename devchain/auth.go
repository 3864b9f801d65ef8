package devchain

import (
	"encoding/json"
	"sort"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
)

// maxAuthDepth is nodeos's default max_authority_depth.
const maxAuthDepth = 6

type cacheStatus uint8

const (
	beingEvaluated cacheStatus = iota + 1
	permSatisfied
	permUnsatisfied
)

// checker is nodeos's authority_checker: it decides whether provided keys
// and permissions satisfy permission levels, and remembers which keys it
// used (greedily, heaviest weights first, like nodeos) so that irrelevant
// signatures and get_required_keys come out the same.
type checker struct {
	db       *db
	keys     map[signer.PublicKey]bool
	perms    map[level]bool
	used     map[signer.PublicKey]bool
	usedList []signer.PublicKey
}

func newChecker(d *db, keys []signer.PublicKey, perms []level) *checker {
	ck := &checker{db: d, keys: make(map[signer.PublicKey]bool, len(keys)), perms: map[level]bool{}, used: map[signer.PublicKey]bool{}}
	for _, k := range keys {
		ck.keys[k] = true
	}
	for _, p := range perms {
		ck.perms[p] = true
	}
	return ck
}

// satisfiedLevel reports whether the level is satisfied (as nodeos's
// satisfied(permission_level): a weight-1 visit at depth 0).
func (ck *checker) satisfiedLevel(l level) bool {
	cache := make(map[level]cacheStatus, len(ck.perms)+2)
	for p := range ck.perms {
		cache[p] = permSatisfied
	}
	return ck.visitLevel(levelWeight{l, 1}, cache, 0) > 0
}

func (ck *checker) visitLevel(lw levelWeight, cache map[level]cacheStatus, depth int) uint32 {
	st, ok := cache[lw.Level]
	if !ok {
		if depth >= maxAuthDepth {
			return 0
		}
		p, found := ck.db.permission(lw.Level)
		if !found {
			return 0 // a permission that does not exist counts for nothing
		}
		cache[lw.Level] = beingEvaluated
		if ck.satisfied(&p.Auth, cache, depth+1) {
			cache[lw.Level] = permSatisfied
			return uint32(lw.Weight)
		}
		cache[lw.Level] = permUnsatisfied
		return 0
	}
	if st == permSatisfied {
		return uint32(lw.Weight)
	}
	return 0
}

type metaPerm struct {
	weight uint16
	kind   int // 0 wait, 1 key, 2 account: nodeos's priority on equal weights
	idx    int
}

func (ck *checker) satisfied(a *authority, cache map[level]cacheStatus, depth int) bool {
	mark := len(ck.usedList)
	metas := make([]metaPerm, 0, len(a.Keys)+len(a.Accounts)+len(a.Waits))
	for i, w := range a.Waits {
		metas = append(metas, metaPerm{w.Weight, 0, i})
	}
	for i, k := range a.Keys {
		metas = append(metas, metaPerm{k.Weight, 1, i})
	}
	for i, l := range a.Accounts {
		metas = append(metas, metaPerm{l.Weight, 2, i})
	}
	sort.SliceStable(metas, func(i, j int) bool {
		if metas[i].weight != metas[j].weight {
			return metas[i].weight > metas[j].weight
		}
		return metas[i].kind < metas[j].kind
	})
	var total uint32
	for _, m := range metas {
		switch m.kind {
		case 0: // waits need a delay; transactions here have none
		case 1:
			k := a.Keys[m.idx].Key
			if ck.keys[k] {
				total += uint32(m.weight)
				if !ck.used[k] {
					ck.used[k] = true
					ck.usedList = append(ck.usedList, k)
				}
			}
		case 2:
			total += ck.visitLevel(a.Accounts[m.idx], cache, depth)
		}
		if total >= a.Threshold {
			return true
		}
	}
	// Not satisfied: the keys this authority marked are not really used.
	for _, k := range ck.usedList[mark:] {
		delete(ck.used, k)
	}
	ck.usedList = ck.usedList[:mark]
	return false
}

func (ck *checker) unusedKeys() []signer.PublicKey {
	var out []signer.PublicKey
	for k := range ck.keys {
		if !ck.used[k] {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return signer.Compare(out[i], out[j]) < 0 })
	return out
}

// keysJSON prints keys as fc prints a vector of public keys.
func keysJSON(keys []signer.PublicKey) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = k.Legacy()
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func levelsJSON(ls []level) string {
	s := "["
	for i, l := range ls {
		if i > 0 {
			s += ","
		}
		s += l.json()
	}
	return s + "]"
}

// lookupLinked is nodeos's lookup_linked_permission: the link for
// code::action, else for code (any action), else none.
func (d *db) lookupLinked(actor, code, action string) (string, bool) {
	a := d.accounts[actor]
	if a == nil {
		return "", false
	}
	if req, ok := a.Links[linkKey{code, action}]; ok {
		return req, true
	}
	if req, ok := a.Links[linkKey{code, ""}]; ok {
		return req, true
	}
	return "", false
}

// lookupMinimum is nodeos's lookup_minimum_permission: the linked
// permission, or active when there is no link; ok=false for eosio.any
// (any permission will do).
func (d *db) lookupMinimum(actor, code, action string) (string, bool) {
	req, found := d.lookupLinked(actor, code, action)
	if !found {
		return "active", true
	}
	if req == string(contracts.Any) {
		return "", false
	}
	return req, true
}

// satisfies is permission_object::satisfies: p satisfies other when both
// belong to the same account and p is other or one of its ancestors.
func (d *db) satisfies(p, other level) bool {
	if p.Actor != other.Actor {
		return false
	}
	a := d.accounts[p.Actor]
	if a == nil {
		return false
	}
	cur := other.Permission
	for i := 0; i < 64 && cur != ""; i++ {
		if cur == p.Permission {
			return true
		}
		perm := a.Perms[cur]
		if perm == nil {
			return false
		}
		cur = perm.Parent
	}
	return false
}
