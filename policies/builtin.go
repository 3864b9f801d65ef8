package policies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
)

// Finding is a rule's finding (shared with package permissions, whose plans
// carry them).
type Finding = permissions.Finding

// Names of the built-in rules.
const (
	RuleUnreachable  = "unreachable-threshold" // weights of existing keys and accounts below the threshold
	RuleMissing      = "missing-account"       // an account level that does not exist
	RuleLockout      = "lockout"               // owner or active not satisfiable by the team's keys
	RuleLinkedUnsat  = "linked-unsatisfiable"  // a permission with linked actions not satisfiable
	RuleRecursion    = "recursion"             // depth past 6 or a cycle decides the outcome
	RuleNativeLink   = "native-link"           // linking eosio::updateauth and the like
	RuleLastHardware = "last-hardware-key"     // the last hardware key of a permission removed
	RuleUnheldKey    = "unheld-key"            // a key nobody in the team file holds
	RuleInvalidAuth  = "invalid-authority"     // nodeos would refuse the authority
	RuleCycleWarning = "cycle"                 // a cycle that does not (yet) decide anything
	RuleLinksUnknown = "links-unknown"         // the node did not report linked actions

	RuleUnattendedPower = "unattended-power"    // a host's keys alone reach a sensitive power
	RuleUnheldPower     = "unheld-power"        // keys or accounts nobody on the team holds reach a sensitive power
	RuleSinglePower     = "single-person-power" // one person alone can change authorities, set code or move funds
	RuleContractWide    = "contract-wide-link"  // eosio::*, eosio.token::*, eosio.msig::* or ACCOUNT::* linked
	RuleKnownKey        = "known-key"           // a publicly known key in an authority
	RuleNotLoaded       = "account-not-loaded"  // an account level whose account was not read
	RuleFewerHolders    = "fewer-holders"       // owner or active needs fewer people than before (warning)
	RuleNoTeamFile      = "no-team-file"        // nothing about holders could be checked (warning)
)

// NativeAuthActions are the eosio actions nodeos never lets a link lower:
// linking them is refused.
var NativeAuthActions = []string{"updateauth", "deleteauth", "linkauth", "unlinkauth", "canceldelay"}

// provided is what the team can sign with: the keys of the team file, or
// (without one) every key, which then only tests the tree's structure.
func provided(t *team.Team) permissions.Provided {
	if t == nil {
		return permissions.Provided{AllKeys: true}
	}
	p := permissions.Provided{Keys: t.HeldKeys()}
	for _, s := range t.MemberLevels() {
		if l, err := permissions.ParseLevel(s); err == nil {
			p.Levels = append(p.Levels, l)
		}
	}
	return p
}

func errorf(rule, perm, format string, args ...any) Finding {
	return Finding{Severity: permissions.SeverityError, Rule: rule, Permission: perm, BuiltIn: true, Message: fmt.Sprintf(format, args...)}
}

func warnf(rule, perm, format string, args ...any) Finding {
	return Finding{Severity: permissions.SeverityWarning, Rule: rule, Permission: perm, BuiltIn: true, Message: fmt.Sprintf(format, args...)}
}

// BuiltIn applies the always-on rules to the state of account in w: every
// threshold reachable with keys and accounts that exist, every account
// level existing, owner and active satisfiable by the team's keys (every
// key when t is nil), permissions with linked actions satisfiable, no
// recursion past depth 6 or cycle deciding an outcome, no native auth
// action linked, and (as warnings) keys nobody in the team holds.
func BuiltIn(w *permissions.World, account string, t *team.Team) []Finding {
	return state(w, account, t, nil, false)
}

