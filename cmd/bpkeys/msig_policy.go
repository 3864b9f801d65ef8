package main

import (
	"context"
	"encoding/hex"
	"fmt"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/policies"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
)

// msigPolicyCheck reviews a proposal with the same rules as a plan: its
// native auth actions are applied to each account they change, and the
// built-in rules (and the policy file, when given) judge the result against
// the account as it is now.
func msigPolicyCheck(t *team.Team, pol *policies.Policy) proposals.PolicyCheck {
	return func(ctx context.Context, accts *proposals.Accounts, actions []proposals.DecodedAction) ([]proposals.Finding, error) {
		fetch := func(ctx context.Context, name string) (*permissions.Account, error) {
			ca, err := accts.Get(ctx, name)
			if err != nil {
				return nil, err
			}
			return permissions.FromChain(ca)
		}
		var acts []policies.Action
		for _, act := range actions {
			data, err := hex.DecodeString(act.HexData)
			if err != nil {
				return nil, fmt.Errorf("%s::%s: %w", act.Account, act.Name, err)
			}
			acts = append(acts, policies.Action{Contract: string(act.Account), Name: string(act.Name), Data: data})
		}
		res, err := policies.CheckActions(ctx, fetch, acts, t, pol)
		if err != nil {
			return nil, err
		}
		var out []proposals.Finding
		for _, r := range res {
			for _, f := range r.Findings {
				where := r.Account
				if f.Permission != "" {
					where += "@" + f.Permission
				}
				out = append(out, proposals.Finding{Severity: string(f.Severity), Message: fmt.Sprintf("%s [%s]: %s", where, f.Rule, f.Message)})
			}
		}
		return out, nil
	}
}

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
