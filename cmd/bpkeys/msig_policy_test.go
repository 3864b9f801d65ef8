package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
	"github.com/bpkeys/bpkeys/txflow"
)

// TestMsigPolicyCheck: a proposal's updateauth is judged by the same rules
// as a plan. Raising active's threshold beyond its weights is an error;
// rotating a key is not. The accounts come from a preloaded cache (no chain
// is asked: proposals.Accounts.Set), the actions from the planner.
func TestMsigPolicyCheck(t *testing.T) {
	k1 := testsigner.FromSeed(signer.CurveR1, "pol-1").PublicKey()
	k2 := testsigner.FromSeed(signer.CurveR1, "pol-2").PublicKey()
	k3 := testsigner.FromSeed(signer.CurveR1, "pol-3").PublicKey()
	raw := `{"account_name":"bpteam111111","permissions":[
	  {"perm_name":"owner","parent":"","required_auth":{"threshold":1,"keys":[{"key":"` + k1.String() + `","weight":1}],"accounts":[],"waits":[]},"linked_actions":[]},
	  {"perm_name":"active","parent":"owner","required_auth":{"threshold":2,"keys":[{"key":"` + k1.String() + `","weight":1},{"key":"` + k2.String() + `","weight":1}],"accounts":[],"waits":[]},"linked_actions":[]}]}`
	var ca chain.Account
	if err := json.Unmarshal([]byte(raw), &ca); err != nil {
		t.Fatal(err)
	}
	model, err := permissions.FromChain(&ca)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := team.Parse([]byte("members:\n  - name: alice\n    account: alice@active\nkeys:\n  - key: " + k1.String() + "\n    holder: alice\n  - key: " + k2.String() + "\n    holder: alice\n"))
	if err != nil {
		t.Fatal(err)
	}
	decoded := func(edit string, parse func(string) (permissions.Edit, error)) []proposals.DecodedAction {
		e, err := parse(edit)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := permissions.NewPlan(model, []permissions.Edit{e}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []proposals.DecodedAction
		for _, a := range plan.Actions {
			out = append(out, proposals.DecodedAction{Account: eos.AccountName(a.Contract), Name: eos.ActionName(a.Name), HexData: a.HexData})
		}
		return out
	}
	check := txflow.Judge{Team: tm}.ReviewCheck()
	accts := proposals.NewAccounts(nil)
	accts.Set(&ca)

	fs, err := check(context.Background(), accts, decoded("active=3", permissions.ParseThreshold))
	if err != nil {
		t.Fatal(err)
	}
	var lockout bool
	for _, f := range fs {
		if f.Severity == "error" && strings.Contains(f.Message, "bpteam111111@active") {
			lockout = true
		}
	}
	if !lockout {
		t.Fatalf("threshold 3 over two keys: no error finding in %+v", fs)
	}

	// Rotating to a key the team file says nobody holds locks the team out
	// of active; once bob holds it, the same rotation is fine (were it
	// alice's, she alone would hold active: refused too).
	rotate := decoded(k2.String()+"="+k3.String(), permissions.ParseRotate)
	fs, err = check(context.Background(), accts, rotate)
	if err != nil {
		t.Fatal(err)
	}
	if !hasError(fs, "[lockout]") {
		t.Fatalf("rotation to an unheld key: no lockout in %+v", fs)
	}
	tm2, err := team.Parse([]byte("members:\n  - name: alice\n  - name: bob\nkeys:\n  - key: " + k1.String() + "\n    holder: alice\n  - key: " + k3.String() + "\n    holder: bob\n"))
	if err != nil {
		t.Fatal(err)
	}
	fs, err = txflow.Judge{Team: tm2}.ReviewCheck()(context.Background(), accts, rotate)
	if err != nil {
		t.Fatal(err)
	}
	if hasError(fs, "") {
		t.Fatalf("rotation to a held key: %+v", fs)
	}

	// The team file names alice@active for her keys.
	if l, ok := msigHolders(tm)(k1); !ok || l.Actor != "alice" || l.Permission != "active" {
		t.Fatalf("holder of k1: %v %v", l, ok)
	}
	if msigHolders(nil) != nil {
		t.Fatal("no team file, yet holders")
	}
}

func hasError(fs []proposals.Finding, sub string) bool {
	for _, f := range fs {
		if f.Severity == "error" && strings.Contains(f.Message, sub) {
			return true
		}
	}
	return false
}