// state is every built-in finding about the account as it is in w. The
// conditions of power (hot keys, unheld keys, single person) are errors
// when strict, warnings otherwise (a state check: they were already there).
func state(w *permissions.World, account string, t *team.Team, pol *Policy, strict bool) []Finding {
	out := structural(w, account, t)
	a := w.Account(account)
	if a == nil {
		return out
	}
	out = append(out, contractWideFindings(a, pol)...)
	out = append(out, knownKeyFindings(a)...)
	out = append(out, unloadedFindings(w, a)...)
	for _, f := range powerFindings(w, a, t) {
		if !strict {
			f.Severity = permissions.SeverityWarning
			f.Message += " (a condition of the account as it is)"
		}
		out = append(out, f)
	}
	if t == nil {
		out = append(out, noTeamFinding(pol))
	}
	return out
}

// structural is the original set of rules: reachability, existence,
// lockouts, recursion, native links, unheld keys.
func structural(w *permissions.World, account string, t *team.Team) []Finding {
	a := w.Account(account)
	if a == nil {
		return []Finding{errorf(RuleMissing, "", "account %s is not loaded", account)}
	}
	var out []Finding
	who := "the keys the team file says the team holds"
	if t == nil {
		who = "any key"
	}
	for _, p := range a.Permissions {
		lv := permissions.Level{Actor: account, Permission: p.Name}
		if sum, ok := w.Reachable(p.Auth); !ok {
			out = append(out, errorf(RuleUnreachable, p.Name, "%s needs weight %d but its keys and existing accounts only add up to %d: it can never be satisfied", p.Name, p.Auth.Threshold, sum))
		}
		for _, l := range p.Auth.Accounts {
			if exists, known := w.Exists(l.Permission); known && !exists {
				out = append(out, errorf(RuleMissing, p.Name, "%s names %s, which does not exist on the chain (nodeos refuses such an authority)", p.Name, l.Permission))
			}
		}
		structural := w.Satisfy(lv, permissions.Provided{AllKeys: true})
		if !structural.Satisfied && (structural.DepthLimited || structural.Cycle) {
			why := "account levels nest deeper than nodeos follows (6 levels)"
			if structural.Cycle {
				why = "its account levels lead back to themselves (a cycle)"
			}
			out = append(out, errorf(RuleRecursion, p.Name, "%s can never be satisfied: %s", p.Name, why))
			continue
		} else if structural.Satisfied && structural.Cycle {
			out = append(out, warnf(RuleCycleWarning, p.Name, "%s names account levels that lead back to themselves; the cycle counts for nothing", p.Name))
		}
		important := p.Name == permissions.Owner || p.Name == permissions.Active
		linked := len(p.Links) > 0
		if !important && !linked {
			continue
		}
		if w.Satisfy(lv, provided(t)).Satisfied {
			continue
		}
		switch {
		case important:
			out = append(out, errorf(RuleLockout, p.Name, "%s could not be satisfied by %s: the account would be locked out of %s", p.Name, who, p.Name))
		case linked:
			out = append(out, errorf(RuleLinkedUnsat, p.Name, "%s (needed by %s) could not be satisfied by %s: those actions could no longer be run", p.Name, linkList(p.Links), who))
		}
	}
	for _, p := range a.Permissions {
		for _, l := range p.Links {
			if l.Contract == "eosio" && slices.Contains(NativeAuthActions, l.Action) {
				out = append(out, errorf(RuleNativeLink, p.Name, "eosio::%s is linked to %s: nodeos refuses links of native authority actions (they always need the permission they change)", l.Action, p.Name))
			}
		}
	}
	for _, l := range a.AnyLinks {
		if l.Contract == "eosio" && slices.Contains(NativeAuthActions, l.Action) {
			out = append(out, errorf(RuleNativeLink, permissions.Any, "eosio::%s is linked to eosio.any: nodeos refuses links of native authority actions", l.Action))
		}
	}
	if a.LinksUnknown {
		out = append(out, warnf(RuleLinksUnknown, "", "the node did not report linked actions (nodeos before Leap 4): links cannot be checked"))
	}
	if t != nil {
		seen := map[signer.PublicKey]bool{}
		for _, p := range a.Permissions {
			for _, k := range p.Auth.Keys {
				if k.Unsupported != "" {
					out = append(out, warnf(RuleUnheldKey, p.Name, "%s has a key bpkeys cannot use (%s)", p.Name, k.Unsupported))
					continue
				}
				if e, ok := t.Key(k.Key); (!ok || (e.Holder == "" && e.Host == "")) && !seen[k.Key] {
					seen[k.Key] = true
					out = append(out, warnf(RuleUnheldKey, p.Name, "key %s of %s is held by nobody in the team file", k.Key.String(), p.Name))
				}
			}
		}
	}
	return out
}

