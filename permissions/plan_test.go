package permissions

import (
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
)

func mustEdit(t testing.TB, parse func(string) (Edit, error), s string) Edit {
	t.Helper()
	e, err := parse(s)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return e
}

func producerAccount() *Account {
	a := &Account{Name: "bpteam", Permissions: []Permission{
		{Name: Owner, Auth: keysAuth(2, key("o1"), r1("o2"), key("o3"))},
		{Name: Active, Parent: Owner, Auth: keysAuth(1, r1("a1"), key("a2"))},
		{Name: "claim", Parent: Active, Auth: keysAuth(1, r1("c1")), Links: []Link{{"eosio", "claimrewards"}}},
	}}
	a.Normalize()
	return a
}

func summaries(p *Plan) []string {
	var out []string
	for _, a := range p.Actions {
		out = append(out, a.Name+" "+a.Authorization[0].Permission+" "+a.Summary)
	}
	return out
}

func TestPlanActions(t *testing.T) {
	before := producerAccount()
	for _, tc := range []struct {
		name  string
		edits []Edit
		want  []string
	}{
		{"rotate active key", []Edit{mustEdit(t, ParseRotate, key("a2").String()+"="+key("a9").String())},
			[]string{"updateauth active update bpteam@active (parent owner)"}},
		{"rotate owner key", []Edit{mustEdit(t, ParseRotate, key("o1").String()+"="+key("o9").String())},
			[]string{"updateauth owner update bpteam@owner"}},
		{"threshold", []Edit{mustEdit(t, ParseThreshold, "owner=3")},
			[]string{"updateauth owner update bpteam@owner"}},
		{"create and link", []Edit{mustEdit(t, ParseCreate, "vote:active"), mustEdit(t, ParseAddKey, "vote="+key("v").String()), mustEdit(t, ParseLinkEdit, "vote=eosio::voteproducer")},
			[]string{"updateauth active create bpteam@vote (parent active)", "linkauth active link eosio::voteproducer to bpteam@vote"}},
		{"create under owner needs owner", []Edit{mustEdit(t, ParseCreate, "recovery:owner"), mustEdit(t, ParseAddKey, "recovery="+key("r").String())},
			[]string{"updateauth owner create bpteam@recovery (parent owner)"}},
		{"delete linked: unlink first", []Edit{mustEdit(t, ParseDelete, "claim")},
			[]string{"unlinkauth active unlink eosio::claimrewards (was bpteam@claim)", "deleteauth active delete bpteam@claim"}},
		{"move a link", []Edit{mustEdit(t, ParseLinkEdit, "active=eosio::claimrewards")},
			[]string{"linkauth active link eosio::claimrewards to bpteam@active"}},
		{"unlink", []Edit{mustEdit(t, ParseUnlink, "eosio::claimrewards")},
			[]string{"unlinkauth active unlink eosio::claimrewards (was bpteam@claim)"}},
		{"producer template", []Edit{ProducerTemplate(nil, []signer.PublicKey{r1("rot")}, true)},
			[]string{
				"updateauth active create bpteam@rotate (parent active)",
				"linkauth active link eosio::regproducer to bpteam@rotate",
				"linkauth active link eosio::regproducer2 to bpteam@rotate",
				"linkauth active link eosio::unregprod to bpteam@rotate",
				"linkauth active link eosio.bpay::claimrewards to bpteam@claim",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPlan(before, tc.edits, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := summaries(p); !slices.Equal(got, tc.want) {
				t.Fatalf("actions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if len(p.Findings) != 0 {
				t.Fatalf("findings: %v", p.Findings)
			}
			// Round trip through JSON and Verify.
			b, err := MarshalPlan(p)
			if err != nil {
				t.Fatal(err)
			}
			q, err := UnmarshalPlan(b)
			if err != nil {
				t.Fatal(err)
			}
			if !q.After.Equal(p.After) || len(q.Actions) != len(p.Actions) {
				t.Fatal("round trip changed the plan")
			}
		})
	}
}

func TestPlanStagesNestedCreate(t *testing.T) {
	p, err := NewPlan(producerAccount(), []Edit{
		mustEdit(t, ParseCreate, "ops:active"), mustEdit(t, ParseAddKey, "ops="+key("ops").String()),
		mustEdit(t, ParseCreate, "ops2:ops"), mustEdit(t, ParseAddKey, "ops2="+key("ops2").String()),
		mustEdit(t, ParseLinkEdit, "ops2=eosio::voteproducer"),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := p.Stages()
	if len(st) != 2 || len(st[0]) != 1 || st[0][0].Summary != "create bpteam@ops (parent active)" || st[1][0].Summary != "create bpteam@ops2 (parent ops)" || st[1][1].Name != "linkauth" {
		t.Fatalf("stages: %+v", st)
	}
}

func TestPlanEditErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits []Edit
		want  string
	}{
		{"nothing", nil, "nothing to change"},
		{"rotate absent key", []Edit{{Op: OpRotate, Key: key("zz").String(), NewKey: key("yy").String()}}, "no permission of bpteam has the key"},
		{"remove absent key", []Edit{{Op: OpRemoveKey, Permission: "active", Key: key("zz").String()}}, "does not have this key"},
		{"unknown permission", []Edit{{Op: OpThreshold, Permission: "nope", Threshold: 1}}, `no permission "nope"`},
		{"delete owner", []Edit{{Op: OpDelete, Permission: "owner"}}, "never deletes owner"},
		{"delete with children", []Edit{{Op: OpDelete, Permission: "active"}}, "never deletes active"},
		{"create existing", []Edit{{Op: OpCreate, Permission: "claim", Parent: "active"}}, "already exists"},
		{"create reserved", []Edit{{Op: OpCreate, Permission: "eosio.x", Parent: "active"}}, "reserved"},
		{"unlink absent", []Edit{{Op: OpUnlink, Action: "eosio::buyram"}}, "is not linked"},
		{"duplicate add", []Edit{{Op: OpAddKey, Permission: "active", Key: key("a2").String()}}, "already has this key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewPlan(producerAccount(), tc.edits, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := ParseAddKey("active=5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3"); err == nil || !strings.Contains(err.Error(), "never handles private keys") {
		t.Fatalf("private key: %v", err)
	}
	if _, err := ParseThreshold("owner=0"); err == nil {
		t.Fatal("zero threshold accepted")
	}
}

func TestPlanVerifyRefusesTampering(t *testing.T) {
	p, err := NewPlan(producerAccount(), []Edit{mustEdit(t, ParseAddKey, "claim="+key("c2").String())}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := MarshalPlan(p)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	acts := m["actions"].([]any)
	acts[0].(map[string]any)["hex_data"] = strings.Repeat("00", 10)
	bad, _ := json.Marshal(m)
	if _, err := UnmarshalPlan(bad); err == nil || !strings.Contains(err.Error(), "not what its edits produce") {
		t.Fatalf("tampered hex: %v", err)
	}
	m["actions"] = acts[:0]
	bad, _ = json.Marshal(m)
	if _, err := UnmarshalPlan(bad); err == nil {
		t.Fatal("missing actions accepted")
	}
}

// Every authority a plan writes is normalized exactly as nodeos demands
// and decodes back to the planned authority.
func TestPlanAuthoritiesNormalized(t *testing.T) {
	before := producerAccount()
	edits := []Edit{
		{Op: OpAddKey, Permission: "active", Key: r1("zz").String(), Weight: 1},
		{Op: OpAddKey, Permission: "active", Key: key("aa").String(), Weight: 2},
		{Op: OpAddAccount, Permission: "active", Level: "zeta@active", Weight: 1},
		{Op: OpAddAccount, Permission: "active", Level: "alpha@owner", Weight: 1},
		{Op: OpAddAccount, Permission: "active", Level: "alpha@active", Weight: 1},
		{Op: OpAddAccount, Permission: "active", Level: "a1.x@active", Weight: 1},
	}
	p, err := NewPlan(before, edits, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := hex.DecodeString(p.Actions[0].HexData)
	u, _, err := contracts.DecodeUpdateAuth(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := contracts.ValidateAuthority(u.Auth); err != nil {
		t.Fatal(err)
	}
	var levels []string
	for _, a := range u.Auth.Accounts {
		levels = append(levels, string(a.Permission.Actor)+"@"+string(a.Permission.Permission))
	}
	if want := []string{"a1.x@active", "alpha@active", "alpha@owner", "zeta@active"}; !slices.Equal(levels, want) {
		t.Fatalf("accounts %v", levels)
	}
	for i := 1; i < len(u.Auth.Keys); i++ {
		x, _ := signer.PublicKeyFromECC(u.Auth.Keys[i-1].PublicKey)
		y, _ := signer.PublicKeyFromECC(u.Auth.Keys[i].PublicKey)
		if signer.Compare(x, y) >= 0 {
			t.Fatal("keys not sorted")
		}
	}
	if u.Auth.Keys[0].PublicKey.Curve != 0 || u.Auth.Keys[len(u.Auth.Keys)-1].PublicKey.Curve != 1 {
		t.Fatal("K1 keys must come before R1")
	}
	a, err := p.Actions[0].EOS()
	if err != nil || a.Account != eos.AccountName("eosio") || a.Name != "updateauth" {
		t.Fatalf("EOS(): %v %v", a, err)
	}
}

func TestDiff(t *testing.T) {
	p, err := NewPlan(producerAccount(), []Edit{
		mustEdit(t, ParseThreshold, "owner=3"),
		mustEdit(t, ParseRemoveKey, "active="+key("a2").String()),
		mustEdit(t, ParseAddKey, "active="+key("a3").String()+":2"),
		mustEdit(t, ParseDelete, "claim"),
	}, func(k signer.PublicKey) string {
		if k == key("a3") {
			return "carol's YubiKey 1 slot 9c"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(p.Diff, "\n")
	for _, want := range []string{"~ owner", "~ threshold 2 -> 3", "- key " + key("a2").String(), "+ key " + key("a3").String() + " weight 2  (carol's YubiKey 1 slot 9c)", "- claim  threshold 1, parent active", "- link eosio::claimrewards (was claim)"} {
		if !strings.Contains(got, want) {
			t.Errorf("diff lacks %q:\n%s", want, got)
		}
	}
}

func TestParseAuthorityJSON(t *testing.T) {
	good := `{"threshold":2,"keys":[{"key":"` + key("b").Legacy() + `","weight":1},{"key":"` + key("a").String() + `","weight":1}],"accounts":[{"permission":{"actor":"bob","permission":"active"},"weight":1}],"waits":[]}`
	au, err := ParseAuthorityJSON([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(au.Keys) != 2 || signer.Compare(au.Keys[0].Key, au.Keys[1].Key) >= 0 {
		t.Fatal("not normalized")
	}
	for _, bad := range []string{
		`{"threshold":0,"keys":[],"accounts":[],"waits":[]}`,
		`{"threshold":3,"keys":[{"key":"` + key("a").String() + `","weight":1}]}`,
		`{"threshold":1,"keys":[{"key":"` + key("a").String() + `","weight":1},{"key":"` + key("a").Legacy() + `","weight":1}]}`,
		`{"threshold":1,"extra":1}`,
		`{"threshold":1,"keys":[{"key":"5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3","weight":1}]}`,
		`{"threshold":1,"accounts":[{"permission":{"actor":"BAD","permission":"active"},"weight":1}]}`,
		`{"threshold":1} {}`,
	} {
		if _, err := ParseAuthorityJSON([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestInvalidNamesRefused(t *testing.T) {
	for _, e := range []Edit{
		{Op: OpCreate, Permission: "custom6", Parent: "active"},
		{Op: OpCreate, Permission: "Upper", Parent: "active"},
		{Op: OpLink, Permission: "claim", Action: "eosio::claim6"},
		{Op: OpAddAccount, Permission: "active", Level: "bad6@active"},
	} {
		if _, err := NewPlan(producerAccount(), []Edit{e}, nil); err == nil {
			t.Errorf("%s accepted", e)
		}
	}
}
