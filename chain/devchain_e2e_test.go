package chain_test

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

const e2eChainID = "b5f1c0dee2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2"

// A real round trip against the local chain (devchain), not a fake: read the
// account and producer, build a claimrewards with TaPoS, ask for the required
// keys, sign on a test key, push, push again (duplicate = success), hit the
// 24-hour rule, advance the clock, claim again.
func TestEndToEndAgainstDevchain(t *testing.T) {
	claimKey := testsigner.FromSeed(signer.CurveR1, "e2e-claim")
	ownerKey := testsigner.FromSeed(signer.CurveK1, "e2e-owner")
	prodKey := testsigner.FromSeed(signer.CurveK1, "e2e-block-signing")
	genesis := `{
	  "chain_id": "` + e2eChainID + `",
	  "time": "2026-01-01T00:00:00.000",
	  "accounts": [{
	    "name": "bpteam111111",
	    "balance": "10.0000 EOS",
	    "permissions": [
	      {"perm_name": "owner", "parent": "", "required_auth": {"threshold": 1, "keys": [{"key": "` + ownerKey.PublicKey().Legacy() + `", "weight": 1}], "accounts": [], "waits": []}},
	      {"perm_name": "active", "parent": "owner", "required_auth": {"threshold": 1, "keys": [{"key": "` + ownerKey.PublicKey().String() + `", "weight": 1}], "accounts": [], "waits": []}},
	      {"perm_name": "claim", "parent": "active", "required_auth": {"threshold": 1, "keys": [{"key": "` + claimKey.PublicKey().String() + `", "weight": 1}], "accounts": [], "waits": []},
	       "linked_actions": [{"account": "eosio", "action": "claimrewards"}]}
	    ]
	  }],
	  "producers": [{"owner": "bpteam111111", "producer_key": "` + prodKey.PublicKey().Legacy() + `", "url": "https://example.org", "location": 0}]
	}`
	g, err := devchain.ParseGenesis([]byte(genesis))
	if err != nil {
		t.Fatal(err)
	}
	dc, err := devchain.New(g, devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dc.Close() })
	srv := httptest.NewServer(dc.Handler())
	t.Cleanup(srv.Close)

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + l.Addr().String()
	_ = l.Close()

	pin, _ := signer.ParseChainID(e2eChainID)
	c, err := chain.New(chain.Options{URLs: []string{down, srv.URL}, ChainID: pin, ReadTimeout: 2 * time.Second, PushTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.GetInfo(ctx); err != nil {
		t.Fatal(err)
	}

	acc, err := c.GetAccount(ctx, "bpteam111111")
	if err != nil {
		t.Fatal(err)
	}
	p := acc.Permission("claim")
	if p == nil || len(p.RequiredAuth.Keys) != 1 || p.RequiredAuth.Keys[0].Key != claimKey.PublicKey() ||
		len(p.LinkedActions) != 1 || p.LinkedActions[0] != (chain.LinkedAction{Account: "eosio", Action: "claimrewards"}) {
		t.Fatalf("claim permission %+v", p)
	}
	prods, err := c.GetProducers(ctx, chain.ProducersRequest{Limit: 10})
	if err != nil || len(prods.Rows) == 0 {
		t.Fatalf("producers %v", err)
	}
	if k, ok, err := prods.Rows[0].Key(); err != nil || !ok || k != prodKey.PublicKey() {
		t.Errorf("producer key %v %v %v", k, ok, err)
	}

	claim := func(expiresIn time.Duration) (*chain.PushResult, *eos.SignedTransaction, error) {
		tx, err := c.NewTransaction(ctx, []*eos.Action{{
			Account: "eosio", Name: "claimrewards",
			Authorization: []eos.PermissionLevel{{Actor: "bpteam111111", Permission: "claim"}},
			ActionData:    eos.NewActionData(struct{ Owner eos.AccountName }{"bpteam111111"}),
		}}, expiresIn)
		if err != nil {
			return nil, nil, err
		}
		req, err := c.RequiredKeys(ctx, tx.Transaction, []signer.PublicKey{ownerKey.PublicKey(), claimKey.PublicKey()})
		if err != nil {
			return nil, nil, err
		}
		if len(req) != 1 || req[0] != claimKey.PublicKey() {
			t.Fatalf("required keys %v, want only the claim key", req)
		}
		if err := signer.SignTransaction(ctx, tx, pin, req, []signer.Signer{claimKey}); err != nil {
			return nil, nil, err
		}
		res, err := c.Push(ctx, tx)
		return res, tx, err
	}

	res, tx, err := claim(0)
	if err != nil {
		t.Fatal(err)
	}
	if res.AlreadyKnown || res.Trace == nil || res.Trace.Receipt == nil || res.Trace.Receipt.Status != "executed" {
		t.Fatalf("first claim %+v", res)
	}
	// The same signed transaction again: a duplicate, reported as known.
	again, err := c.Push(ctx, tx)
	if err != nil || !again.AlreadyKnown || again.TransactionID != res.TransactionID {
		t.Fatalf("re-push: %+v %v", again, err)
	}
	// A new claim within 24 hours trips the contract's rule.
	_, _, err = claim(6 * time.Minute)
	var ae *chain.APIError
	if !chain.IsAssertion(err, "already claimed rewards within past day") || !errors.As(err, &ae) {
		t.Fatalf("second claim: %v", err)
	}
	if _, err := dc.AdvanceTime(86401 * time.Second); err != nil {
		t.Fatal(err)
	}
	if res, _, err := claim(7 * time.Minute); err != nil || res.AlreadyKnown {
		t.Fatalf("claim after 24 h: %+v %v", res, err)
	}
}