func linkList(ls []permissions.Link) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = l.String()
	}
	return strings.Join(s, ", ")
}

// hardwareKeys counts the keys of a permission the team file says are on
// hardware.
func hardwareKeys(p *permissions.Permission, t *team.Team) int {
	n := 0
	for _, k := range p.Auth.Keys {
		if k.Unsupported == "" && t.IsHardware(k.Key) {
			n++
		}
	}
	return n
}

// CheckPlan applies the built-in rules to the plan's after state (with the
// accounts of w for account levels) and, when pol is not nil, the policy
// file. A built-in problem that the plan introduces is an error that
// refuses it; one that was already there before the plan is kept as a
// warning. Removing a permission's last hardware key (per the team file)
// is refused. The findings of the plan itself (invalid authorities) are
// kept.
func CheckPlan(p *permissions.Plan, w *permissions.World, t *team.Team, pol *Policy) []Finding {
	var kept []Finding
	for _, f := range p.Findings {
		if f.Rule == RuleInvalidAuth {
			kept = append(kept, f)
		}
	}
	return append(kept, CheckChange(p.Before, p.After, w, t, pol)...)
}

// CheckChange checks the account after a change (a plan, or a proposal's
// native auth actions applied with permissions.Account.ApplyNative) against
// its state before: a built-in problem the change introduces or worsens is
// an error, one already there is a warning; a permission that needed a
// hardware key and no longer does is an error; owner or active needing
// fewer people is a warning; without a team file a warning says what could
// not be checked; the policy file, when given, applies to the state after.
// w must hold every account the after state names (permissions.ExtendWorld
// reads those new to the change): one not read is an error.
func CheckChange(before, after *permissions.Account, w *permissions.World, t *team.Team, pol *Policy) []Finding {
	beforeW := w.With(before)
	afterW := w.With(after)
	prior := state(beforeW, before.Name, t, pol, true)
	var out []Finding
	existed := func(f Finding) bool {
		return slices.ContainsFunc(prior, func(b Finding) bool {
			return b.Rule == f.Rule && b.Permission == f.Permission && !worsens(f.Power, b.Power) && b.Severity == permissions.SeverityError
		})
	}
	for _, f := range state(afterW, after.Name, t, pol, true) {
		if f.Severity == permissions.SeverityError && f.BuiltIn && existed(f) {
			f.Severity = permissions.SeverityWarning
			f.Message += " (already the case before this change)"
		}
		out = append(out, f)
	}
	if t != nil {
		out = append(out, hardwareFindings(beforeW, afterW, before, after, t)...)
	}
	out = append(out, fewerPeopleFindings(beforeW, afterW, before, after, t)...)
	if pol != nil {
		out = append(out, pol.Check(afterW, after.Name, t)...)
	}
	return dedupe(out)
}

// CheckAccount applies the built-in rules and, when pol is not nil, the
// policy file to the current state of account: what `policy check` shows.
// Without a team file, lockouts are checked against every key (the tree's
// structure) rather than the keys the team holds.
func CheckAccount(w *permissions.World, account string, t *team.Team, pol *Policy) []Finding {
	out := state(w, account, t, pol, false)
	if pol != nil {
		out = append(out, pol.Check(w, account, t)...)
	}
	return dedupe(out)
}

func dedupe(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if out == nil {
		out = []Finding{}
	}
	return out
}

// Refuses reports whether findings include a built-in error: the plan must
// not be signed.
func Refuses(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.BuiltIn && f.Severity == permissions.SeverityError })
}

// HasErrors reports whether findings include any error.
func HasErrors(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Severity == permissions.SeverityError })
}
