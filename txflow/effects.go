package txflow

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/policies"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/team"
)

// maxNesting bounds how deep proposals of proposals are followed.
const maxNesting = 3

// Judge computes what actions do to authorities and judges the result with
// the built-in rules and, when given, a policy file.
type Judge struct {
	Team   *team.Team
	Policy *policies.Policy
}

// Finding is a policy finding about one account.
type Finding struct {
	Account string `json:"account"`
	policies.Finding
}

// String is "error account@perm [rule]: message".
func (f Finding) String() string {
	where := f.Account
	if f.Permission != "" {
		where += "@" + f.Permission
	}
	return fmt.Sprintf("%s: %s [%s]: %s", f.Severity, where, f.Rule, f.Message)
}

// Effect is one change an action makes (or, through eosio.msig, would make).
type Effect struct {
	// Via names the proposal the action comes from ("" for a direct one).
	Via    string
	Action proposals.Action
}

// Effects expands actions to the actions they cause: eosio.msig propose,
// approve and exec stand for the proposed transaction's actions (read from
// the chain for approve and exec), followed to depth maxNesting.
func Effects(ctx context.Context, c proposals.Chain, actions []proposals.Action) ([]Effect, error) {
	return effects(ctx, c, actions, "", 0)
}

func effects(ctx context.Context, c proposals.Chain, actions []proposals.Action, via string, depth int) ([]Effect, error) {
	var out []Effect
	proposed := map[string]bool{}
	for _, a := range actions {
		out = append(out, Effect{Via: via, Action: a})
		if a.Account != proposals.Msig {
			continue
		}
		if name, ok := proposalOf(a); ok && proposed[name] && a.Name != "propose" {
			// Approved or executed in the transaction that proposes it:
			// its actions were followed from the propose.
			continue
		}
		inner, name, err := innerOf(ctx, c, a)
		if a.Name == "propose" {
			proposed[name] = true
		}
		if err != nil {
			return nil, err
		}
		if inner == nil {
			continue
		}
		if depth >= maxNesting {
			return nil, fmt.Errorf("proposal %s proposes proposals %d deep: bpkeys does not sign what it cannot follow", name, depth+1)
		}
		more, err := effects(ctx, c, inner.Actions, name, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

// proposalOf names the proposal an eosio.msig action refers to.
func proposalOf(a proposals.Action) (string, bool) {
	var who struct {
		Proposer     eos.AccountName
		ProposalName eos.Name
	}
	if err := eos.NewDecoder(a.Data).Decode(&who); err != nil {
		return "", false
	}
	return string(who.Proposer) + "/" + string(who.ProposalName), true
}

// innerOf returns the transaction an eosio.msig action proposes, approves
// or executes (nil for the other msig actions).
func innerOf(ctx context.Context, c proposals.Chain, a proposals.Action) (*proposals.Transaction, string, error) {
	switch a.Name {
	case "propose":
		p, err := contracts.DecodeProposeRaw(a.Data)
		if err != nil {
			return nil, "", err
		}
		t, err := proposals.DecodePacked(p.PackedTrx)
		if err != nil {
			return nil, "", fmt.Errorf("the proposed transaction: %w", err)
		}
		return t, string(p.Proposer) + "/" + string(p.ProposalName), nil
	case "approve", "exec":
		var who struct {
			Proposer     eos.AccountName
			ProposalName eos.Name
		}
		if err := eos.NewDecoder(a.Data).Decode(&who); err != nil {
			return nil, "", fmt.Errorf("eosio.msig::%s: %w", a.Name, err)
		}
		name := string(who.Proposer) + "/" + string(who.ProposalName)
		p, err := proposals.Read(ctx, c, who.Proposer, who.ProposalName)
		if err != nil {
			return nil, "", fmt.Errorf("reading proposal %s to judge what it does: %w", name, err)
		}
		return p.Transaction, name, nil
	}
	return nil, "", nil
}

// Check judges the effects on authorities against the accounts as the chain
// shows them now (with their limitauthchg settings): policies.CheckActions
// applies every native auth and limitauthchg action to each account it
// changes, reads the accounts the result names, and runs the rules.
func (j Judge) Check(ctx context.Context, accts *proposals.Accounts, effs []Effect) ([]Finding, error) {
	// Only an account the transaction changes needs its limitauthchg row:
	// the accounts its authorities name are read for their trees alone.
	changed := map[string]bool{}
	for _, e := range effs {
		if e.Action.Account != "eosio" {
			continue
		}
		if name, ok, err := permissions.NativeTarget(string(e.Action.Name), e.Action.Data); ok && err == nil {
			changed[name] = true
		}
	}
	fetch := func(ctx context.Context, name string) (*permissions.Account, error) {
		ca, err := accts.Get(ctx, name)
		if err != nil {
			return nil, err
		}
		if ca == nil {
			return nil, fmt.Errorf("account %s: %w", name, permissions.ErrNoAccount)
		}
		a, err := permissions.FromChain(ca)
		if err != nil {
			return nil, err
		}
		if c := accts.Chain(); c != nil && changed[name] {
			if a.AuthChange, err = ReadAuthLimit(ctx, c, name); err != nil {
				return nil, err
			}
		}
		return a, nil
	}
	var acts []policies.Action
	for _, e := range effs {
		acts = append(acts, policies.Action{Contract: string(e.Action.Account), Name: string(e.Action.Name), Data: e.Action.Data})
	}
	res, err := policies.CheckActions(ctx, fetch, acts, j.Team, j.Policy)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, af := range res {
		for _, f := range af.Findings {
			out = append(out, Finding{Account: af.Account, Finding: f})
		}
	}
	return out, nil
}

// Refusing returns the findings that refuse: built-in errors, and errors
// of the policy file.
func Refusing(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Severity == permissions.SeverityError {
			out = append(out, f)
		}
	}
	return out
}

// RefusedError is a signature refused for safety (exit 4): a policy error
// finding, a changed proposal, a duplicate intent. Nothing was signed.
type RefusedError struct {
	Reason   string
	Findings []Finding
	Err      error
}

func (e *RefusedError) Error() string {
	s := "refused, nothing was signed: " + e.Reason
	for _, f := range e.Findings {
		s += "\n  " + f.String()
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *RefusedError) Unwrap() error { return e.Err }

// IsRefused reports whether err is a refusal for safety.
func IsRefused(err error) bool {
	var r *RefusedError
	return errors.As(err, &r)
}

func isNativeAuth(name string) bool {
	switch name {
	case "updateauth", "deleteauth", "linkauth", "unlinkauth":
		return true
	}
	return false
}

// ReviewCheck is the judge as a proposal review's policy check: a review
// shows the same findings the gate refuses on.
func (j Judge) ReviewCheck() proposals.PolicyCheck {
	return func(ctx context.Context, accts *proposals.Accounts, actions []proposals.DecodedAction) ([]proposals.Finding, error) {
		var acts []proposals.Action
		for _, a := range actions {
			data, err := hex.DecodeString(a.HexData)
			if err != nil {
				return nil, fmt.Errorf("%s::%s: %w", a.Account, a.Name, err)
			}
			acts = append(acts, proposals.Action{Account: a.Account, Name: a.Name, Authorization: a.Authorization, Data: data})
		}
		c := accts.Chain()
		effs, err := Effects(ctx, c, acts)
		if err != nil {
			return nil, err
		}
		fs, err := j.Check(ctx, accts, effs)
		if err != nil {
			return nil, err
		}
		var out []proposals.Finding
		for _, f := range fs {
			where := f.Account
			if f.Permission != "" {
				where += "@" + f.Permission
			}
			out = append(out, proposals.Finding{Severity: string(f.Severity), Message: fmt.Sprintf("%s [%s]: %s", where, f.Rule, f.Message)})
		}
		return out, nil
	}
}
