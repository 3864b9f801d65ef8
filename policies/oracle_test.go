package policies_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/internal/oracle"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/policies"
	"github.com/bpkeys/bpkeys/proposals"
)

// Every dangerous plan of the corpus, proposed through eosio.msig as an
// implementation bpkeys did not write builds it (wharfkit serialises the
// propose action around the plan's actions), is refused when its actions
// are judged the way msig propose and msig approve judge a proposal:
// bpkeys splits the propose data, decodes the packed transaction the
// contract stores, and policies.CheckActions applies the native actions to
// the account and runs the rules. (The commands refuse on these findings:
// the signing gate.)
func TestDangerousProposalsFromTheOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node (the oracle)")
	}
	cases := dangerousPlans()
	tm := loadTeam(t)
	msigABI, err := contracts.ABIJSON(contracts.Msig)
	if err != nil {
		t.Fatal(err)
	}
	type jsonAction struct {
		Account       string              `json:"account"`
		Name          string              `json:"name"`
		Authorization []permissions.Level `json:"authorization"`
		Data          string              `json:"data"`
	}
	req := &oracle.CodecRequest{ABI: msigABI}
	plans := make([]*permissions.Plan, len(cases))
	for i, c := range cases {
		p, err := permissions.NewPlan(c.start(), c.edits, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		plans[i] = p
		var acts []jsonAction
		for _, a := range p.Actions {
			acts = append(acts, jsonAction{a.Contract, a.Name, a.Authorization, a.HexData})
		}
		v, err := json.Marshal(map[string]any{
			"proposer": "alice", "proposal_name": fmt.Sprintf("danger%d", i%5+1),
			"requested": []permissions.Level{{Actor: "alice", Permission: "active"}, {Actor: "bob", Permission: "active"}},
			"trx": map[string]any{
				"expiration": "2026-01-08T00:00:00", "ref_block_num": 0, "ref_block_prefix": 0,
				"max_net_usage_words": 0, "max_cpu_usage_ms": 0, "delay_sec": 0,
				"context_free_actions": []any{}, "actions": acts, "transaction_extensions": []any{},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		req.Items = append(req.Items, oracle.CodecItem{Type: "propose", Value: v})
	}
	res := oracle.Run(t, oracle.Request{Serialize: req})
	if len(res.Serialize) != len(cases) {
		t.Fatalf("the oracle answered %d of %d", len(res.Serialize), len(cases))
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%03d %s", i+1, c.name), func(t *testing.T) {
			r := res.Serialize[i]
			if r.Error != "" {
				t.Fatalf("wharfkit: %s", r.Error)
			}
			data, err := hex.DecodeString(r.Hex)
			if err != nil {
				t.Fatal(err)
			}
			prop, err := contracts.DecodeProposeRaw(data)
			if err != nil {
				t.Fatal(err)
			}
			tx, err := proposals.DecodePacked(prop.PackedTrx)
			if err != nil {
				t.Fatal(err)
			}
			if len(tx.Actions) != len(plans[i].Actions) {
				t.Fatalf("%d actions in the proposal, %d in the plan", len(tx.Actions), len(plans[i].Actions))
			}
			var acts []policies.Action
			for _, a := range tx.Actions {
				acts = append(acts, policies.Action{Contract: string(a.Account), Name: string(a.Name), Data: a.Data})
			}
			known := map[string]*permissions.Account{}
			for _, a := range accounts() {
				known[a.Name] = a
			}
			known[acct] = c.start()
			got, err := policies.CheckActions(context.Background(), fetchFrom(known), acts, tm, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Account != acct {
				t.Fatalf("accounts judged: %+v", got)
			}
			fs := got[0].Findings
			if !policies.Refuses(fs) {
				t.Fatalf("not refused:\n%s", findingsText(fs))
			}
			want := c.rule
			if want == policies.RuleNotLoaded {
				want = policies.RuleMissing // CheckActions reads every account named: nosuchacct does not exist
			}
			if !slices.ContainsFunc(fs, func(f policies.Finding) bool { return f.Rule == want && f.Severity == "error" }) {
				t.Fatalf("refused, but not by %s:\n%s", want, findingsText(fs))
			}
		})
	}
}
