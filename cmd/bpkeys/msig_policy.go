package main

import (
	"context"
	"encoding/hex"
	"fmt"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
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
		before := map[string]*permissions.Account{}
		after := map[string]*permissions.Account{}
		var order []string
		for _, act := range actions {
			if act.Account != "eosio" || !isNativeAuth(string(act.Name)) {
				continue
			}
			data, err := hex.DecodeString(act.HexData)
			if err != nil {
				return nil, fmt.Errorf("eosio::%s: %w", act.Name, err)
			}
			target, err := nativeTarget(string(act.Name), data)
			if err != nil {
				return nil, err
			}
			if _, ok := before[target]; !ok {
				b, err := fetch(ctx, target)
				if err != nil {
					return nil, fmt.Errorf("reading %s to check the proposal: %w", target, err)
				}
				before[target], after[target] = b, b.Clone()
				order = append(order, target)
			}
			if err := after[target].ApplyNative(string(act.Name), data); err != nil {
				return nil, err
			}
		}
		var out []proposals.Finding
		for _, name := range order {
			w, err := permissions.LoadWorld(ctx, fetch, before[name])
			if err == nil {
				err = w.Extend(ctx, fetch, after[name])
			}
			if err != nil {
				return nil, fmt.Errorf("loading the accounts %s refers to: %w", name, err)
			}
			for _, f := range policies.CheckChange(before[name], after[name], w, t, pol) {
				where := name
				if f.Permission != "" {
					where += "@" + f.Permission
				}
				out = append(out, proposals.Finding{Severity: string(f.Severity), Message: fmt.Sprintf("%s [%s]: %s", where, f.Rule, f.Message)})
			}
		}
		return out, nil
	}
}

func isNativeAuth(name string) bool {
	switch name {
	case "updateauth", "deleteauth", "linkauth", "unlinkauth":
		return true
	}
	return false
}

// nativeTarget returns the account a native auth action changes.
func nativeTarget(name string, data []byte) (string, error) {
	var acct eos.AccountName
	var err error
	switch name {
	case "updateauth":
		var v contracts.UpdateAuthBy
		v, _, err = contracts.DecodeUpdateAuth(data)
		acct = v.Account
	case "deleteauth":
		var v contracts.DeleteAuthBy
		v, _, err = contracts.DecodeDeleteAuth(data)
		acct = v.Account
	case "linkauth":
		var v contracts.LinkAuthBy
		v, _, err = contracts.DecodeLinkAuth(data)
		acct = v.Account
	case "unlinkauth":
		var v contracts.UnlinkAuthBy
		v, _, err = contracts.DecodeUnlinkAuth(data)
		acct = v.Account
	}
	if err != nil {
		return "", fmt.Errorf("eosio::%s: %w", name, err)
	}
	return string(acct), nil
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
