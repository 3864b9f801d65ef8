package policies_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/policies"
	"github.com/bpkeys/bpkeys/policies/internal/knownkeys"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
)

func has(fs []policies.Finding, rule, perm string, sev permissions.Severity) bool {
	return slices.ContainsFunc(fs, func(f policies.Finding) bool {
		return f.Rule == rule && f.Permission == perm && f.Severity == sev
	})
}

// The embedded list is what the generator makes (go generate keeps it so).
func TestKnownKeysFileIsCurrent(t *testing.T) {
	want, err := knownkeys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("knownkeys.txt")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatal("knownkeys.txt is stale: run go generate ./policies")
	}
	if n := policies.KnownKeyCount(); n != 2*knownkeys.MaxScalar+len(knownkeys.Published) {
		t.Fatalf("%d known keys", n)
	}
	k, err := signer.ParsePublicKey(tutorialKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := policies.KnownKey(k); !ok {
		t.Fatal("the tutorial key is not known")
	}
	if _, ok := policies.KnownKey(kAliceOwner.PublicKey()); ok {
		t.Fatal("alice's key is known")
	}
}

// Without a team file every plan and every check says what could not be
// checked; the policy file can make that an error.
func TestNoTeamFile(t *testing.T) {
	p, err := permissions.NewPlan(base(), []permissions.Edit{addKey("rotate", spare(1), 1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fs := policies.CheckPlan(p, world(), nil, nil)
	if !has(fs, policies.RuleNoTeamFile, "", permissions.SeverityWarning) || policies.HasErrors(fs) {
		t.Fatalf("without a team file:\n%s", findingsText(fs))
	}
	if fs := policies.CheckAccount(world(), acct, nil, nil); !has(fs, policies.RuleNoTeamFile, "", permissions.SeverityWarning) {
		t.Fatalf("policy check without a team file:\n%s", findingsText(fs))
	}
	pol, err := policies.Parse([]byte("require_team_file: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	fs = policies.CheckPlan(p, world(), nil, pol)
	if !has(fs, policies.RuleNoTeamFile, "", permissions.SeverityError) || policies.Refuses(fs) || !policies.HasErrors(fs) {
		t.Fatalf("required team file:\n%s", findingsText(fs))
	}
	// Owner and active moved to one key, no team file: warnings say so.
	p, err = permissions.NewPlan(base(), []permissions.Edit{thr("owner", 1), thr("active", 1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fs = policies.CheckPlan(p, world(), nil, nil)
	for _, perm := range []string{"owner", "active"} {
		if !has(fs, policies.RuleFewerHolders, perm, permissions.SeverityWarning) {
			t.Fatalf("no fewer-holders warning for %s:\n%s", perm, findingsText(fs))
		}
	}
}

// Lowering a threshold warns that fewer people must act together.
func TestFewerHolders(t *testing.T) {
	tm := loadTeam(t)
	p, err := permissions.NewPlan(base(), []permissions.Edit{addKey("owner", spareOf("dave", 0), 1), thr("owner", 3)}, tm.Label)
	if err != nil {
		t.Fatal(err)
	}
	if fs := policies.CheckPlan(p, world(), tm, nil); has(fs, policies.RuleFewerHolders, "owner", permissions.SeverityWarning) {
		t.Fatalf("raising owner warned:\n%s", findingsText(fs))
	}
	p, err = permissions.NewPlan(base(), []permissions.Edit{thr("active", 1)}, tm.Label)
	if err != nil {
		t.Fatal(err)
	}
	fs := policies.CheckPlan(p, world(), tm, nil)
	if !has(fs, policies.RuleFewerHolders, "active", permissions.SeverityWarning) || !has(fs, policies.RuleSinglePower, "active", permissions.SeverityError) {
		t.Fatalf("active 1-of-3:\n%s", findingsText(fs))
	}
}

// A condition the account already had is a warning: plans that do not
// touch it go through, plans that add a power to it are refused.
func TestPreexistingConditions(t *testing.T) {
	tm := loadTeam(t)
	hot := base().Clone()
	hot.Perm("claim").Links = append(hot.Perm("claim").Links, permissions.Link{Contract: "eosio", Action: "delegatebw"})
	hot.Normalize()
	w := world().With(hot)
	fs := policies.CheckAccount(w, acct, tm, nil)
	if !has(fs, policies.RuleUnattendedPower, "claim", permissions.SeverityWarning) || policies.HasErrors(fs) {
		t.Fatalf("policy check:\n%s", findingsText(fs))
	}
	p, err := permissions.NewPlan(hot, []permissions.Edit{addKey("rotate", spareOf("bob", 0), 1)}, tm.Label)
	if err != nil {
		t.Fatal(err)
	}
	if fs := policies.CheckPlan(p, w, tm, nil); policies.HasErrors(fs) || !has(fs, policies.RuleUnattendedPower, "claim", permissions.SeverityWarning) {
		t.Fatalf("unrelated plan:\n%s", findingsText(fs))
	}
	p, err = permissions.NewPlan(hot, []permissions.Edit{link("claim", "eosio::setcode")}, tm.Label)
	if err != nil {
		t.Fatal(err)
	}
	if fs := policies.CheckPlan(p, w, tm, nil); !has(fs, policies.RuleUnattendedPower, "claim", permissions.SeverityError) {
		t.Fatalf("a new power on the hot key:\n%s", findingsText(fs))
	}
}

// An account new to the plan is judged once read: one the team controls
// is no lockout; one that does not exist is an error.
func TestAccountsNewToThePlan(t *testing.T) {
	tm := loadTeam(t)
	edits := append(strip("active"), addAcc("active", "newteam@active", 1), addAcc("active", "dave@active", 1), thr("active", 2))
	p, err := permissions.NewPlan(base(), edits, tm.Label)
	if err != nil {
		t.Fatal(err)
	}
	if fs := policies.CheckPlan(p, world(), tm, nil); policies.HasErrors(fs) {
		t.Fatalf("active held by newteam (alice) and dave:\n%s", findingsText(fs))
	}
	// Read as a command does: the world of the account before, extended.
	known := map[string]*permissions.Account{}
	for _, a := range accounts() {
		known[a.Name] = a
	}
	w, err := permissions.LoadWorld(t.Context(), fetchFrom(known), base())
	if err != nil {
		t.Fatal(err)
	}
	if w.Account("newteam") != nil {
		t.Fatal("newteam read before the plan names it")
	}
	if err := w.Extend(t.Context(), fetchFrom(known), p.After); err != nil {
		t.Fatal(err)
	}
	if fs := policies.CheckPlan(p, w, tm, nil); policies.HasErrors(fs) {
		t.Fatalf("after Extend:\n%s", findingsText(fs))
	}
	p, err = permissions.NewPlan(base(), []permissions.Edit{addAcc("active", "nosuchacct@active", 1)}, tm.Label)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Extend(t.Context(), fetchFrom(known), p.After); err != nil {
		t.Fatal(err)
	}
	if fs := policies.CheckPlan(p, w, tm, nil); !has(fs, policies.RuleMissing, "active", permissions.SeverityError) {
		t.Fatalf("nosuchacct:\n%s", findingsText(fs))
	}
}

func loadGreymass(t *testing.T) *permissions.Account {
	b, err := os.ReadFile(filepath.Join("testdata", "get_account.eos.teamgreymass.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		JSON json.RawMessage `json:"json"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	a, err := permissions.ParseAccountJSON(rec.JSON)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// greymassTeam is a plausible team file for teamgreymass's ten
// permissions: people on hardware for owner, active, killswitch and
// transfer, machines for claim, oracle and producerjson.
const greymassTeam = `members:
  - name: olga
  - name: alice
  - name: bob
  - name: carol
hosts:
  - name: bp1
    role: producer
  - name: feeder
    role: oracle
keys:
  - {key: EOS8QzGtCea2thiqcTVeXGdyRZpdKYptQznbcWSMj73FD5RgwKN82, holder: olga, hardware: true}
  - {key: EOS6gqJ7sdPgjHLFLtks9cRPs5qYHa9U3CwK4P2JasTLWKQ9kXZK1, holder: alice, hardware: true}
  - {key: EOS6DLD9HxMcwn73U41jjdGsNe9vDFRKB26um6qTAqrtYcJFtED4C, host: bp1, hardware: true}
  - {key: EOS7CjC7GL71msPzAuAzd2WwiBEAzTcPL47ACrjSuiNmnnGGufYSn, holder: bob, hardware: true}
  - {key: EOS88VqmDmJJ9S23eNqdeWYf2zySxv3ckQrWBKy7EvVRCUuhSU4f3, host: feeder}
  - {key: EOS5JCEciUdfXnQmTyj85T98bXTAZZ1g7Nmajseu7ZWB8DrDa6Etp, host: bp1}
  - {key: EOS7qZ8nnmn6KBnjQL4oukyZFWCj8DmC9nJE2nkAYAZbwgKhMu8cW, holder: carol, hardware: true}
  - {key: EOS65NrHPVXaV4voxepQREmYCmnMJm4tAWdxPaK46CbUN1rrVmRzg, holder: bob}
  - {key: EOS7pn6P5FftyNAKRfx9VcUzBFMvC4UitNbnoKbfxNe8SShELo2it, holder: carol}
  - {key: EOS7knG7M5TUEdRv1bkVjTPddVoDQnwS7oEZXAgFk3A4hhocA3eJf, holder: alice}
`

// A real producer's layout (teamgreymass, recorded) and the producer
// template produce no false errors: its single-key owner, active and
// transfer are conditions it already had (warnings), and ordinary plans
// on it go through.
func TestNoFalseErrorsOnRealLayouts(t *testing.T) {
	gm := loadGreymass(t)
	tm, err := team.Parse([]byte(greymassTeam))
	if err != nil {
		t.Fatal(err)
	}
	w := permissions.NewWorld(gm)
	for _, tt := range []*team.Team{tm, nil} {
		fs := policies.CheckAccount(w, gm.Name, tt, nil)
		if policies.HasErrors(fs) {
			t.Fatalf("policy check of teamgreymass (team %v):\n%s", tt != nil, findingsText(fs))
		}
		if tt != nil && !has(fs, policies.RuleSinglePower, "transfer", permissions.SeverityWarning) {
			t.Fatalf("the single-key transfer permission is not reported:\n%s", findingsText(fs))
		}
		for _, edits := range [][]permissions.Edit{
			{permissions.ProducerTemplate(nil, nil, true)},
			{{Op: permissions.OpAddKey, Permission: "vote", Key: "EOS7pn6P5FftyNAKRfx9VcUzBFMvC4UitNbnoKbfxNe8SShELo2it", Weight: 1}},
			{{Op: permissions.OpLink, Permission: "claim", Action: "eosio.bpay::claimrewards"}},
			{{Op: permissions.OpDelete, Permission: "decentium"}},
		} {
			p, err := permissions.NewPlan(gm, edits, tt.Label)
			if err != nil {
				t.Fatal(err)
			}
			if fs := policies.CheckPlan(p, w, tt, nil); policies.HasErrors(fs) {
				t.Fatalf("%v on teamgreymass (team %v):\n%s", edits, tt != nil, findingsText(fs))
			}
		}
	}
	// The template on a one-key account.
	one := simpleAccount("onekey", keyAuth(kAliceOwner), keyAuth(kAliceActive))
	p, err := permissions.NewPlan(one, []permissions.Edit{permissions.ProducerTemplate(nil, nil, true)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fs := policies.CheckPlan(p, permissions.NewWorld(one), loadTeam(t), nil); policies.HasErrors(fs) {
		t.Fatalf("template on a one-key account:\n%s", findingsText(fs))
	}
}

func fetchFrom(known map[string]*permissions.Account) permissions.FetchFunc {
	return func(_ context.Context, name string) (*permissions.Account, error) {
		if a, ok := known[name]; ok {
			return a.Clone(), nil
		}
		return nil, permissions.ErrNoAccount
	}
}
