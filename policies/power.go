package policies

import (
	"slices"
	"strings"

	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
)

// hostPrefix starts the holder name of a machine in holder sets.
const hostPrefix = "host "

// holders says who stands behind keys and account levels: members (by
// name), hosts ("host NAME"); a member's account: level counts as the
// member.
func holders(t *team.Team) permissions.Holders {
	if t == nil {
		return permissions.Holders{}
	}
	return permissions.Holders{
		Key: func(k signer.PublicKey) (string, bool) {
			if h, ok := t.Holder(k); ok {
				return h, true
			}
			if h, ok := t.HostOf(k); ok {
				return hostPrefix + h, true
			}
			return "", false
		},
		Level: func(l permissions.Level) (string, bool) { return t.MemberOfLevel(l.String()) },
	}
}

// setKind sorts the holders of one minimal set.
type setKind struct {
	members, hosts, others []string
}

func classify(set []string, t *team.Team) setKind {
	var k setKind
	for _, h := range set {
		switch {
		case slices.Contains(t.MemberNames(), h):
			k.members = append(k.members, h)
		case strings.HasPrefix(h, hostPrefix):
			k.hosts = append(k.hosts, strings.TrimPrefix(h, hostPrefix))
		default:
			k.others = append(k.others, h)
		}
	}
	return k
}

// singlePersonPowers are the powers one person alone must not have.
var singlePersonPowers = []permissions.Power{permissions.PowerAuth, permissions.PowerCode, permissions.PowerFunds}

// powerFindings are the conditions of the account's state about power:
// a sensitive power exercisable with no team member (a host's keys, keys
// nobody holds, accounts outside the team), or by one person alone (for
// changing authorities, code and funds). They are errors here; callers
// decide whether they are new (errors) or were there before (warnings).
func powerFindings(w *permissions.World, a *permissions.Account, t *team.Team) []Finding {
	if t == nil {
		return nil
	}
	var out []Finding
	for _, p := range a.Permissions {
		powers := a.PowersOf(p.Name)
		if len(powers) == 0 {
			continue
		}
		sets, _ := w.HolderSets(permissions.Level{Actor: a.Name, Permission: p.Name}, holders(t), 0)
		var noMember, single *setKind
		for _, s := range sets {
			k := classify(s, t)
			if len(k.members) == 0 && noMember == nil {
				noMember = &k
			}
			if len(s) == 1 && len(k.members) == 1 && single == nil {
				single = &k
			}
		}
		if noMember != nil {
			out = append(out, noMemberFinding(a, p.Name, powers, *noMember))
		}
		var solo []permissions.Power
		for _, pw := range powers {
			if slices.Contains(singlePersonPowers, pw) {
				solo = append(solo, pw)
			}
		}
		if single != nil && len(solo) > 0 {
			f := errorf(RuleSinglePower, p.Name, "%s alone can satisfy %s, which can %s: one lost, stolen or coerced person is enough. Require several members together (a threshold above any one member's weight).",
				single.members[0], p.Name, describe(a, p.Name, solo))
			f.Power = joinPowers(solo)
			out = append(out, f)
		}
	}
	return out
}

func joinPowers(ps []permissions.Power) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ",")
}

