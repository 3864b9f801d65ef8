package policies_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
)

// The producer team of the corpus: alice, bob, carol and dave hold
// hardware keys (alice, bob and carol also their own accounts); eve holds
// software keys; the claim key sits unattended in an HSM on host bp1;
// keys named "unheld" and the stranger's key are in nobody's hands.
const acct = "bpteam111111"

type teamKey struct {
	k        *testsigner.Key
	holder   string
	hardware bool
	device   string
	host     string
}

var (
	kAliceOwner  = testsigner.FromSeed(signer.CurveR1, "alice-owner")
	kBobOwner    = testsigner.FromSeed(signer.CurveR1, "bob-owner")
	kCarolOwner  = testsigner.FromSeed(signer.CurveK1, "carol-owner")
	kAliceActive = testsigner.FromSeed(signer.CurveR1, "alice-active")
	kBobActive   = testsigner.FromSeed(signer.CurveK1, "bob-active")
	kClaim       = testsigner.FromSeed(signer.CurveR1, "dave-claim")
	kRotate      = testsigner.FromSeed(signer.CurveR1, "bob-rotate")
	kCarol       = testsigner.FromSeed(signer.CurveK1, "carol-account")
	kDave        = testsigner.FromSeed(signer.CurveK1, "dave-account")
	kDeep        = testsigner.FromSeed(signer.CurveK1, "deep")
	kStranger    = testsigner.FromSeed(signer.CurveK1, "stranger")
	kOther       = testsigner.FromSeed(signer.CurveK1, "other")
	kAliceAcct   = testsigner.FromSeed(signer.CurveR1, "alice-account")
	kBobAcct     = testsigner.FromSeed(signer.CurveR1, "bob-account")
	kHost2       = testsigner.FromSeed(signer.CurveK1, "bp1-second")
	kHost3       = testsigner.FromSeed(signer.CurveR1, "bp1-third")
	kNewTeam     = testsigner.FromSeed(signer.CurveR1, "alice-newteam")
)

func spare(i int) *testsigner.Key {
	c := signer.CurveR1
	if i%2 == 1 {
		c = signer.CurveK1
	}
	return testsigner.FromSeed(c, fmt.Sprintf("spare-%d", i))
}

func soft(i int) *testsigner.Key {
	return testsigner.FromSeed(signer.CurveK1, fmt.Sprintf("eve-soft-%d", i))
}

func unheld(i int) *testsigner.Key {
	return testsigner.FromSeed(signer.CurveK1, fmt.Sprintf("unheld-%d", i))
}

var members = []string{"alice", "bob", "carol", "dave", "eve"}

func teamKeys() []teamKey {
	out := []teamKey{
		{kAliceOwner, "alice", true, "yubikey:serial=1001;slot=9c", ""},
		{kBobOwner, "bob", true, "yubikey:serial=2001;slot=9c", ""},
		{kCarolOwner, "carol", true, "pkcs11:token=carol;object=owner", ""},
		{kAliceActive, "alice", true, "yubikey:serial=1001;slot=9a", ""},
		{kBobActive, "bob", true, "pkcs11:token=bob;object=active", ""},
		{kClaim, "", true, "pkcs11:token=bp-hsm;object=claim", "bp1"},
		{kHost2, "", false, "", "bp1"},
		{kHost3, "", true, "pkcs11:token=bp-hsm;object=claim2", "bp1"},
		{kAliceAcct, "alice", true, "yubikey:serial=1001;slot=9e", ""},
		{kBobAcct, "bob", true, "yubikey:serial=2001;slot=9e", ""},
		{kNewTeam, "alice", true, "yubikey:serial=1001;slot=82", ""},
		{kRotate, "bob", true, "yubikey:serial=2001;slot=9d", ""},
		{kCarol, "carol", true, "pkcs11:token=carol;object=acct", ""},
		{kDave, "dave", true, "pkcs11:token=dave;object=acct", ""},
		{kDeep, "dave", true, "pkcs11:token=dave;object=deep", ""},
	}
	for i := range 32 {
		out = append(out, teamKey{spare(i), members[i%4], true, fmt.Sprintf("yubikey:serial=%d;slot=9c", 5000+i), ""})
	}
	for i := range 4 {
		out = append(out, teamKey{soft(i), "eve", false, "", ""})
	}
	return out
}

func teamYAML() string {
	var b strings.Builder
	b.WriteString("members:\n")
	for _, m := range members {
		fmt.Fprintf(&b, "  - name: %s\n    contact: %s@example.org\n", m, m)
		if m == "alice" || m == "bob" || m == "carol" {
			fmt.Fprintf(&b, "    account: %s@active\n", m)
		}
	}
	b.WriteString("hosts:\n  - name: bp1\n    role: producer\n")
	b.WriteString("keys:\n")
	for _, k := range teamKeys() {
		who := "holder: " + k.holder
		if k.host != "" {
			who = "host: " + k.host
		}
		fmt.Fprintf(&b, "  - key: %s\n    %s\n    hardware: %v\n", k.k.PublicKey(), who, k.hardware)
		if k.device != "" {
			fmt.Fprintf(&b, "    device: %q\n", k.device)
		}
	}
	return b.String()
}

