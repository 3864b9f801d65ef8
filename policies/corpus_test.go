package policies_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/policies"
	"github.com/bpkeys/bpkeys/team"
)

type corpusCase struct {
	name  string
	edits []permissions.Edit
	rule  string // dangerous: a rule that must refuse it
	// base is the account the plan starts from (nil: base()); policy a
	// policy file the plan is judged with ("" for none).
	base   func() *permissions.Account
	policy string
}

func (c corpusCase) start() *permissions.Account {
	if c.base != nil {
		return c.base()
	}
	return base()
}

// judge makes the plan of a case and checks it as the signing gate would.
func (c corpusCase) judge(t testing.TB, w *permissions.World, tm *team.Team) (*permissions.Plan, []policies.Finding) {
	t.Helper()
	var pol *policies.Policy
	if c.policy != "" {
		var err error
		if pol, err = policies.Parse([]byte(c.policy)); err != nil {
			t.Fatal(err)
		}
	}
	p, err := permissions.NewPlan(c.start(), c.edits, tm.Label)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p, policies.CheckPlan(p, w, tm, pol)
}

func rot(old, nw *testsigner.Key) permissions.Edit {
	return permissions.Edit{Op: permissions.OpRotate, Key: old.PublicKey().String(), NewKey: nw.PublicKey().String()}
}

func addKey(perm string, k *testsigner.Key, w uint16) permissions.Edit {
	return permissions.Edit{Op: permissions.OpAddKey, Permission: perm, Key: k.PublicKey().String(), Weight: w}
}

func rmKey(perm string, k *testsigner.Key) permissions.Edit {
	return permissions.Edit{Op: permissions.OpRemoveKey, Permission: perm, Key: k.PublicKey().String()}
}

func thr(perm string, n uint32) permissions.Edit {
	return permissions.Edit{Op: permissions.OpThreshold, Permission: perm, Threshold: n}
}

func addAcc(perm, level string, w uint16) permissions.Edit {
	return permissions.Edit{Op: permissions.OpAddAccount, Permission: perm, Level: level, Weight: w}
}

func rmAcc(perm, level string) permissions.Edit {
	return permissions.Edit{Op: permissions.OpRemoveAccount, Permission: perm, Level: level}
}

func create(perm, parent string) permissions.Edit {
	return permissions.Edit{Op: permissions.OpCreate, Permission: perm, Parent: parent}
}

func del(perm string) permissions.Edit {
	return permissions.Edit{Op: permissions.OpDelete, Permission: perm}
}

func link(perm, action string) permissions.Edit {
	return permissions.Edit{Op: permissions.OpLink, Permission: perm, Action: action}
}

func unlink(action string) permissions.Edit {
	return permissions.Edit{Op: permissions.OpUnlink, Action: action}
}

var corpusPerms = []string{"owner", "active", "claim", "rotate"}

func permKeys(perm string) []*testsigner.Key {
	switch perm {
	case "owner":
		return []*testsigner.Key{kAliceOwner, kBobOwner, kCarolOwner}
	case "active":
		return []*testsigner.Key{kAliceActive, kBobActive}
	case "claim":
		return []*testsigner.Key{kClaim}
	}
	return []*testsigner.Key{kRotate}
}

func totalWeight(perm string) uint32 {
	if perm == "active" {
		return 3 // two keys and carol@active
	}
	return uint32(len(permKeys(perm)))
}

// strip removes every key and account of a permission.
func strip(perm string) []permissions.Edit {
	var out []permissions.Edit
	for _, k := range permKeys(perm) {
		out = append(out, rmKey(perm, k))
	}
	if perm == "active" {
		out = append(out, rmAcc("active", "carol@active"))
	}
	return out
}

func lockRule(perm string) string {
	if perm == "owner" || perm == "active" {
		return policies.RuleLockout
	}
	return policies.RuleLinkedUnsat
}

func checkUnique(t *testing.T, cs []corpusCase) {
	seen := map[string]bool{}
	for _, c := range cs {
		if seen[c.name] {
			t.Fatalf("case name %q twice", c.name)
		}
		seen[c.name] = true
	}
}

func TestDangerousPlansAreRefused(t *testing.T) {
	cases := dangerousPlans()
	if len(cases) < 150 {
		t.Fatalf("only %d dangerous plans", len(cases))
	}
	w, tm := world(), loadTeam(t)
	for i := range cases {
		cases[i].name = fmt.Sprintf("%03d %s", i+1, cases[i].name)
	}
	checkUnique(t, cases)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, fs := c.judge(t, w, tm)
			if !policies.Refuses(fs) {
				t.Fatalf("not refused; findings:\n%s\ndiff:\n%s", findingsText(fs), strings.Join(p.Diff, "\n"))
			}
			if !slices.ContainsFunc(fs, func(f policies.Finding) bool { return f.Rule == c.rule && f.Severity == "error" }) {
				t.Fatalf("refused, but not by %s:\n%s", c.rule, findingsText(fs))
			}
		})
	}
}

func TestSafePlansAreAccepted(t *testing.T) {
	cases := safePlans()
	if len(cases) < 100 {
		t.Fatalf("only %d safe plans", len(cases))
	}
	w, tm := world(), loadTeam(t)
	checkUnique(t, cases)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, fs := c.judge(t, w, tm)
			if len(p.Actions) == 0 {
				t.Fatal("no actions")
			}
			if policies.HasErrors(fs) {
				t.Fatalf("refused:\n%s", findingsText(fs))
			}
		})
	}
}

func findingsText(fs []policies.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.String() + "\n")
	}
	return b.String()
}
