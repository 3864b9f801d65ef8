package finalizer

import (
	"fmt"
	"strings"

	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
)

// Finding rules of Check.
const (
	RuleKeyOnNoHost    = "finalizer-key-on-no-host"
	RuleHostNoFinKey   = "host-without-finalizer-key"
	RulePeerIsBlockKey = "peer-key-is-block-key"
	RuleKeyOnTwoHosts  = "finalizer-key-on-two-hosts"
	RuleNotScheduled   = "no-active-finalizer-key"
)

// Check compares the chain's finalizer and peer keys with the team file's
// hosts. peer is the registered peer key (nil: none); blockKeys are the
// producer's current block-signing keys. t may be nil (no team file): only
// the chain-side rule applies.
func Check(s *Status, t *team.Team, peer *signer.PublicKey, blockKeys []signer.PublicKey) []permissions.Finding {
	var out []permissions.Finding
	add := func(sev permissions.Severity, rule, format string, args ...any) {
		out = append(out, permissions.Finding{Severity: sev, Rule: rule, Message: fmt.Sprintf(format, args...)})
	}
	if s.Producer && s.Savanna && len(s.Keys) == 0 {
		add(permissions.SeverityError, RuleNotScheduled, "%s has no finalizer key on a chain running Savanna: the system contract leaves it out of the producer schedule; register one (bpkeys finalizer register)", s.Account)
	}
	if t == nil {
		return out
	}
	for _, k := range s.Keys {
		if len(t.HostsOfFinalizerKey(k.Key)) == 0 {
			add(permissions.SeverityWarning, RuleKeyOnNoHost, "finalizer key %s (id %d) is registered but on no host of the team file: either a host votes with it that the team file does not know, or nobody can", k.Key, k.ID)
		}
	}
	seen := map[string]bool{}
	for _, h := range t.Hosts {
		if h.BlockKey != nil && len(h.FinalizerKeys) == 0 {
			add(permissions.SeverityWarning, RuleHostNoFinKey, "host %s has a block-signing key but no finalizer key: after failing over to it, %s would produce blocks but not vote", h.Name, s.Account)
		}
		for _, fk := range h.FinalizerKeys {
			hosts := t.HostsOfFinalizerKey(fk)
			if len(hosts) > 1 && !seen[fk.String()] {
				seen[fk.String()] = true
				add(permissions.SeverityError, RuleKeyOnTwoHosts, "finalizer key %s is on hosts %s: two finalizers voting with one key is double voting; keep each key on one host", fk, strings.Join(hosts, ", "))
			}
		}
	}
	if peer != nil {
		block := append([]signer.PublicKey(nil), blockKeys...)
		for _, h := range t.Hosts {
			if h.BlockKey != nil {
				block = append(block, *h.BlockKey)
			}
		}
		for _, b := range block {
			if b == *peer {
				add(permissions.SeverityWarning, RulePeerIsBlockKey, "the peer key %s is also a block-signing key: a node that only gossips then holds a key that can sign blocks; use a key of its own", *peer)
				break
			}
		}
	}
	return out
}