func loadTeam(t testing.TB) *team.Team {
	t.Helper()
	tm, err := team.Parse([]byte(teamYAML()))
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func kw(k *testsigner.Key, w uint16) permissions.KeyWeight {
	return permissions.KeyWeight{Key: k.PublicKey(), Weight: w}
}

func lvl(s string) permissions.AccountWeight {
	l, err := permissions.ParseLevel(s)
	if err != nil {
		panic(err)
	}
	return permissions.AccountWeight{Permission: l, Weight: 1}
}

func simpleAccount(name string, owner, active permissions.Authority) *permissions.Account {
	a := &permissions.Account{Name: name, Permissions: []permissions.Permission{
		{Name: "owner", Auth: owner},
		{Name: "active", Parent: "owner", Auth: active},
	}}
	a.Normalize()
	return a
}

func keyAuth(k *testsigner.Key) permissions.Authority {
	return permissions.Authority{Threshold: 1, Keys: []permissions.KeyWeight{kw(k, 1)}}
}

// accounts are the corpus chain: the producer account and the accounts it
// can name.
func accounts() []*permissions.Account {
	main := &permissions.Account{Name: acct, Permissions: []permissions.Permission{
		{Name: "owner", Auth: permissions.Authority{Threshold: 2, Keys: []permissions.KeyWeight{kw(kAliceOwner, 1), kw(kBobOwner, 1), kw(kCarolOwner, 1)}}},
		{Name: "active", Parent: "owner", Auth: permissions.Authority{Threshold: 2, Keys: []permissions.KeyWeight{kw(kAliceActive, 1), kw(kBobActive, 1)}, Accounts: []permissions.AccountWeight{lvl("carol@active")}}},
		{Name: "claim", Parent: "active", Auth: keyAuth(kClaim), Links: []permissions.Link{{Contract: "eosio", Action: "claimrewards"}}},
		{Name: "rotate", Parent: "active", Auth: keyAuth(kRotate), Links: []permissions.Link{{Contract: "eosio", Action: "regproducer"}, {Contract: "eosio", Action: "regproducer2"}, {Contract: "eosio", Action: "unregprod"}}},
	}}
	main.Normalize()
	out := []*permissions.Account{
		main,
		simpleAccount("alice", keyAuth(kAliceAcct), keyAuth(kAliceAcct)),
		simpleAccount("bob", keyAuth(kBobAcct), keyAuth(kBobAcct)),
		simpleAccount("carol", keyAuth(kCarol), keyAuth(kCarol)),
		simpleAccount("softacct", keyAuth(soft(3)), keyAuth(soft(3))),
		simpleAccount("hotacct", keyAuth(kHost2), keyAuth(kHost2)),
		simpleAccount("hopacct", keyAuth(kOther), permissions.Authority{Threshold: 1, Accounts: []permissions.AccountWeight{lvl("hotacct@active")}}),
		simpleAccount("unheldacct", keyAuth(unheld(500)), keyAuth(unheld(500))),
		simpleAccount("newteam", keyAuth(kNewTeam), keyAuth(kNewTeam)),
		simpleAccount("dave", keyAuth(kDave), keyAuth(kDave)),
		simpleAccount("stranger", keyAuth(kStranger), keyAuth(kStranger)),
		simpleAccount("cyca", keyAuth(kOther), permissions.Authority{Threshold: 1, Accounts: []permissions.AccountWeight{lvl("cycb@active")}}),
		simpleAccount("cycb", keyAuth(kOther), permissions.Authority{Threshold: 1, Accounts: []permissions.AccountWeight{lvl("cyca@active")}}),
	}
	for _, c := range []string{"decentiumorg", "delphioracle", "producerjson", "eosio.forum"} {
		out = append(out, simpleAccount(c, keyAuth(kOther), keyAuth(kOther)))
	}
	// deepa -> deepb -> ... -> deepg, whose active holds dave's deep key.
	for i := 0; i < 7; i++ {
		name := "deep" + string(rune('a'+i))
		active := keyAuth(kDeep)
		if i < 6 {
			active = permissions.Authority{Threshold: 1, Accounts: []permissions.AccountWeight{lvl("deep" + string(rune('a'+i+1)) + "@active")}}
		}
		out = append(out, simpleAccount(name, keyAuth(kOther), active))
	}
	return out
}

func world() *permissions.World {
	w := permissions.NewWorld(accounts()...)
	w.MarkMissing("ghostacct")
	return w
}

func base() *permissions.Account { return world().Account(acct) }

// levelBase is the corpus account with owner held through the members'
// own accounts (alice@active, bob@active, carol@active, two of three).
func levelBase() *permissions.Account {
	a := base().Clone()
	a.Perm("owner").Auth = permissions.Authority{Threshold: 2, Accounts: []permissions.AccountWeight{lvl("alice@active"), lvl("bob@active"), lvl("carol@active")}}
	a.Normalize()
	return a
}
