package policies_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/policies"
	"github.com/bpkeys/bpkeys/signer"
)

func rules(fs []policies.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+" "+f.Permission)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestBaseIsClean(t *testing.T) {
	if fs := policies.CheckAccount(world(), acct, loadTeam(t), nil); len(fs) != 0 {
		t.Fatalf("findings on the corpus base:\n%s", findingsText(fs))
	}
}

func TestPolicyRules(t *testing.T) {
	tm := loadTeam(t)
	for _, tc := range []struct {
		name, policy string
		want         []string
	}{
		{"clean", "permissions:\n  owner:\n    min_threshold: 2\n    min_holders: 2\n    hardware_only: true\n", nil},
		{"min threshold", "permissions:\n  owner:\n    min_threshold: 3\n", []string{"min-threshold owner"}},
		{"min holders", "permissions:\n  active:\n    min_holders: 3\n", []string{"min-holders active"}},
		{"single person", "permissions:\n  claim:\n    no_single_person: true\n", []string{"no-single-person claim"}},
		{"attestation", "permissions:\n  claim:\n    attestation_required: true\n", []string{"attestation-required claim"}},
		{"allowed links", "permissions:\n  rotate:\n    allowed_links: [eosio::regproducer2, eosio::unregprod]\n", []string{"allowed-links rotate"}},
		{"wildcard", "permissions:\n  \"*\":\n    min_threshold: 2\n", []string{"min-threshold claim", "min-threshold rotate"}},
		{"shared keys", "no_shared_keys:\n  - [owner, active, claim]\n", nil},
		{"missing permission", "permissions:\n  vote:\n    min_threshold: 1\n", []string{"missing-permission vote"}},
		{"drift", "desired:\n  - permission: owner\n    threshold: 2\n    keys:\n      - {key: " + kAliceOwner.PublicKey().String() + ", weight: 1}\n      - {key: " + kBobOwner.PublicKey().String() + ", weight: 1}\n",
			[]string{"drift owner", "not-in-desired-tree active", "not-in-desired-tree claim", "not-in-desired-tree rotate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol, err := policies.Parse([]byte(tc.policy))
			if err != nil {
				t.Fatal(err)
			}
			got := rules(pol.Check(world(), acct, tm))
			if !slices.Equal(got, tc.want) {
				t.Fatalf("rules %v, want %v", got, tc.want)
			}
		})
	}
	// Shared keys: a plan putting active's key into claim.
	pol, _ := policies.Parse([]byte("no_shared_keys:\n  - [active, claim]\n"))
	p, err := permissions.NewPlan(base(), []permissions.Edit{addKey("claim", kAliceActive, 1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fs := policies.CheckPlan(p, world(), tm, pol)
	if got := rules(fs); !slices.Equal(got, []string{"no-shared-keys active"}) || policies.Refuses(fs) || !policies.HasErrors(fs) {
		t.Fatalf("shared key: %v", fs)
	}
	// Rules needing the team file say so.
	pol, _ = policies.Parse([]byte("permissions:\n  owner:\n    hardware_only: true\n"))
	if got := rules(pol.Check(world(), acct, nil)); !slices.Equal(got, []string{"needs-team-file owner"}) {
		t.Fatalf("without team: %v", got)
	}
}

func TestPolicyParseErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"permissions:\n  owner:\n    min_treshold: 2\n", "line 3: field min_treshold not found"},
		{"permisions: {}\n", "line 1: field permisions not found"},
		{"permissions:\n  Owner6: {}\n", "not a valid permission name"},
		{"permissions:\n  claim:\n    allowed_links: [eosio]\n", "expected CONTRACT::ACTION"},
		{"no_shared_keys:\n  - [owner]\n", "at least two"},
		{"desired:\n  - permission: owner\n    threshold: 3\n    keys: [{key: " + kAliceOwner.PublicKey().String() + ", weight: 1}]\n", "less than the threshold"},
		{"desired:\n  - permission: active\n    threshold: 1\n", "no owner"},
	} {
		if _, err := policies.Parse([]byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.doc, err, tc.want)
		}
	}
	_, err := policies.Parse([]byte("desired:\n  - permission: owner\n    keys: [{key: 5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3}]\n"))
	if !errors.Is(err, signer.ErrPrivateKey) {
		t.Fatalf("private key: %v", err)
	}
	if p, err := policies.Parse(nil); err != nil || p == nil {
		t.Fatalf("empty policy: %v", err)
	}
}

// The built-in rules on the current state (policy check) find an account
// that is already broken.
func TestBuiltInOnCurrentState(t *testing.T) {
	tm := loadTeam(t)
	w := world()
	broken := base().Clone()
	broken.Perm("claim").Auth = permissions.Authority{Threshold: 1, Keys: []permissions.KeyWeight{kw(unheld(1), 1)}}
	broken.Perm("claim").Links = append(broken.Perm("claim").Links, permissions.Link{Contract: "eosio", Action: "linkauth"})
	got := rules(policies.CheckAccount(w.With(broken), acct, tm, nil))
	want := []string{"linked-unsatisfiable claim", "native-link claim", "unheld-key claim"}
	if !slices.Equal(got, want) {
		t.Fatalf("rules %v, want %v", got, want)
	}
	// A plan on an already broken account is not refused for what was
	// already broken.
	p, err := permissions.NewPlan(broken, []permissions.Edit{addKey("rotate", spare(3), 1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fs := policies.CheckPlan(p, w, tm, nil); policies.Refuses(fs) {
		t.Fatalf("refused for old problems:\n%s", findingsText(fs))
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte("permissions:\n  owner:\n    min_threshold: 2\n    hardware_only: true\nno_shared_keys:\n  - [owner, active]\n"))
	f.Add([]byte("desired:\n  - permission: owner\n    threshold: 1\n    keys: [{key: EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV, weight: 1}]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := policies.Parse(b)
		if err != nil {
			return
		}
		// A parsed policy can always be applied.
		_ = p.Check(world(), acct, nil)
	})
}
