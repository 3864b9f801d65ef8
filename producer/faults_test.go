package producer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/internal/faultproxy"
	"github.com/bpkeys/bpkeys/signer"
)

// Through an endpoint that drops every push answer (and a node without
// get_transaction_status, as the devchain and most nodeos are), a claim
// that went through is confirmed from the producers row: reported claimed,
// with its transaction id, after at most two sends, counted once.
func TestClaimUncertainResolvedFromTable(t *testing.T) {
	tc := newTestChain(t, defaultKeys())
	p := faultproxy.New(t, tc.fronts[0].srv.URL)
	p.Set("/v1/chain/send_transaction", faultproxy.Drop)
	// A node without the transaction-status API (nodeos's default).
	p.Set("/v1/chain/get_transaction_status", faultproxy.Lie)
	p.SetLie(404, `{"code":404,"message":"Not Found","error":{"code":0,"name":"exception","what":"unknown endpoint","details":[]}}`)
	id, _ := signer.ParseChainID(testChainID)
	client, err := chain.New(chain.Options{URLs: []string{p.URL}, ChainID: id})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cl := newClaimer(tc, tkClaim, &logs)
	cl.Chain = client
	cl.Metrics, _ = LoadMetrics(filepath.Join(t.TempDir(), "claim.prom"), team)
	res, err := cl.Once(context.Background())
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	if res.Status != Claimed || res.TrxID == "" || res.Attempts != 1 || len(res.Contracts) == 0 {
		t.Fatalf("%+v", res)
	}
	if n := p.Count("/v1/chain/send_transaction"); n > 2 {
		t.Fatalf("re-sent %d times after it landed", n)
	}
	row, _ := ReadRow(context.Background(), tc.client, team)
	if !row.LastClaimTime.Equal(res.LastClaim) {
		t.Fatalf("row %v, result %v", row.LastClaimTime, res.LastClaim)
	}
	if cl.Metrics.Claims != 1 || cl.Metrics.Failures[KindUncertain] != 0 {
		t.Fatalf("metrics %+v", cl.Metrics)
	}
	if !strings.Contains(logs.String(), "producers table shows it landed") {
		t.Fatalf("logs:\n%s", logs.String())
	}
}

// Three concurrent claims for one account: one claims, the others wait for
// its lock and report it; the chain shows one claim and the metrics count
// one claim and two no-ops.
func TestThreeConcurrentClaims(t *testing.T) {
	tc := newTestChain(t, defaultKeys())
	lockDir := t.TempDir()
	prom := filepath.Join(t.TempDir(), "claim.prom")
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		res  []*ClaimResult
		errs []error
	)
	for i := 0; i < 3; i++ {
		var logs bytes.Buffer
		cl := newClaimer(tc, tkClaim, &logs)
		cl.LockDir = lockDir
		cl.Metrics, _ = LoadMetrics(prom, team)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := cl.Once(context.Background())
			mu.Lock()
			res, errs = append(res, r), append(errs, err)
			mu.Unlock()
		}()
	}
	wg.Wait()
	claimed := 0
	for i, r := range res {
		if errs[i] != nil {
			t.Fatalf("run %d: %v", i, errs[i])
		}
		switch r.Status {
		case Claimed:
			claimed++
			if r.TrxID == "" || len(r.Contracts) == 0 {
				t.Fatalf("claimed without a transaction: %+v", r)
			}
		case ClaimedByOther, NotYet:
			if r.TrxID != "" {
				t.Fatalf("%+v", r)
			}
		default:
			t.Fatalf("run %d: %+v", i, r)
		}
	}
	if claimed != 1 {
		t.Fatalf("%d runs say they claimed", claimed)
	}
	m, err := LoadMetrics(prom, team)
	if err != nil || m.Claims != 1 || m.NoOps != 2 {
		t.Fatalf("metrics %+v %v", m, err)
	}
	if n := tc.journalCount(t); n != 1 {
		t.Fatalf("%d signatures for one claim", n)
	}
}

