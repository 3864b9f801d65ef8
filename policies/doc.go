// Package policies holds the safety rules every plan is checked against
// before anything is signed (never lock an account out) and the rules of a
// team's policy file. It is pure: it reads a permission model and returns
// findings.
//
// The built-in rules (BuiltIn, always on) find: a threshold the keys and
// existing accounts can no longer reach; an account level that does not
// exist, or whose account was not read; owner or active no longer
// satisfiable by the team (keys members hold or hosts keep, and levels
// members control; every key without a team file); a permission with
// linked actions left unsatisfiable; an outcome decided by recursion past
// depth 6 or a cycle; a native authority action linked; a contract-wide
// link on eosio, eosio.token, eosio.msig or the account itself; a publicly
// known key (KnownKey); and the power rules: a permission that can change
// authorities, set code, move funds, approve proposals or replace the
// block-signing key (permissions.Account.PowersOf) and that a machine's keys
// or keys nobody holds can satisfy with no team member
// (unattended-power, unheld-power), or that one person alone can satisfy
// for authorities, code or funds (single-person-power). Warnings: keys
// nobody holds, no team file (what could not be checked).
//
// CheckChange (and CheckPlan, CheckActions) applies them to a change: a
// problem it introduces or worsens is an error that refuses it (Refuses),
// one already there is a warning; a permission that needed hardware
// (directly or through account levels) and no longer does is refused;
// owner or active needing fewer people is a warning. docs/policies.md
// lists every rule with an example.
//
// The policy file (Parse, policy.yaml) adds per-permission rules (minimum
// threshold, minimum distinct holders, hardware keys only, attestation
// required, allowed links only, no single person), groups of permissions
// that must not share keys, and a desired tree whose differences are
// reported as drift. Findings name the rule, the permission and say in a
// sentence what is wrong.
package policies
