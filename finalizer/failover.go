package finalizer

import (
	"errors"
	"fmt"
	"strings"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
)

// Refusals of a failover plan.
var (
	ErrNoHost         = errors.New("no such host in the team file")
	ErrHostIncomplete = errors.New("the host lacks keys in the team file")
	ErrDoubleVote     = errors.New("finalizer key listed on more than one host (two nodes voting with one key is double voting)")
	ErrNothingToDo    = errors.New("the host is already the active one")
)

// ProducerSettings are the parts of the producers row a regproducer2 keeps.
type ProducerSettings struct {
	URL      string
	Location uint16
	// Authority is the current block-signing authority.
	Authority contracts.BlockSigningAuthority
}

// Failover is the switch to another host in one transaction.
type Failover struct {
	Host string `json:"host"`
	// FinalizerKey becomes active (empty when it already is).
	FinalizerKey string `json:"finalizer_key,omitempty"`
	// BlockKey becomes the block-signing key (empty when it already is).
	BlockKey string        `json:"block_key,omitempty"`
	Actions  []*eos.Action `json:"-"`
}

// PlanFailover builds actfinkey of the host's finalizer key and regproducer2
// to the host's block-signing key (keeping url and location), leaving out
// what is already so.
func (s *Status) PlanFailover(t *team.Team, hostName, perm string, prod ProducerSettings) (*Failover, error) {
	if t == nil {
		return nil, fmt.Errorf("%w: a failover needs the team file's hosts (--team)", ErrNoHost)
	}
	h, ok := t.Host(hostName)
	if !ok {
		var names []string
		for _, x := range t.Hosts {
			names = append(names, x.Name)
		}
		return nil, fmt.Errorf("%w: %q (hosts: %s)", ErrNoHost, hostName, strings.Join(names, ", "))
	}
	if h.BlockKey == nil || len(h.FinalizerKeys) == 0 {
		return nil, fmt.Errorf("%w: host %s needs block_key and finalizer_keys", ErrHostIncomplete, h.Name)
	}
	var mine []Key
	for _, fk := range h.FinalizerKeys {
		if others := t.HostsOfFinalizerKey(fk); len(others) > 1 {
			return nil, fmt.Errorf("%w: %s on %s; fix the team file so each key lives on one host", ErrDoubleVote, fk, strings.Join(others, ", "))
		}
		for _, k := range s.Keys {
			if k.Key.Equal(fk) {
				mine = append(mine, k)
			}
		}
	}
	switch {
	case len(mine) == 0:
		return nil, fmt.Errorf("%w: none of host %s's finalizer keys is registered by %s; register it first (bpkeys finalizer register %s --key %s --pop SIG_BLS_...)", ErrNotOwnKey, h.Name, s.Account, s.Account, h.FinalizerKeys[0])
	case len(mine) > 1:
		return nil, fmt.Errorf("host %s lists %d finalizer keys registered by %s: keep one per host in the team file", h.Name, len(mine), s.Account)
	}
	f := &Failover{Host: h.Name}
	authz := auth(s.Account, perm)
	if !mine[0].Active {
		f.FinalizerKey = mine[0].Key.String()
		f.Actions = append(f.Actions, action("actfinkey", authz, contracts.ActFinKey{FinalizerName: eos.AccountName(s.Account), FinalizerKey: f.FinalizerKey}))
	}
	if !isSingleKey(prod.Authority, *h.BlockKey) {
		f.BlockKey = h.BlockKey.String()
		f.Actions = append(f.Actions, action("regproducer2", authz, contracts.RegProducer2{
			Producer: eos.AccountName(s.Account), URL: prod.URL, Location: prod.Location,
			ProducerAuthority: contracts.BlockSigningAuthority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: h.BlockKey.ECC(), Weight: 1}}},
		}))
	}
	if len(f.Actions) == 0 {
		return nil, fmt.Errorf("%w: %s already signs blocks with %s and votes with %s", ErrNothingToDo, s.Account, h.BlockKey, mine[0].Key)
	}
	return f, nil
}

func isSingleKey(a contracts.BlockSigningAuthority, k signer.PublicKey) bool {
	if len(a.Keys) != 1 {
		return false
	}
	got, err := signer.PublicKeyFromECC(a.Keys[0].PublicKey)
	return err == nil && got == k
}
