package proposals

import (
	"context"
	"fmt"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/signer"
)

// KeysSatisfy reports whether keys alone reach the threshold of level l (its
// own keys; account levels inside it are not followed). An account or
// permission that does not exist is not satisfied; a read error is an error.
func KeysSatisfy(ctx context.Context, accts *Accounts, l eos.PermissionLevel, keys []signer.PublicKey) (bool, error) {
	acct, err := accts.Get(ctx, string(l.Actor))
	if err != nil {
		return false, fmt.Errorf("which keys satisfy %s@%s: %w", l.Actor, l.Permission, err)
	}
	if acct == nil {
		return false, nil
	}
	p := acct.Permission(string(l.Permission))
	if p == nil {
		return false, nil
	}
	var w uint32
	for _, kw := range p.RequiredAuth.Keys {
		for _, k := range keys {
			if kw.Unsupported == "" && kw.Key == k {
				w += uint32(kw.Weight)
			}
		}
	}
	return w >= p.RequiredAuth.Threshold, nil
}

// FirstSatisfied is the first of candidates whose authority keys satisfy:
// the level an approval, an execution or a proposal is signed as.
func FirstSatisfied(ctx context.Context, accts *Accounts, candidates []eos.PermissionLevel, keys []signer.PublicKey) (eos.PermissionLevel, bool, error) {
	for _, l := range candidates {
		ok, err := KeysSatisfy(ctx, accts, l, keys)
		if err != nil {
			return eos.PermissionLevel{}, false, err
		}
		if ok {
			return l, true, nil
		}
	}
	return eos.PermissionLevel{}, false, nil
}
