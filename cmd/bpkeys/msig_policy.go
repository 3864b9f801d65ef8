package main

import (
	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
)

// msigHolders maps a key to the account level the team file names for its
// holder, so a proposal requests that member's approval.
func msigHolders(t *team.Team) proposals.KeyHolders {
	if t == nil {
		return nil
	}
	return func(k signer.PublicKey) (eos.PermissionLevel, bool) {
		s, ok := t.Account(k)
		if !ok {
			return eos.PermissionLevel{}, false
		}
		l, err := proposals.ParseLevel(s)
		return l, err == nil
	}
}
