package permissions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

var update = flag.Bool("update", false, "rewrite golden files")

func key(seed string) signer.PublicKey {
	return testsigner.FromSeed(signer.CurveK1, seed).PublicKey()
}

func r1(seed string) signer.PublicKey {
	return testsigner.FromSeed(signer.CurveR1, seed).PublicKey()
}

func keysAuth(threshold uint32, keys ...signer.PublicKey) Authority {
	au := Authority{Threshold: threshold}
	for _, k := range keys {
		au.Keys = append(au.Keys, KeyWeight{Key: k, Weight: 1})
	}
	au.Normalize()
	return au
}

func acctAuth(threshold uint32, levels ...string) Authority {
	au := Authority{Threshold: threshold}
	for _, s := range levels {
		l, err := ParseLevel(s)
		if err != nil {
			panic(err)
		}
		au.Accounts = append(au.Accounts, AccountWeight{Permission: l, Weight: 1})
	}
	au.Normalize()
	return au
}

func simple(name string, k signer.PublicKey) *Account {
	a := &Account{Name: name, Permissions: []Permission{
		{Name: Owner, Auth: keysAuth(1, k)},
		{Name: Active, Parent: Owner, Auth: keysAuth(1, k)},
	}}
	a.Normalize()
	return a
}

func loadFixture(t testing.TB, name string) *Account {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		JSON json.RawMessage `json:"json"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	a, err := ParseAccountJSON(rec.JSON)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return a
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update once)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestNoticeKept(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "NOTICE.md"))
	if err != nil || !bytes.Contains(b, []byte("BSD-3-Clause")) || !bytes.Contains(b, []byte("MILITARY FACILITY")) {
		t.Fatal("testdata/NOTICE.md must keep the recordings' licence notice")
	}
}

func TestRenderRealAccounts(t *testing.T) {
	for _, tc := range []struct{ fixture, golden string }{
		{"get_account.eos.teamgreymass.json", "teamgreymass.tree.golden"},
		{"get_account.jungle4.eosio.json", "jungle4.eosio.tree.golden"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			a := loadFixture(t, tc.fixture)
			label := func(k signer.PublicKey) string {
				if k.Legacy() == "EOS6DLD9HxMcwn73U41jjdGsNe9vDFRKB26um6qTAqrtYcJFtED4C" {
					return "claimbot's HSM bp/claim"
				}
				return ""
			}
			var buf bytes.Buffer
			if err := Render(&buf, a, label); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.golden, buf.Bytes())
		})
	}
}

func TestTreeOrderAndShape(t *testing.T) {
	a := loadFixture(t, "get_account.eos.teamgreymass.json")
	var names []string
	for _, p := range a.Permissions {
		names = append(names, p.Name)
	}
	want := []string{"owner", "active", "claim", "decentium", "killswitch", "oracle", "producerjson", "transfer", "vote", "voting"}
	if !slices.Equal(names, want) {
		t.Fatalf("order %v, want %v", names, want)
	}
	if a.Depth("claim") != 2 || a.Depth("owner") != 0 || !a.IsUnder("claim", Active) || a.IsUnder(Active, "claim") {
		t.Fatal("depth/ancestry wrong")
	}
}

func TestLinkedActionsResolve(t *testing.T) {
	a := loadFixture(t, "get_account.eos.teamgreymass.json")
	for _, tc := range []struct {
		contract, action, want string
	}{
		{"eosio", "claimrewards", "claim"},
		{"eosio", "unregprod", "killswitch"},
		{"eosio", "voteproducer", "vote"},
		{"eosio", "regproducer", "active"}, // no link: active
		{"eosio.token", "transfer", "transfer"},
		{"eosio.token", "open", "active"},
		{"decentiumorg", "post", "decentium"}, // whole-contract link
		{"decentiumorg", "anything", "decentium"},
		{"eosio.forum", "unvote", "voting"},
		{"delphioracle", "write", "oracle"},
		{"producerjson", "set", "producerjson"},
		{"producerjson", "del", "active"},
	} {
		got, any := a.MinimumPermission(tc.contract, tc.action)
		if got != tc.want || any {
			t.Errorf("%s::%s needs %q (any %v), want %q", tc.contract, tc.action, got, any, tc.want)
		}
	}
	b := a.Clone()
	b.AnyLinks = []Link{{"eosio", "buyram"}}
	if p, any := b.MinimumPermission("eosio", "buyram"); !any || p != "" {
		t.Fatalf("eosio.any link: %q %v", p, any)
	}
}

// Hand-checked: teamgreymass's owner key holder can do everything alone,
// the active key holder everything but owner, each custom key holder
// only what is linked to their permission.
func TestWhoCanDoWhatTeamgreymass(t *testing.T) {
	a := loadFixture(t, "get_account.eos.teamgreymass.json")
	holders := map[string]string{
		"EOS8QzGtCea2thiqcTVeXGdyRZpdKYptQznbcWSMj73FD5RgwKN82": "olga",  // owner
		"EOS6gqJ7sdPgjHLFLtks9cRPs5qYHa9U3CwK4P2JasTLWKQ9kXZK1": "alice", // active
		"EOS6DLD9HxMcwn73U41jjdGsNe9vDFRKB26um6qTAqrtYcJFtED4C": "bob",   // claim
		"EOS7CjC7GL71msPzAuAzd2WwiBEAzTcPL47ACrjSuiNmnnGGufYSn": "bob",   // killswitch
	}
	holderOf := func(k signer.PublicKey) (string, bool) { h, ok := holders[k.Legacy()]; return h, ok }
	p, err := WhoCanDoWhat(NewWorld(a), "teamgreymass", holderOf, []string{"olga", "alice", "bob", "carol"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]MemberPower{}
	for _, m := range p.Members {
		byName[m.Member] = m
	}
	if got := len(byName["olga"].Alone); got != len(p.Capabilities) {
		t.Errorf("olga (owner) can do %d of %d capabilities alone", got, len(p.Capabilities))
	}
	if slices.Contains(byName["alice"].Alone, "owner") || !slices.Contains(byName["alice"].Alone, "active") || !slices.Contains(byName["alice"].Alone, "eosio::claimrewards") || !slices.Contains(byName["alice"].Alone, "decentiumorg::*") {
		t.Errorf("alice (active): %v", byName["alice"].Alone)
	}
	if want := []string{"eosio::claimrewards", "eosio::unregprod"}; !slices.Equal(byName["bob"].Alone, want) {
		t.Errorf("bob (claim, killswitch): %v, want %v", byName["bob"].Alone, want)
	}
	if len(byName["carol"].Alone) != 0 || len(byName["carol"].With) != 0 {
		t.Errorf("carol holds nothing: %+v", byName["carol"])
	}
	for _, c := range p.Capabilities {
		if c.Name == "eosio::voteproducer" {
			want := [][]string{{"alice"}, {"olga"}, {UnheldPrefix + legacy(t, "EOS65NrHPVXaV4voxepQREmYCmnMJm4tAWdxPaK46CbUN1rrVmRzg")}}
			if !equalSets(c.Sets, want) {
				t.Errorf("voteproducer sets %v, want %v", c.Sets, want)
			}
		}
	}
}

// legacy returns the PUB_K1_ form of an EOS... key.
func legacy(t *testing.T, s string) string {
	t.Helper()
	k, err := signer.ParsePublicKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k.String()
}

func equalSets(a, b [][]string) bool {
	norm := func(x [][]string) []string {
		var out []string
		for _, s := range x {
			out = append(out, strings.Join(s, "+"))
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(norm(a), norm(b))
}

// Jungle 4's eosio: active is held by two accounts, not keys.
func TestWhoCanDoWhatAccountLevels(t *testing.T) {
	a := loadFixture(t, "get_account.jungle4.eosio.json")
	p, err := WhoCanDoWhat(NewWorld(a), "eosio", nil, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	active := p.Capabilities[1]
	want := [][]string{{"eosio.prods@active"}, {"lioninjungle@active"}, {UnheldPrefix + legacy(t, "EOS5UAjunGLeR6eBfbpU4CxGssxa9DKKjbPA4zrCuUpoJQwvdpACs")}}
	if active.Name != "active" || !equalSets(active.Sets, want) {
		t.Fatalf("active: %+v", active)
	}
	// With eosio.prods loaded as a 2-of-3 of producers holding keys.
	prods := &Account{Name: "eosio.prods", Permissions: []Permission{
		{Name: Owner, Auth: keysAuth(1, key("x"))},
		{Name: Active, Parent: Owner, Auth: acctAuth(2, "prod1@active", "prod2@active", "prod3@active")},
	}}
	w := NewWorld(a, prods, simple("prod1", key("p1")), simple("prod2", key("p2")), simple("prod3", key("p3")))
	w.MarkMissing("lioninjungle")
	sets, trunc := w.MinimalSets(Level{"eosio", Active}, 0)
	if trunc || len(sets) != 3 {
		t.Fatalf("sets %v (truncated %v)", sets, trunc)
	}
	for _, s := range sets {
		if len(s) != 2 {
			t.Errorf("set %v: want two producer keys", s)
		}
	}
	if !w.Satisfied(Level{"eosio", Active}, []signer.PublicKey{key("p1"), key("p3")}) || w.Satisfied(Level{"eosio", Active}, []signer.PublicKey{key("p1")}) {
		t.Fatal("2-of-3 producers")
	}
	if !w.Satisfied(Level{"eosio", Active}, nil, Level{"eosio.prods", Active}) {
		t.Fatal("a provided level satisfies")
	}
}

func chainWorld(n int) *World {
	// acct1@active -> acct2@active -> ... -> acctN@active holds key "deep".
	w := NewWorld()
	for i := 1; i <= n; i++ {
		name := "acct" + string(rune('a'+i-1))
		var act Authority
		if i < n {
			act = acctAuth(1, "acct"+string(rune('a'+i))+"@active")
		} else {
			act = keysAuth(1, key("deep"))
		}
		a := &Account{Name: name, Permissions: []Permission{{Name: Owner, Auth: keysAuth(1, key("other"))}, {Name: Active, Parent: Owner, Auth: act}}}
		a.Normalize()
		w.Add(a)
	}
	return w
}

func TestSatisfy(t *testing.T) {
	ka, kb, kc := key("a"), r1("b"), key("c")
	acct := &Account{Name: "bp", Permissions: []Permission{
		{Name: Owner, Auth: Authority{Threshold: 3, Keys: []KeyWeight{{Key: ka, Weight: 2}, {Key: kb, Weight: 1}, {Key: kc, Weight: 1}}}},
		{Name: Active, Parent: Owner, Auth: Authority{Threshold: 2, Keys: []KeyWeight{{Key: ka, Weight: 1}}, Accounts: []AccountWeight{{Permission: Level{"bp", "claim"}, Weight: 1}}, Waits: []WaitWeight{{WaitSec: 3600, Weight: 1}}}},
		{Name: "claim", Parent: Active, Auth: keysAuth(1, kb)},
		{Name: "loop", Parent: Active, Auth: acctAuth(1, "bp@loop2")},
		{Name: "loop2", Parent: Active, Auth: Authority{Threshold: 1, Accounts: []AccountWeight{{Permission: Level{"bp", "loop"}, Weight: 1}}, Keys: []KeyWeight{{Key: kc, Weight: 1}}}},
	}}
	acct.Normalize()
	w := NewWorld(acct)
	for _, tc := range []struct {
		name string
		perm string
		keys []signer.PublicKey
		want bool
	}{
		{"owner weights 2+1", Owner, []signer.PublicKey{ka, kb}, true},
		{"owner 1+1 short", Owner, []signer.PublicKey{kb, kc}, false},
		{"owner all", Owner, []signer.PublicKey{ka, kb, kc}, true},
		{"active key and nested claim", Active, []signer.PublicKey{ka, kb}, true},
		{"active: waits never count", Active, []signer.PublicKey{ka}, false},
		{"claim", "claim", []signer.PublicKey{kb}, true},
		{"cycle with escape key", "loop", []signer.PublicKey{kc}, true},
		{"cycle without key", "loop", []signer.PublicKey{ka, kb}, false},
		{"unknown permission", "nope", []signer.PublicKey{ka, kb, kc}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := w.Satisfied(Level{"bp", tc.perm}, tc.keys); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	c := w.Satisfy(Level{"bp", "loop"}, Provided{Keys: []signer.PublicKey{ka}})
	if c.Satisfied || !c.Cycle {
		t.Fatalf("loop: %+v", c)
	}
	// Used keys: only what nodeos would count (owner: ka weight 2 first, then one of the 1s).
	c = w.Satisfy(Level{"bp", Owner}, Provided{Keys: []signer.PublicKey{ka, kb, kc}})
	if len(c.UsedKeys) != 2 || c.UsedKeys[0] != ka {
		t.Fatalf("used keys %v", c.UsedKeys)
	}
}

func TestDepthLimit(t *testing.T) {
	// a level at the end of a chain of 6 accounts (5 nested account
	// levels) is the deepest nodeos follows; 7 is too deep.
	for n, want := range map[int]bool{5: true, 6: true, 7: false} {
		w := chainWorld(n)
		c := w.Satisfy(Level{"accta", Active}, Provided{Keys: []signer.PublicKey{key("deep")}})
		if c.Satisfied != want || (!want && !c.DepthLimited) {
			t.Errorf("chain of %d: %+v, want satisfied %v", n, c, want)
		}
		sets, _ := w.MinimalSets(Level{"accta", Active}, 0)
		if (len(sets) == 1) != want {
			t.Errorf("chain of %d: minimal sets %v", n, sets)
		}
	}
}

func TestLoadWorld(t *testing.T) {
	full := chainWorld(8)
	var fetched []string
	fetch := func(_ context.Context, name string) (*Account, error) {
		fetched = append(fetched, name)
		if a := full.Account(name); a != nil {
			return a, nil
		}
		return nil, fmt.Errorf("get_account %s: %w", name, ErrNoAccount)
	}
	w, err := LoadWorld(t.Context(), fetch, full.Account("accta"))
	if err != nil {
		t.Fatal(err)
	}
	// accta (root) + 5 levels fetched: acctb..acctf; acctg would be past the depth.
	if want := []string{"acctb", "acctc", "acctd", "accte", "acctf"}; !slices.Equal(fetched, want) {
		t.Fatalf("fetched %v, want %v", fetched, want)
	}
	if w.Account("acctf") == nil || w.Account("acctg") != nil {
		t.Fatal("world contents")
	}
	// A missing account is recorded, another error ends the load.
	orphan := simple("orphan", key("o"))
	orphan.Permissions[1].Auth = acctAuth(1, "ghost@active", "acctb@active")
	w, err = LoadWorld(t.Context(), fetch, orphan)
	if err != nil {
		t.Fatal(err)
	}
	if exists, known := w.Exists(Level{"ghost", Active}); exists || !known {
		t.Fatal("ghost should be known missing")
	}
	_, err = LoadWorld(t.Context(), func(context.Context, string) (*Account, error) { return nil, errors.New("endpoint down") }, orphan)
	if err == nil || !strings.Contains(err.Error(), "endpoint down") {
		t.Fatalf("error: %v", err)
	}
}

func TestMinimalSets(t *testing.T) {
	a := &Account{Name: "team", Permissions: []Permission{
		{Name: Owner, Auth: keysAuth(2, key("1"), key("2"), key("3"))},
		{Name: Active, Parent: Owner, Auth: Authority{Threshold: 3, Keys: []KeyWeight{{Key: key("1"), Weight: 3}, {Key: key("2"), Weight: 1}, {Key: key("3"), Weight: 2}}}},
	}}
	a.Normalize()
	w := NewWorld(a)
	sets, _ := w.MinimalSets(Level{"team", Owner}, 0)
	if len(sets) != 3 || len(sets[0]) != 2 {
		t.Fatalf("2-of-3: %v", sets)
	}
	sets, _ = w.MinimalSets(Level{"team", Active}, 0)
	// {1} alone (3), {2,3} (1+2)
	if len(sets) != 2 || len(sets[0]) != 1 || sets[0][0].Key != key("1") || len(sets[1]) != 2 {
		t.Fatalf("weighted: %v", sets)
	}
	// Limit.
	big := &Account{Name: "big", Permissions: []Permission{{Name: Owner, Auth: Authority{Threshold: 8}}}}
	for i := range 16 {
		big.Permissions[0].Auth.Keys = append(big.Permissions[0].Auth.Keys, KeyWeight{Key: key(string(rune('A' + i))), Weight: 1})
	}
	big.Normalize()
	sets, trunc := NewWorld(big).MinimalSets(Level{"big", Owner}, 10)
	if !trunc || len(sets) != 10 {
		t.Fatalf("limit: %d sets, truncated %v", len(sets), trunc)
	}
}
