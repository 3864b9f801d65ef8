package permissions

import (
	"encoding/hex"
	"slices"
	"testing"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func powerAccount() *Account {
	a := &Account{Name: "bp", Permissions: []Permission{
		{Name: Owner, Auth: keysAuth(1, key("o"))},
		{Name: Active, Parent: Owner, Auth: keysAuth(1, key("a"))},
		{Name: "claim", Parent: Active, Auth: keysAuth(1, key("c")), Links: []Link{{"eosio", "claimrewards"}}},
		{Name: "ops", Parent: Active, Auth: keysAuth(1, key("p")), Links: []Link{{"eosio.token", ""}}},
		{Name: "sub", Parent: "ops", Auth: keysAuth(1, key("s")), Links: []Link{{"eosio", "delegatebw"}}},
		{Name: "rotate", Parent: Active, Auth: keysAuth(1, key("r")), Links: []Link{{"eosio", "regproducer"}, {"eosio", "unregprod"}}},
	}, AnyLinks: []Link{{"eosio.msig", "approve"}}}
	a.Normalize()
	return a
}

// What a permission can run follows nodeos's lookup_minimum_permission:
// its own links, contract-wide links, eosio.any, and everything linked
// below it (a permission satisfies its descendants).
func TestCanRunAndPowers(t *testing.T) {
	a := powerAccount()
	for _, tc := range []struct {
		perm, action string
		want         bool
	}{
		{"claim", "eosio::claimrewards", true},
		{"claim", "eosio::delegatebw", false},
		{"claim", "eosio.msig::approve", true}, // eosio.any
		{"ops", "eosio.token::transfer", true}, // contract-wide link
		{"ops", "eosio.token::issue", true},
		{"ops", "eosio::delegatebw", true}, // linked to its child sub
		{"sub", "eosio.token::transfer", false},
		{"sub", "eosio::delegatebw", true},
		{"active", "eosio::setcode", true}, // unlinked: active
		{"rotate", "eosio::setcode", false},
		{"owner", "eosio::regproducer", true}, // parent fallback to the top
		{"nosuch", "eosio::regproducer", false},
	} {
		l, err := ParseLink(tc.action)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.CanRun(tc.perm, l); got != tc.want {
			t.Errorf("%s can run %s: %v, want %v", tc.perm, tc.action, got, tc.want)
		}
	}
	for _, tc := range []struct {
		perm string
		want []Power
	}{
		{Owner, AllPowers},
		{Active, AllPowers},
		{"claim", []Power{PowerApprove}},
		{"ops", []Power{PowerFunds, PowerApprove}},
		{"rotate", []Power{PowerApprove, PowerBlockKey}},
	} {
		if got := a.PowersOf(tc.perm); !slices.Equal(got, tc.want) {
			t.Errorf("powers of %s: %v, want %v", tc.perm, got, tc.want)
		}
	}
	if v := a.PowerVia("ops", PowerFunds); v != "eosio.token::transfer, through the contract-wide link eosio.token::* on ops" {
		t.Errorf("via: %q", v)
	}
	if v := a.PowerVia("claim", PowerApprove); v != "eosio.msig::approve, linked to eosio.any" {
		t.Errorf("via: %q", v)
	}
	// limitauthchg: active may change authorities only when allowed.
	for _, tc := range []struct {
		limit *AuthChangeLimit
		want  bool
	}{
		{nil, true},
		{&AuthChangeLimit{Allow: []string{Owner, Active}}, true},
		{&AuthChangeLimit{Allow: []string{Owner}}, false},
		{&AuthChangeLimit{Disallow: []string{Active}}, false},
		{&AuthChangeLimit{Disallow: []string{"claim"}}, true},
	} {
		a.AuthChange = tc.limit
		if got := slices.Contains(a.PowersOf(Active), PowerAuth); got != tc.want {
			t.Errorf("limit %+v: active changes auth %v, want %v", tc.limit, got, tc.want)
		}
		if !slices.Contains(a.PowersOf(Owner), PowerAuth) {
			t.Errorf("limit %+v: owner cannot change auth", tc.limit)
		}
	}
}

// Holder sets: a level with a holder of its own (a member's account) is
// counted as that holder, not followed.
func TestHolderSetsWithLevels(t *testing.T) {
	bp := &Account{Name: "bp", Permissions: []Permission{
		{Name: Owner, Auth: acctAuth(2, "alice@active", "bob@active", "carol@active")},
		{Name: Active, Parent: Owner, Auth: acctAuth(1, "alice@active")},
	}}
	bp.Normalize()
	w := NewWorld(bp, simple("alice", key("alice")), simple("bob", key("bob")), simple("carol", key("carol")))
	h := Holders{Level: func(l Level) (string, bool) {
		if l.Actor == "alice" || l.Actor == "bob" {
			return l.Actor, true
		}
		return "", false
	}}
	sets, _ := w.HolderSets(Level{"bp", Owner}, h, 0)
	want := [][]string{{"alice", "bob"}, {"alice", UnheldPrefix + key("carol").String()}, {"bob", UnheldPrefix + key("carol").String()}}
	if !equalSets(sets, want) {
		t.Fatalf("sets %v, want %v", sets, want)
	}
	if sets, _ := w.HolderSets(Level{"bp", Active}, h, 0); !equalSets(sets, [][]string{{"alice"}}) {
		t.Fatalf("active sets %v", sets)
	}
}

// Under limitauthchg every native action names authorized_by, and owner
// declares where active may not authorize.
func TestPlanUnderLimitAuthChg(t *testing.T) {
	for _, tc := range []struct {
		limit   *AuthChangeLimit
		by      string
		hasBy   bool
		declare string
	}{
		{nil, "", false, Active},
		{&AuthChangeLimit{Allow: []string{Owner, Active}}, Active, true, Active},
		{&AuthChangeLimit{Allow: []string{Owner}}, Owner, true, Owner},
	} {
		a := powerAccount()
		a.AuthChange = tc.limit
		p, err := NewPlan(a, []Edit{{Op: OpAddKey, Permission: "claim", Key: r1("new").String(), Weight: 1}, {Op: OpLink, Permission: "claim", Action: "eosio::voteproducer"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Actions) != 2 {
			t.Fatalf("%d actions", len(p.Actions))
		}
		for _, act := range p.Actions {
			if got := act.Authorization[0].Permission; got != tc.declare {
				t.Errorf("limit %+v: %s declares %s, want %s", tc.limit, act.Name, got, tc.declare)
			}
			data := mustHex(t, act.HexData)
			var by string
			var hasBy bool
			switch act.Name {
			case "updateauth":
				v, ok, err := contracts.DecodeUpdateAuth(data)
				if err != nil {
					t.Fatal(err)
				}
				by, hasBy = string(v.AuthorizedBy), ok
			case "linkauth":
				v, ok, err := contracts.DecodeLinkAuth(data)
				if err != nil {
					t.Fatal(err)
				}
				by, hasBy = string(v.AuthorizedBy), ok
			}
			if by != tc.by || hasBy != tc.hasBy {
				t.Errorf("limit %+v: %s authorized_by %q (%v), want %q (%v)", tc.limit, act.Name, by, hasBy, tc.by, tc.hasBy)
			}
		}
		// The plan file keeps the setting and verifies.
		b, err := MarshalPlan(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := UnmarshalPlan(b)
		if err != nil {
			t.Fatal(err)
		}
		if (q.Before.AuthChange == nil) != (tc.limit == nil) {
			t.Fatalf("the plan file lost the limitauthchg setting")
		}
	}
	// A proposal's limitauthchg applies to the model.
	a := powerAccount()
	data := contracts.MustEncode(contracts.LimitAuthChg{Account: "bp", AllowPerms: nil, DisallowPerms: []eos.Name{"claim"}})
	if err := a.ApplyNative("limitauthchg", data); err != nil {
		t.Fatal(err)
	}
	if a.AuthChange == nil || !slices.Equal(a.AuthChange.Disallow, []string{"claim"}) || a.AuthChange.MayAuthorize("claim") {
		t.Fatalf("after limitauthchg: %+v", a.AuthChange)
	}
	if acct, ok, err := NativeTarget("limitauthchg", data); acct != "bp" || !ok || err != nil {
		t.Fatalf("target %q %v %v", acct, ok, err)
	}
}