// describe lists what the powers allow, naming the link that gives each.
func describe(a *permissions.Account, perm string, ps []permissions.Power) string {
	s := make([]string, len(ps))
	for i, pw := range ps {
		s[i] = pw.Describe() + via(a, perm, pw)
	}
	switch len(s) {
	case 1:
		return s[0]
	case 2:
		return s[0] + " and " + s[1]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// worsens reports whether a power finding has powers its earlier version
// did not have.
func worsens(now, before string) bool {
	for _, p := range strings.Split(now, ",") {
		if !slices.Contains(strings.Split(before, ","), p) {
			return true
		}
	}
	return false
}

func via(a *permissions.Account, perm string, pw permissions.Power) string {
	if perm == permissions.Owner || perm == permissions.Active {
		return "" // they can do everything; naming one link says nothing
	}
	if v := a.PowerVia(perm, pw); v != "" {
		return " (" + v + ")"
	}
	return ""
}

func noMemberFinding(a *permissions.Account, perm string, pws []permissions.Power, k setKind) Finding {
	fix := "link those actions to a permission team members hold instead, or remove the links"
	if slices.Contains(pws, permissions.PowerAuth) {
		fix = "keep owner and active with keys team members hold on hardware"
	}
	var f Finding
	if len(k.hosts) > 0 {
		who := "host " + strings.Join(k.hosts, ", host ")
		if len(k.others) > 0 {
			who += " and " + strings.Join(k.others, ", ")
		}
		f = errorf(RuleUnattendedPower, perm, "%s can be satisfied with no team member (by %s, unattended) and can %s: anyone who gets into that machine could do it. %s.",
			perm, who, describe(a, perm, pws), capital(fix))
	} else {
		f = errorf(RuleUnheldPower, perm, "%s can be satisfied by what nobody on the team holds (%s) and can %s: whoever has it could do it. %s.",
			perm, strings.Join(k.others, ", "), describe(a, perm, pws), capital(fix))
	}
	f.Power = joinPowers(pws)
	return f
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// contractWideFindings refuses links of a whole contract (contract::*) on
// eosio, eosio.token, eosio.msig and the account itself, unless the policy
// allows them.
func contractWideFindings(a *permissions.Account, pol *Policy) []Finding {
	guarded := []string{"eosio", "eosio.token", "eosio.msig", a.Name}
	var out []Finding
	check := func(perm string, l permissions.Link) {
		if l.Action != "" || !slices.Contains(guarded, l.Contract) {
			return
		}
		if pol != nil && slices.Contains(pol.AllowContractWideLinks, l.Contract) {
			return
		}
		out = append(out, errorf(RuleContractWide, perm, "%s is linked to every action of %s (%s): that makes %s enough for %s, including ones added later. Link the actions it needs one by one (or allow it in the policy file's allow_contract_wide_links).",
			perm, l.Contract, l, perm, wideExamples(l.Contract)))
	}
	for _, p := range a.Permissions {
		for _, l := range p.Links {
			check(p.Name, l)
		}
	}
	for _, l := range a.AnyLinks {
		check(permissions.Any, l)
	}
	return out
}

func wideExamples(contract string) string {
	switch contract {
	case "eosio":
		return "setcode, setabi, delegatebw, undelegatebw, sellram, regproducer and every other system action"
	case "eosio.token":
		return "transfer"
	case "eosio.msig":
		return "approve"
	}
	return "every action of the account's own contract"
}

// knownKeyFindings refuses publicly known keys in any authority.
func knownKeyFindings(a *permissions.Account) []Finding {
	var out []Finding
	for _, p := range a.Permissions {
		for _, k := range p.Auth.Keys {
			if k.Unsupported != "" {
				continue
			}
			if why, ok := KnownKey(k.Key); ok {
				out = append(out, errorf(RuleKnownKey, p.Name, "key %s of %s is publicly known (%s): anyone can sign with it. Remove it and use a key generated on a device.", k.Key.Legacy(), p.Name, why))
			}
		}
	}
	return out
}

// unloadedFindings: an account level whose account was not read cannot be
// judged (is it there, who holds it).
func unloadedFindings(w *permissions.World, a *permissions.Account) []Finding {
	var out []Finding
	for _, p := range a.Permissions {
		for _, l := range p.Auth.Accounts {
			if _, known := w.Exists(l.Permission); !known {
				out = append(out, errorf(RuleNotLoaded, p.Name, "%s names %s, whose account was not read before the check: whether it exists and who holds it are unknown. Read it first (permissions.ExtendWorld) and check again.", p.Name, l.Permission))
			}
		}
	}
	return out
}

// fewestPeople is the size of the smallest set of holders that satisfies
// level (-1: none).
func fewestPeople(w *permissions.World, l permissions.Level, t *team.Team) (int, []string) {
	sets, _ := w.HolderSets(l, holders(t), 0)
	best, who := -1, []string(nil)
	for _, s := range sets {
		if best < 0 || len(s) < best {
			best, who = len(s), s
		}
	}
	return best, who
}

// fewerPeopleFindings warns when owner or active needs fewer distinct
// holders after the change (distinct keys and accounts without a team
// file).
func fewerPeopleFindings(beforeW, afterW *permissions.World, before, after *permissions.Account, t *team.Team) []Finding {
	var out []Finding
	unit := "people"
	if t == nil {
		unit = "distinct keys or accounts"
	}
	for _, name := range []string{permissions.Owner, permissions.Active} {
		if before.Perm(name) == nil || after.Perm(name) == nil {
			continue
		}
		b, _ := fewestPeople(beforeW, permissions.Level{Actor: before.Name, Permission: name}, t)
		n, who := fewestPeople(afterW, permissions.Level{Actor: after.Name, Permission: name}, t)
		if b > 0 && n > 0 && n < b {
			u := unit
			if n == 1 {
				u = "one"
				if t != nil {
					u = "one person"
				}
				out = append(out, warnf(RuleFewerHolders, name, "%s now needs %s instead of %d %s (%s): fewer must act together to take control. Make sure that is intended.", name, u, b, unit, strings.Join(who, " + ")))
				continue
			}
			out = append(out, warnf(RuleFewerHolders, name, "%s now needs %d %s instead of %d (%s): fewer must act together to take control. Make sure that is intended.", name, n, u, b, strings.Join(who, " + ")))
		}
	}
	return out
}

// noTeamFinding says what could not be checked without a team file.
func noTeamFinding(pol *Policy) Finding {
	msg := "no team file: hot keys with too much power, one-person control and lost hardware were not checked; give --team FILE"
	if pol != nil && pol.RequireTeamFile {
		return perr(RuleNoTeamFile, "", "%s The policy file requires one.", msg)
	}
	return warnf(RuleNoTeamFile, "", "%s", msg)
}

// softwareSatisfies: keys the team file does not mark hardware (every key
// of the world but those) satisfy the level, through account levels.
func softwareSatisfies(w *permissions.World, l permissions.Level, t *team.Team) bool {
	var soft []signer.PublicKey
	for _, k := range w.Keys() {
		if !t.IsHardware(k) {
			soft = append(soft, k)
		}
	}
	return w.Satisfy(l, permissions.Provided{Keys: soft}).Satisfied
}

// hardwareSatisfies: the hardware keys of the team file satisfy the level.
func hardwareSatisfies(w *permissions.World, l permissions.Level, t *team.Team) bool {
	var hw []signer.PublicKey
	for _, k := range w.Keys() {
		if t.IsHardware(k) {
			hw = append(hw, k)
		}
	}
	return w.Satisfy(l, permissions.Provided{Keys: hw}).Satisfied
}

// hardwareFindings refuses a change after which a permission that needed a
// hardware key (directly or through account levels) can be satisfied by
// software keys alone, or that removes its last hardware key.
func hardwareFindings(beforeW, afterW *permissions.World, before, after *permissions.Account, t *team.Team) []Finding {
	var out []Finding
	for _, bp := range before.Permissions {
		ap := after.Perm(bp.Name)
		if ap == nil {
			continue
		}
		bl := permissions.Level{Actor: before.Name, Permission: bp.Name}
		al := permissions.Level{Actor: after.Name, Permission: bp.Name}
		needed := hardwareSatisfies(beforeW, bl, t) && !softwareSatisfies(beforeW, bl, t)
		switch {
		case needed && softwareSatisfies(afterW, al, t):
			out = append(out, errorf(RuleLastHardware, bp.Name, "after the change software keys alone can satisfy %s (directly or through account levels), which needed a hardware key before: a copied file would be enough. Keep a hardware key required, or mark the new key hardware in the team file if it is one.", bp.Name))
		case hardwareKeys(&bp, t) > 0 && hardwareKeys(ap, t) == 0 && !hardwareSatisfies(afterW, al, t):
			out = append(out, errorf(RuleLastHardware, bp.Name, "the change removes the last hardware key of %s (per the team file): it would be held only by software keys; add the new key to the team file as hardware if it is one", bp.Name))
		}
	}
	return out
}
