package permissions

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bpkeys/bpkeys/signer"
)

// HolderFunc names who holds a key (a member of the team file); ok is false
// for keys nobody is known to hold.
type HolderFunc func(signer.PublicKey) (holder string, ok bool)

// Capability is something that can be done with an account: act with one
// of its permissions (owner, active) or run a linked action.
type Capability struct {
	// Name is "owner", "active" or contract::action.
	Name string `json:"name"`
	// Permission is the minimum permission it needs ("eosio.any" when any
	// permission will do).
	Permission string `json:"permission"`
	// Sets are the minimal sets of holders that can do it together (with
	// the permission itself or any permission above it). A
	// holder is a team member, "unheld PUB_..." for a key nobody in the
	// team file holds, or actor@permission for an account bpkeys could not
	// look into.
	Sets      [][]string `json:"holder_sets"`
	Truncated bool       `json:"truncated,omitempty"`
}

// Joint is a capability a member has together with others: each entry of
// Others is one minimal set of co-holders.
type Joint struct {
	Capability string     `json:"capability"`
	Others     [][]string `json:"with"`
}

// MemberPower is what one team member can do alone and with whom.
type MemberPower struct {
	Member string   `json:"member"`
	Alone  []string `json:"alone"`
	With   []Joint  `json:"with_others"`
}

// Powers answers "who can do what" for an account.
type Powers struct {
	Account      string        `json:"account"`
	Capabilities []Capability  `json:"capabilities"`
	Members      []MemberPower `json:"members"` // [] without a team file
}

// UnheldPrefix starts the holder name of a key nobody in the team holds.
const UnheldPrefix = "unheld "

// WhoCanDoWhat lists, for account, every capability (owner, active, each
// linked action) with the minimal sets of holders able to exercise it, and
// for each member what they can do alone and with whom. limit caps the sets
// per capability (<= 0: DefaultSetLimit).
func WhoCanDoWhat(w *World, account string, holderOf HolderFunc, members []string, limit int) (*Powers, error) {
	a := w.Account(account)
	if a == nil {
		return nil, fmt.Errorf("who can do what: account %s is not loaded", account)
	}
	if holderOf == nil {
		holderOf = func(signer.PublicKey) (string, bool) { return "", false }
	}
	own := map[string]Capability{}
	ownSets := func(perm string) Capability {
		if c, ok := own[perm]; ok {
			return c
		}
		sets, trunc := w.MinimalHolderSets(Level{account, perm}, holderOf, limit)
		c := Capability{Permission: perm, Sets: sets, Truncated: trunc}
		own[perm] = c
		return c
	}
	// setsOf: a permission's holders, and those of every ancestor (nodeos
	// accepts any permission above the minimum one).
	setsOf := func(perm string) Capability {
		c := Capability{Permission: perm}
		var all [][]string
		for cur, n := perm, 0; cur != "" && n <= len(a.Permissions); n++ {
			s := ownSets(cur)
			all = append(all, s.Sets...)
			c.Truncated = c.Truncated || s.Truncated
			q := a.Perm(cur)
			if q == nil {
				break
			}
			cur = q.Parent
		}
		c.Sets = minimizeNames(all)
		return c
	}
	p := &Powers{Account: account, Members: []MemberPower{}}
	for _, perm := range []string{Owner, Active} {
		if a.Perm(perm) == nil {
			continue
		}
		c := setsOf(perm)
		c.Name = perm
		p.Capabilities = append(p.Capabilities, c)
	}
	links := a.Links()
	keys := make([]Link, 0, len(links))
	for l := range links {
		keys = append(keys, l)
	}
	slices.SortFunc(keys, compareLinks)
	for _, l := range keys {
		perm := links[l]
		var c Capability
		if perm == Any {
			// any permission of the account will do
			var all [][]string
			for _, q := range a.Permissions {
				s := ownSets(q.Name)
				all = append(all, s.Sets...)
				c.Truncated = c.Truncated || s.Truncated
			}
			c.Sets = minimizeNames(all)
		} else {
			c = setsOf(perm)
		}
		c.Name, c.Permission = l.String(), perm
		p.Capabilities = append(p.Capabilities, c)
	}
	for _, m := range members {
		mp := MemberPower{Member: m, Alone: []string{}, With: []Joint{}}
		for _, c := range p.Capabilities {
			var others [][]string
			alone := false
			for _, s := range c.Sets {
				if !slices.Contains(s, m) {
					continue
				}
				if len(s) == 1 {
					alone = true
					break
				}
				o := slices.DeleteFunc(slices.Clone(s), func(x string) bool { return x == m })
				others = append(others, o)
			}
			switch {
			case alone:
				mp.Alone = append(mp.Alone, c.Name)
			case len(others) > 0:
				mp.With = append(mp.With, Joint{Capability: c.Name, Others: others})
			}
		}
		p.Members = append(p.Members, mp)
	}
	return p, nil
}

func minimizeNames(sets [][]string) [][]string {
	slices.SortFunc(sets, func(a, b []string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(strings.Join(a, ","), strings.Join(b, ","))
	})
	var out [][]string
	for _, s := range sets {
		dup := slices.ContainsFunc(out, func(o []string) bool {
			for _, x := range o {
				if !slices.Contains(s, x) {
					return false
				}
			}
			return true
		})
		if !dup {
			out = append(out, s)
		}
	}
	if out == nil {
		out = [][]string{}
	}
	return out
}
