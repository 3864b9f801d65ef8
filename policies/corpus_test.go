package policies_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/policies"
)

type corpusCase struct {
	name  string
	edits []permissions.Edit
	rule  string // dangerous: a rule that must refuse it
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

func dangerousPlans() []corpusCase {
	var out []corpusCase
	add := func(name, rule string, edits ...permissions.Edit) {
		out = append(out, corpusCase{name, edits, rule})
	}
	n := 0
	for _, p := range corpusPerms {
		add("strip all keys of "+p, policies.RuleUnreachable, strip(p)...)
		for _, d := range []uint32{1, 2, 10} {
			add(fmt.Sprintf("threshold of %s %d above its weights", p, d), policies.RuleUnreachable, thr(p, totalWeight(p)+d))
		}
		var es []permissions.Edit
		for _, k := range permKeys(p) {
			n++
			es = append(es, rot(k, unheld(n)))
		}
		if p == "active" {
			es = append(es, rmAcc("active", "carol@active"))
		}
		add("rotate every key of "+p+" to keys nobody holds", lockRule(p), es...)
		add(p+" left to an account that does not exist", policies.RuleMissing, append(strip(p), addAcc(p, "ghostacct@active", 1))...)
		add(p+" left to an account chain too deep", policies.RuleRecursion, append(strip(p), addAcc(p, "deepb@active", 1))...)
		add(p+" left to an account cycle", policies.RuleRecursion, append(strip(p), addAcc(p, "cyca@active", 1))...)
		add(p+" left to a stranger's account", lockRule(p), append(strip(p), addAcc(p, "stranger@active", 1))...)
		es = nil
		for i, k := range permKeys(p) {
			es = append(es, rot(k, soft(i)))
		}
		add("every hardware key of "+p+" rotated to software keys", policies.RuleLastHardware, es...)
	}
	for _, p := range []string{"owner", "active", "rotate"} {
		add(p+" names claim, which is deleted", policies.RuleMissing, addAcc(p, acct+"@claim", 1), del("claim"))
	}
	add("rotate left only to claim, which is deleted", policies.RuleUnreachable, rmKey("rotate", kRotate), addAcc("rotate", acct+"@claim", 1), del("claim"))
	for i, action := range []string{"eosio::voteproducer", "eosio.token::transfer", "eosio::claimrewards", "eosio::regproducer"} {
		name := "empty" + string(rune('a'+i))
		add("link "+action+" to a new permission with no keys", policies.RuleUnreachable, create(name, "active"), link(name, action))
	}
	for _, p := range []string{"claim", "rotate", "active"} {
		for _, a := range policies.NativeAuthActions {
			add("link eosio::"+a+" to "+p, policies.RuleNativeLink, link(p, "eosio::"+a))
		}
	}
	add("owner loses two of three keys", policies.RuleUnreachable, rmKey("owner", kAliceOwner), rmKey("owner", kBobOwner))
	add("owner loses two other keys", policies.RuleUnreachable, rmKey("owner", kBobOwner), rmKey("owner", kCarolOwner))
	add("owner 3-of-3 with one key nobody holds", policies.RuleLockout, thr("owner", 3), rot(kAliceOwner, unheld(99)))
	return out
}

func safePlans() []corpusCase {
	var out []corpusCase
	add := func(name string, edits ...permissions.Edit) { out = append(out, corpusCase{name: name, edits: edits}) }
	s := 0
	next := func() *testsigner.Key { s++; return spare(s - 1) }
	for _, p := range corpusPerms {
		for i, k := range permKeys(p) {
			add(fmt.Sprintf("rotate key %d of %s to a spare hardware key", i+1, p), rot(k, next()))
		}
	}
	for _, p := range corpusPerms {
		add("add a spare key to "+p, addKey(p, next(), 1))
		add("add a weight-2 spare key to "+p, addKey(p, next(), 2))
	}
	add("owner threshold 1", thr("owner", 1))
	add("owner threshold 3", thr("owner", 3))
	add("active threshold 2", thr("active", 2))
	add("active threshold 3", thr("active", 3))
	for _, p := range corpusPerms {
		add("add dave@active to "+p, addAcc(p, "dave@active", 1))
		add("add deepc@active (five levels) to "+p, addAcc(p, "deepc@active", 1))
	}
	add("add carol@active to owner", addAcc("owner", "carol@active", 1))
	add("add carol@active to claim", addAcc("claim", "carol@active", 1))
	add("add carol@active to rotate", addAcc("rotate", "carol@active", 2))
	for i, k := range permKeys("owner") {
		add(fmt.Sprintf("owner drops key %d of three", i+1), rmKey("owner", k))
	}
	add("active drops alice's key", rmKey("active", kAliceActive))
	add("active drops bob's key", rmKey("active", kBobActive))
	add("active drops carol@active", rmAcc("active", "carol@active"))
	for i, action := range []string{"eosio::voteproducer", "eosio.token::transfer", "eosio::buyram", "eosio::delegatebw", "eosio.msig::approve", "eosio::refund"} {
		name := "custom" + string(rune('a'+i))
		add("create "+name+" for "+action, create(name, "active"), addKey(name, next(), 1), link(name, action))
	}
	add("nested custom permissions", create("ops", "active"), addKey("ops", kDave, 1), create("ops2", "ops"), addKey("ops2", kCarol, 1), link("ops2", "eosio::voteproducer"))
	add("recovery permission under owner", create("recovery", "owner"), addKey("recovery", kCarolOwner, 1), addKey("recovery", kAliceOwner, 1), thr("recovery", 2))
	add("delete claim", del("claim"))
	add("delete rotate", del("rotate"))
	add("claimrewards back to active", link("active", "eosio::claimrewards"))
	add("unlink claimrewards", unlink("eosio::claimrewards"))
	add("voteproducer to claim", link("claim", "eosio::voteproducer"))
	add("voteproducer to eosio.any", link(permissions.Any, "eosio::voteproducer"))
	add("unlink unregprod", unlink("eosio::unregprod"))
	add("producer template with eosio.bpay", permissions.ProducerTemplate(nil, nil, true))
	add("producer template with a new claim key", permissions.Edit{Op: permissions.OpTemplate, Template: permissions.TemplateProducer, ClaimKeys: []string{spare(15).PublicKey().String()}, BPay: true})
	add("rotate, add and raise together", rot(kAliceActive, spare(14)), addKey("claim", kDave, 1), thr("owner", 3))
	add("rotate every owner key", rot(kAliceOwner, spare(13)), rot(kBobOwner, spare(12)), rot(kCarolOwner, spare(11)))
	add("replace a claim key through the team's software keys and a hardware one", addKey("claim", soft(0), 1))
	return out
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
	if len(cases) < 50 {
		t.Fatalf("only %d dangerous plans", len(cases))
	}
	w, tm := world(), loadTeam(t)
	for i := range cases {
		cases[i].name = fmt.Sprintf("%02d %s", i+1, cases[i].name)
	}
	checkUnique(t, cases)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := permissions.NewPlan(base(), c.edits, tm.Label)
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			fs := policies.CheckPlan(p, w, tm, nil)
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
	if len(cases) < 50 {
		t.Fatalf("only %d safe plans", len(cases))
	}
	w, tm := world(), loadTeam(t)
	checkUnique(t, cases)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := permissions.NewPlan(base(), c.edits, tm.Label)
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			if len(p.Actions) == 0 {
				t.Fatal("no actions")
			}
			if fs := policies.CheckPlan(p, w, tm, nil); policies.HasErrors(fs) {
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
