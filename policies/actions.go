package policies

import (
	"context"
	"fmt"

	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/team"
)

// Action is one action of a transaction or proposal: contract, name and
// packed data.
type Action struct {
	Contract string
	Name     string
	Data     []byte
}

// AccountFindings are the findings about one account a transaction changes.
type AccountFindings struct {
	Account  string
	Findings []Finding
}

// CheckActions judges a transaction's (or a proposal's) actions with the
// same rules as a plan: its eosio native authority actions (updateauth,
// deleteauth, linkauth, unlinkauth, with or without authorized_by) and
// limitauthchg are applied, in order, to each account they change, as read
// by fetch; every account the result names is read too (to depth 6); and
// CheckChange judges each account's after state against its state now.
// Accounts come back in the order the actions first change them. Other
// actions are not judged here.
func CheckActions(ctx context.Context, fetch permissions.FetchFunc, actions []Action, t *team.Team, pol *Policy) ([]AccountFindings, error) {
	before := map[string]*permissions.Account{}
	after := map[string]*permissions.Account{}
	var order []string
	for _, act := range actions {
		if act.Contract != "eosio" {
			continue
		}
		target, ok, err := permissions.NativeTarget(act.Name, act.Data)
		if !ok {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("eosio::%s: %w", act.Name, err)
		}
		if _, seen := before[target]; !seen {
			b, err := fetch(ctx, target)
			if err != nil {
				return nil, fmt.Errorf("reading %s to check the change: %w", target, err)
			}
			before[target], after[target] = b, b.Clone()
			order = append(order, target)
		}
		if err := after[target].ApplyNative(act.Name, act.Data); err != nil {
			return nil, err
		}
	}
	var out []AccountFindings
	for _, name := range order {
		w, err := permissions.LoadWorld(ctx, fetch, before[name])
		if err == nil {
			err = w.Extend(ctx, fetch, after[name])
		}
		if err != nil {
			return nil, fmt.Errorf("reading the accounts %s refers to: %w", name, err)
		}
		out = append(out, AccountFindings{Account: name, Findings: CheckChange(before[name], after[name], w, t, pol)})
	}
	return out, nil
}
