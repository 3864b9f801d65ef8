// Package policies holds the safety rules every plan is checked against
// before anything is signed (never lock an account out) and the rules of a
// team's policy file. It is pure: it reads a permission model and returns
// findings.
//
// The built-in rules (BuiltIn, always on) find: a threshold the keys and
// existing accounts can no longer reach; an account level that does not
// exist; owner or active no longer satisfiable by the keys the team file
// says the team holds (every key without a team file); a permission with
// linked actions left unsatisfiable; an outcome decided by recursion past
// depth 6 or a cycle; a native authority action (updateauth, deleteauth,
// linkauth, unlinkauth, canceldelay) linked; and, as warnings, keys nobody
// in the team holds. CheckPlan applies them to a plan's after state: a
// problem the plan introduces is an error that refuses it (Refuses), one
// already there is a warning; removing a permission's last hardware key is
// refused too.
//
// The policy file (Parse, policy.yaml) adds per-permission rules (minimum
// threshold, minimum distinct holders, hardware keys only, attestation
// required, allowed links only, no single person), groups of permissions
// that must not share keys, and a desired tree whose differences are
// reported as drift. Findings name the rule, the permission and say in a
// sentence what is wrong.
package policies
