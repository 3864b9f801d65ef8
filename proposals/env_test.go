package proposals

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

// Keys of the test team (reproducible, in memory).
var (
	kAlice = testsigner.FromSeed(signer.CurveK1, "proposals-alice")
	kBob   = testsigner.FromSeed(signer.CurveR1, "proposals-bob")
	kCarol = testsigner.FromSeed(signer.CurveK1, "proposals-carol")
	kClaim = testsigner.FromSeed(signer.CurveR1, "proposals-claim")
	kNew   = testsigner.FromSeed(signer.CurveK1, "proposals-new")
	kProd  = testsigner.FromSeed(signer.CurveK1, "proposals-block-signing")
	kProd2 = testsigner.FromSeed(signer.CurveK1, "proposals-block-signing-2")
)

func keyAuth(keys ...*testsigner.Key) devchain.GenesisAuthority {
	var a devchain.GenesisAuthority
	a.Threshold = 1
	for _, k := range keys {
		a.Keys = append(a.Keys, struct {
			Key    string `json:"key"`
			Weight uint16 `json:"weight"`
		}{k.PublicKey().String(), 1})
	}
	return a
}

func accountsAuth(threshold uint32, actors ...string) devchain.GenesisAuthority {
	var a devchain.GenesisAuthority
	a.Threshold = threshold
	for _, ac := range actors {
		var e struct {
			Permission struct {
				Actor      string `json:"actor"`
				Permission string `json:"permission"`
			} `json:"permission"`
			Weight uint16 `json:"weight"`
		}
		e.Permission.Actor, e.Permission.Permission, e.Weight = ac, "active", 1
		a.Accounts = append(a.Accounts, e)
	}
	return a
}

func simpleAccount(name string, k *testsigner.Key) devchain.GenesisAccount {
	return devchain.GenesisAccount{Name: name, Balance: "1000.0000 EOS", Permissions: []devchain.GenesisPermission{
		{PermName: "owner", RequiredAuth: keyAuth(k)},
		{PermName: "active", Parent: "owner", RequiredAuth: keyAuth(k)},
	}}
}

// teamGenesis: alice, bob and carol each hold one key; bpteam111111 is
// 2-of-3 of their active permissions, with a claim permission linked to
// claimrewards and a registered producer.
func teamGenesis() *devchain.Genesis {
	g := &devchain.Genesis{Time: "2026-01-01T00:00:00.000"}
	g.Accounts = append(g.Accounts,
		simpleAccount("alice", kAlice),
		simpleAccount("bob", kBob),
		simpleAccount("carol", kCarol),
		devchain.GenesisAccount{Name: "bpteam111111", Balance: "100.0000 EOS", Permissions: []devchain.GenesisPermission{
			{PermName: "owner", RequiredAuth: accountsAuth(2, "alice", "bob", "carol")},
			{PermName: "active", Parent: "owner", RequiredAuth: accountsAuth(2, "alice", "bob", "carol")},
			{PermName: "claim", Parent: "active", RequiredAuth: keyAuth(kClaim), LinkedActions: []devchain.GenesisLinkedAt{{Account: "eosio", Action: "claimrewards"}}},
		}},
	)
	g.Producers = []devchain.GenesisProducer{{Owner: "bpteam111111", ProducerKey: kProd.PublicKey().Legacy(), URL: "https://bpteam.example"}}
	return g
}

type env struct {
	t   testing.TB
	dc  *devchain.Chain
	cl  *chain.Client
	ctx context.Context
}

func newEnv(t testing.TB, g *devchain.Genesis) *env {
	t.Helper()
	dc, err := devchain.New(g, devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(dc.Handler())
	t.Cleanup(func() { srv.Close(); dc.Close() })
	cl, err := chain.New(chain.Options{URLs: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, dc: dc, cl: cl, ctx: context.Background()}
}

// send signs actions with keys (only those nodeos asks for) and pushes.
func (e *env) send(actions []*eos.Action, keys ...*testsigner.Key) (*chain.PushResult, error) {
	e.dc.ProduceBlocks(1)
	tx, err := e.cl.NewTransaction(e.ctx, actions, time.Minute)
	if err != nil {
		return nil, err
	}
	var avail []signer.PublicKey
	var signers []signer.Signer
	for _, k := range keys {
		avail = append(avail, k.PublicKey())
		signers = append(signers, k)
	}
	req, err := e.cl.RequiredKeys(e.ctx, tx.Transaction, avail)
	if err != nil {
		return nil, err
	}
	if err := signer.SignTransaction(e.ctx, tx, e.dc.ChainID(), req, signers); err != nil {
		return nil, err
	}
	return e.cl.Push(e.ctx, tx)
}

func (e *env) mustSend(actions []*eos.Action, keys ...*testsigner.Key) {
	e.t.Helper()
	if _, err := e.send(actions, keys...); err != nil {
		e.t.Fatalf("push: %v", err)
	}
}

func lv(s string) eos.PermissionLevel {
	l, err := ParseLevel(s)
	if err != nil {
		panic(err)
	}
	return l
}

func act(account, name string, data any, auths ...string) Action {
	a := Action{Account: eos.AccountName(account), Name: eos.ActionName(name), Data: contracts.MustEncode(data)}
	for _, s := range auths {
		a.Authorization = append(a.Authorization, lv(s))
	}
	return a
}

func authOf(keys ...*testsigner.Key) eos.Authority {
	a := eos.Authority{Threshold: 1}
	for _, k := range keys {
		a.Keys = append(a.Keys, eos.KeyWeight{PublicKey: k.PublicKey().ECC(), Weight: 1})
	}
	contracts.SortAuthority(&a)
	return a
}

func wantContains(t testing.TB, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
}
