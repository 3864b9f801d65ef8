package policies_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/policies"
	"github.com/bpkeys/bpkeys/signer"
)

// genesis puts the corpus accounts on a devchain.
func genesis(t testing.TB) *devchain.Genesis {
	t.Helper()
	g := &devchain.Genesis{Time: "2026-01-01T00:00:00.000"}
	for _, a := range accounts() {
		b, err := json.Marshal(a.Permissions)
		if err != nil {
			t.Fatal(err)
		}
		var perms []devchain.GenesisPermission
		if err := json.Unmarshal(b, &perms); err != nil {
			t.Fatal(err)
		}
		g.Accounts = append(g.Accounts, devchain.GenesisAccount{Name: a.Name, Permissions: perms})
	}
	return g
}

type chainEnv struct {
	t    testing.TB
	c    *devchain.Chain
	keys map[signer.PublicKey]*testsigner.Key
	n    int
}

func newChain(t testing.TB) *chainEnv {
	t.Helper()
	c, err := devchain.New(genesis(t), devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	e := &chainEnv{t: t, c: c, keys: map[signer.PublicKey]*testsigner.Key{}}
	for _, k := range teamKeys() {
		e.keys[k.k.PublicKey()] = k.k
	}
	return e
}

func (e *chainEnv) teamPublicKeys() []signer.PublicKey {
	var out []signer.PublicKey
	for k := range e.keys {
		out = append(out, k)
	}
	return out
}

// push signs actions with exactly the team keys the chain requires and
// pushes them.
func (e *chainEnv) push(acts []*eos.Action) error {
	req, err := e.c.RequiredKeys(acts, e.teamPublicKeys())
	if err != nil {
		return fmt.Errorf("required keys: %w", err)
	}
	h := e.c.Head()
	e.n++
	tx := &eos.Transaction{TransactionHeader: eos.TransactionHeader{
		Expiration:     eos.JSONTime{Time: h.Time.Add(time.Duration(60+e.n) * time.Second)},
		RefBlockNum:    uint16(h.Num),
		RefBlockPrefix: h.RefBlockPrefix(),
	}, Actions: acts}
	packed := contracts.MustEncode(tx)
	d := signer.Digest(e.c.ChainID(), packed, nil)
	var sigs []string
	for _, k := range req {
		s, err := e.keys[k].Sign(context.Background(), d)
		if err != nil {
			return err
		}
		sigs = append(sigs, s.String())
	}
	_, err = e.c.PushTransaction(devchain.PushRequest{Signatures: sigs, Compression: []byte(`"none"`), PackedTrx: hex.EncodeToString(packed)})
	return err
}

func (e *chainEnv) account(name string) *permissions.Account {
	e.t.Helper()
	info, err := e.c.GetAccount(name)
	if err != nil {
		e.t.Fatal(err)
	}
	b, err := json.Marshal(info)
	if err != nil {
		e.t.Fatal(err)
	}
	a, err := permissions.ParseAccountJSON(b)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *chainEnv) pushPlan(p *permissions.Plan) error {
	for i, stage := range p.Stages() {
		var acts []*eos.Action
		for _, a := range stage {
			ea, err := a.EOS()
			if err != nil {
				return err
			}
			acts = append(acts, ea)
		}
		if err := e.push(acts); err != nil {
			return fmt.Errorf("stage %d: %w", i+1, err)
		}
	}
	return nil
}

// TestSafePlansOnDevchain pushes every safe plan of the corpus to a fresh
// devchain (which checks authorities and authorizations as nodeos does),
// then proves the team still controls owner and active by signing a
// further updateauth of each with the team's keys.
func TestSafePlansOnDevchain(t *testing.T) {
	w, tm := world(), loadTeam(t)
	for _, c := range safePlans() {
		t.Run(c.name, func(t *testing.T) {
			e := newChain(t)
			before := e.account(acct)
			if !before.Equal(base()) {
				t.Fatal("the devchain's account is not the corpus base")
			}
			p, fs := c.judge(t, w, tm)
			if policies.HasErrors(fs) {
				t.Fatalf("refused: %v", fs)
			}
			if err := e.pushPlan(p); err != nil {
				t.Fatalf("the devchain refused the plan: %v\nactions: %+v", err, p.Actions)
			}
			after := e.account(acct)
			if !after.Equal(p.After) {
				t.Fatalf("chain state differs from the plan's after tree:\nchain %+v\nplan  %+v", after, p.After)
			}
			for _, perm := range []string{"owner", "active"} {
				q := after.Perm(perm)
				ua := contracts.UpdateAuth{Account: acct, Permission: eos.PermissionName(perm), Parent: eos.PermissionName(q.Parent), Auth: q.Auth.EOS()}
				act := &eos.Action{Account: "eosio", Name: "updateauth", Authorization: []eos.PermissionLevel{{Actor: acct, Permission: eos.PermissionName(perm)}},
					ActionData: eos.NewActionDataFromHexData(contracts.MustEncode(ua))}
				if err := e.push([]*eos.Action{act}); err != nil {
					t.Fatalf("the team can no longer update %s: %v", perm, err)
				}
			}
		})
	}
}

// A dangerous plan pushed anyway (bypassing bpkeys) would really lock the
// account: the devchain accepts the first lockout and the team cannot undo
// it. This shows the refusals guard against something real.
func TestLockoutIsReal(t *testing.T) {
	e := newChain(t)
	tm := loadTeam(t)
	p, err := permissions.NewPlan(e.account(acct), []permissions.Edit{rot(kAliceActive, unheld(1)), rot(kBobActive, unheld(2)), rmAcc("active", "carol@active")}, tm.Label)
	if err != nil {
		t.Fatal(err)
	}
	if !policies.Refuses(policies.CheckPlan(p, world(), tm, nil)) {
		t.Fatal("not refused")
	}
	if err := e.pushPlan(p); err != nil {
		t.Fatalf("push: %v", err)
	}
	act := &eos.Action{Account: "eosio", Name: "updateauth", Authorization: []eos.PermissionLevel{{Actor: acct, Permission: "active"}},
		ActionData: eos.NewActionDataFromHexData(contracts.MustEncode(contracts.UpdateAuth{Account: acct, Permission: "active", Parent: "owner", Auth: keyAuth(kAliceActive).EOS()}))}
	if err := e.push([]*eos.Action{act}); err == nil {
		t.Fatal("the team still controls active")
	}
}

// A plan made under limitauthchg carries authorized_by and is accepted; the
// same change without it is refused by the chain; when the setting does not
// let active authorize, the plan declares owner and still goes through.
func TestPlansUnderLimitAuthChg(t *testing.T) {
	w, tm := world(), loadTeam(t)
	for _, tc := range []struct {
		allow   []eos.Name
		declare string
	}{
		{[]eos.Name{"owner", "active"}, "active"},
		{[]eos.Name{"owner"}, "owner"},
	} {
		e := newChain(t)
		lim := &eos.Action{Account: "eosio", Name: "limitauthchg", Authorization: []eos.PermissionLevel{{Actor: acct, Permission: "active"}},
			ActionData: eos.NewActionDataFromHexData(contracts.MustEncode(contracts.LimitAuthChg{Account: acct, AllowPerms: tc.allow}))}
		if err := e.push([]*eos.Action{lim}); err != nil {
			t.Fatalf("limitauthchg: %v", err)
		}
		before := e.account(acct)
		edits := []permissions.Edit{addKey("rotate", spareOf("bob", 0), 1), link("claim", "eosio::voteproducer")}
		// Without the setting in the model: the chain refuses.
		plain, err := permissions.NewPlan(before, edits, tm.Label)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.pushPlan(plain); err == nil || !strings.Contains(err.Error(), "authorized_by is required for this account") {
			t.Fatalf("plan without authorized_by: %v", err)
		}
		var names []string
		for _, n := range tc.allow {
			names = append(names, string(n))
		}
		before.AuthChange = &permissions.AuthChangeLimit{Allow: names}
		p, err := permissions.NewPlan(before, edits, tm.Label)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Actions {
			if a.Authorization[0].Permission != tc.declare {
				t.Fatalf("%s declares %s, want %s", a.Summary, a.Authorization[0].Permission, tc.declare)
			}
		}
		if fs := policies.CheckPlan(p, w, tm, nil); policies.HasErrors(fs) {
			t.Fatalf("refused: %v", fs)
		}
		if err := e.pushPlan(p); err != nil {
			t.Fatalf("allow %v: the devchain refused the plan: %v", tc.allow, err)
		}
		if after := e.account(acct); !after.Equal(p.After) {
			t.Fatalf("chain state differs from the plan's after tree")
		}
		// The team still controls owner: a further signed updateauth.
		q := p.After.Perm("owner")
		ua := contracts.UpdateAuthBy{UpdateAuth: contracts.UpdateAuth{Account: acct, Permission: "owner", Auth: q.Auth.EOS()}, AuthorizedBy: "owner"}
		act := &eos.Action{Account: "eosio", Name: "updateauth", Authorization: []eos.PermissionLevel{{Actor: acct, Permission: "owner"}},
			ActionData: eos.NewActionDataFromHexData(contracts.MustEncode(ua))}
		if err := e.push([]*eos.Action{act}); err != nil {
			t.Fatalf("the team can no longer update owner: %v", err)
		}
	}
}

// The rules know which permissions may change authorities under the
// setting: with active unable to authorize, a single person on active is
// no longer someone who can change authorities.
func TestRulesUnderLimitAuthChg(t *testing.T) {
	tm := loadTeam(t)
	b := base()
	b.Perm("active").Auth.Threshold = 1 // alice alone
	w := world().With(b)
	if !has(policies.CheckAccount(w, acct, tm, nil), policies.RuleSinglePower, "active", permissions.SeverityWarning) {
		t.Fatal("no single-person finding on a 1-of-3 active")
	}
	for _, f := range policies.CheckAccount(w, acct, tm, nil) {
		if f.Rule == policies.RuleSinglePower && f.Permission == "active" && !strings.Contains(f.Power, "change-auth") {
			t.Fatalf("without the setting active changes auth: %+v", f)
		}
	}
	b.AuthChange = &permissions.AuthChangeLimit{Allow: []string{"owner"}}
	for _, f := range policies.CheckAccount(world().With(b), acct, tm, nil) {
		if f.Rule == policies.RuleSinglePower && f.Permission == "active" && strings.Contains(f.Power, "change-auth") {
			t.Fatalf("under allow [owner] active still changes auth: %+v", f)
		}
	}
}