// eosio.bpay holds rewards but its claimrewards is not linked to the claim
// permission (linked years before eosio.bpay existed): the eosio part is
// claimed, a warning names the exact command that fixes it, once, and the
// metric says so.
func TestClaimBPayUnlinked(t *testing.T) {
	g := strings.Replace(genesisJSON(defaultKeys()), `,{"account":"eosio.bpay","action":"claimrewards"}`, "", 1)
	if !strings.Contains(g, `{"account":"eosio","action":"claimrewards"}]`) {
		t.Fatal("the genesis did not change")
	}
	tc := newTestChainFrom(t, g)
	var logs bytes.Buffer
	cl := newClaimer(tc, tkClaim, &logs)
	cl.Metrics, _ = LoadMetrics(filepath.Join(t.TempDir(), "claim.prom"), team)
	ctx := context.Background()
	res, err := cl.Once(ctx)
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	if res.Status != Claimed || strings.Join(res.Contracts, ",") != "eosio" || !res.BPayUnlinked || len(res.Amounts) == 0 {
		t.Fatalf("%+v", res)
	}
	fix := "bpkeys perms plan bpteam111111 --link claim=eosio.bpay::claimrewards"
	if strings.Count(logs.String(), fix) != 1 {
		t.Fatalf("the warning with %q is not there once:\n%s", fix, logs.String())
	}
	b, _ := os.ReadFile(cl.Metrics.Path)
	if !strings.Contains(string(b), `bpkeys_claim_bpay_unlinked{account="bpteam111111"} 1`) {
		t.Fatalf("metrics:\n%s", b)
	}
	// The next day: still unlinked, claimed again, warned no more.
	if _, err := tc.dc.AdvanceTime(res.NextAllowed.Sub(tc.dc.Head().Time) + 1e9); err != nil {
		t.Fatal(err)
	}
	if r2, err := cl.Once(ctx); err != nil || r2.Status != Claimed {
		t.Fatalf("next day: %v %+v", err, r2)
	}
	if strings.Count(logs.String(), fix) != 1 {
		t.Fatal("warned again in the same process")
	}
}

// accountChain answers get_account with a fixed account (the rest of the
// Chain is unused by BPayLinked). A fake, for the link rule alone over
// shapes the devchain's genesis cannot state (eosio.any links, a node that
// does not report links); TestClaimBPayUnlinked runs it on the devchain.
type accountChain struct {
	Chain
	acct *chain.Account
}

func (a accountChain) GetAccount(context.Context, string) (*chain.Account, error) { return a.acct, nil }

// BPayLinked follows nodeos: the action's own link, else the contract's,
// else active; the signing permission must be the linked one or an
// ancestor of it; eosio.any lets any permission sign.
func TestBPayLinked(t *testing.T) {
	bpay := func(action string) []chain.LinkedAction {
		return []chain.LinkedAction{{Account: "eosio.bpay", Action: action}}
	}
	perms := func(claimLinks, subLinks []chain.LinkedAction) []chain.Permission {
		return []chain.Permission{
			{PermName: "owner", LinkedActions: []chain.LinkedAction{}},
			{PermName: "active", Parent: "owner", LinkedActions: []chain.LinkedAction{}},
			{PermName: "claim", Parent: "active", LinkedActions: claimLinks},
			{PermName: "sub", Parent: "claim", LinkedActions: subLinks},
		}
	}
	for _, tc := range []struct {
		name string
		acct chain.Account
		perm string
		want bool
	}{
		{"linked to claim", chain.Account{Permissions: perms(bpay("claimrewards"), []chain.LinkedAction{})}, "claim", true},
		{"whole contract linked to claim", chain.Account{Permissions: perms(bpay(""), []chain.LinkedAction{})}, "claim", true},
		{"not linked", chain.Account{Permissions: perms([]chain.LinkedAction{{Account: "eosio", Action: "claimrewards"}}, []chain.LinkedAction{})}, "claim", false},
		{"linked to a child of claim", chain.Account{Permissions: perms([]chain.LinkedAction{}, bpay("claimrewards"))}, "claim", true},
		{"linked to claim, signed by its child", chain.Account{Permissions: perms(bpay("claimrewards"), []chain.LinkedAction{})}, "sub", false},
		{"active signs an unlinked action", chain.Account{Permissions: perms([]chain.LinkedAction{}, []chain.LinkedAction{})}, "active", true},
		{"eosio.any", chain.Account{Permissions: perms([]chain.LinkedAction{}, []chain.LinkedAction{}), EosioAnyLinkedActions: bpay("claimrewards")}, "claim", true},
		{"action link wins over eosio.any for the contract", chain.Account{Permissions: perms([]chain.LinkedAction{}, bpay("claimrewards")), EosioAnyLinkedActions: bpay("")}, "sub", true},
		{"links not reported (old nodeos)", chain.Account{Permissions: []chain.Permission{{PermName: "claim", Parent: "active"}}}, "claim", true},
	} {
		acct := tc.acct
		got, err := BPayLinked(context.Background(), accountChain{acct: &acct}, team, tc.perm)
		if err != nil || got != tc.want {
			t.Errorf("%s: %v %v, want %v", tc.name, got, err, tc.want)
		}
	}
}
