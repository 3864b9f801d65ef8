package chain

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

const testTimeout = 300 * time.Millisecond

func newClient(t *testing.T, pin string, l *logs, urls ...string) *Client {
	t.Helper()
	opts := Options{URLs: urls, ReadTimeout: testTimeout, PushTimeout: testTimeout}
	if pin != "" {
		id, err := signer.ParseChainID(pin)
		if err != nil {
			t.Fatal(err)
		}
		opts.ChainID = id
	}
	if l != nil {
		opts.Logf = l.logf
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const claimKey = "EOS6DLD9HxMcwn73U41jjdGsNe9vDFRKB26um6qTAqrtYcJFtED4C"

// liarAccount is teamgreymass with the claim key swapped for an attacker's.
func liarAccount(t *testing.T) ([]byte, signer.PublicKey) {
	attacker := testsigner.FromSeed(signer.CurveK1, "attacker").PublicKey()
	b := loadFixture(t, "get_account.eos.teamgreymass.json").JSON
	s := strings.Replace(string(b), claimKey, attacker.Legacy(), 1)
	if s == string(b) {
		t.Fatal("claim key not found in fixture")
	}
	return []byte(s), attacker
}

func TestNewValidatesURLs(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8888", "ftp://x", "http://", "http://x/?a=b"} {
		if _, err := New(Options{URLs: []string{u}}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
	if _, err := New(Options{}); err == nil {
		t.Error("no endpoints accepted")
	}
	c, err := New(Options{URLs: []string{"http://a:8888/", "http://a:8888", "https://b"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Endpoints(), ","); got != "http://a:8888,https://b" {
		t.Errorf("endpoints %s", got)
	}
}

func TestReadFailsOverFromDownEndpoint(t *testing.T) {
	good := newFake(t, jungleID)
	var l logs
	c := newClient(t, "", &l, downURL(t), good.URL)
	a, err := c.GetAccount(context.Background(), "teamgreymass")
	if err != nil {
		t.Fatal(err)
	}
	if a.Permission("claim") == nil || len(a.Raw) == 0 {
		t.Errorf("account %+v", a)
	}
	if !strings.Contains(l.String(), "trying "+good.URL) || !strings.Contains(l.String(), "refused") {
		t.Errorf("failover not logged: %s", l.String())
	}
}

func TestReadFailsOverFromSlowEndpoint(t *testing.T) {
	slow := newFake(t, jungleID)
	slow.slow["/v1/chain/get_account"] = true
	good := newFake(t, jungleID)
	var l logs
	c := newClient(t, "", &l, slow.URL, good.URL)
	start := time.Now()
	if _, err := c.GetAccount(context.Background(), "teamgreymass"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < testTimeout {
		t.Errorf("answered after %v, before the slow endpoint's timeout", d)
	}
	if slow.count("/v1/chain/get_account") != 1 || good.count("/v1/chain/get_account") != 1 {
		t.Errorf("calls: slow %d good %d", slow.count("/v1/chain/get_account"), good.count("/v1/chain/get_account"))
	}
	if !strings.Contains(l.String(), "timeout") {
		t.Errorf("timeout not reported: %s", l.String())
	}
}

func TestReadFailsOverFrom5xxWithoutNodeosBody(t *testing.T) {
	proxy := newFake(t, jungleID)
	proxy.bare5xx["/v1/chain/get_account"] = true
	good := newFake(t, jungleID)
	c := newClient(t, "", nil, proxy.URL, good.URL)
	if _, err := c.GetAccount(context.Background(), "teamgreymass"); err != nil {
		t.Fatal(err)
	}
	if good.count("/v1/chain/get_account") != 1 {
		t.Error("the next endpoint was not asked")
	}
}

func TestReadDoesNotFailOverOnNodeosError(t *testing.T) {
	first := newFake(t, jungleID)
	first.errors["/v1/chain/get_account"] = string(loadFixture(t, "error.500.unknown_key.json").JSON)
	second := newFake(t, jungleID)
	c := newClient(t, "", nil, first.URL, second.URL)
	_, err := c.GetAccount(context.Background(), "nani1")
	if !IsUnknownAccount(err) {
		t.Fatalf("want an unknown-account APIError, got %v", err)
	}
	if second.count("/v1/chain/get_account") != 0 {
		t.Error("a nodeos answer must not fail over")
	}
	if !strings.Contains(err.Error(), "get_account nani1") {
		t.Errorf("error does not say what failed: %v", err)
	}
}

func TestAllEndpointsDown(t *testing.T) {
	d1, d2 := downURL(t), downURL(t)
	c := newClient(t, "", nil, d1, d2)
	_, err := c.GetAccount(context.Background(), "teamgreymass")
	var ue *UnavailableError
	if !errors.As(err, &ue) || len(ue.Errs) != 2 {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), d1) || !strings.Contains(err.Error(), d2) {
		t.Errorf("error should name both endpoints: %v", err)
	}
}

func TestCallerCancellationStops(t *testing.T) {
	slow := newFake(t, jungleID)
	slow.slow["/v1/chain/get_info"] = true
	good := newFake(t, jungleID)
	c, err := New(Options{URLs: []string{slow.URL, good.URL}, ReadTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = c.GetAccount(ctx, "teamgreymass")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	if good.count("/v1/chain/get_info") != 0 {
		t.Error("a cancelled call went on to the next endpoint")
	}
}

func TestPinnedChainRefusesOtherChain(t *testing.T) {
	wax := newFake(t, waxID)
	jungle := newFake(t, jungleID)
	var l logs
	c := newClient(t, jungleID, &l, wax.URL, jungle.URL)
	for i := 0; i < 2; i++ {
		if _, err := c.GetAccount(context.Background(), "teamgreymass"); err != nil {
			t.Fatal(err)
		}
	}
	if wax.count("/v1/chain/get_account") != 0 {
		t.Error("an endpoint on another chain was used")
	}
	if wax.count("/v1/chain/get_info") != 1 || jungle.count("/v1/chain/get_info") != 1 {
		t.Errorf("chain id checks not cached: wax %d jungle %d", wax.count("/v1/chain/get_info"), jungle.count("/v1/chain/get_info"))
	}
	if !strings.Contains(l.String(), "refusing endpoint "+wax.URL) {
		t.Errorf("refusal not reported: %s", l.String())
	}

	only := newClient(t, jungleID, nil, wax.URL)
	_, err := only.GetAccount(context.Background(), "teamgreymass")
	var cm *ChainMismatchError
	if !errors.As(err, &cm) || !cm.Pinned {
		t.Fatalf("want ChainMismatchError, got %v", err)
	}
	msg := err.Error()
	for _, s := range []string{wax.URL, waxID, jungleID, "--chain-id"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message lacks %q: %s", s, msg)
		}
	}
	// GetInfo and pushes refuse it too.
	if _, err := only.GetInfo(context.Background()); !errors.As(err, &cm) {
		t.Errorf("GetInfo: %v", err)
	}
	id, _ := only.ChainID(context.Background())
	if id.String() != jungleID {
		t.Errorf("ChainID() = %s", id)
	}
}

func TestUnpinnedEndpointsMustAgree(t *testing.T) {
	jungle := newFake(t, jungleID)
	wax := newFake(t, waxID)
	c := newClient(t, "", nil, jungle.URL, wax.URL)
	_, err := c.WithQuorum(2).GetAccount(context.Background(), "teamgreymass")
	var cm *ChainMismatchError
	if !errors.As(err, &cm) || cm.Pinned || cm.ReferenceEndpoint != jungle.URL || cm.Endpoint != wax.URL {
		t.Fatalf("got %v", err)
	}
	var ue *UnavailableError
	if !errors.As(err, &ue) || ue.Need != 2 || ue.Got != 1 {
		t.Errorf("got %v", err)
	}
	for _, s := range []string{jungle.URL, wax.URL, jungleID, waxID} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message lacks %q: %v", s, err)
		}
	}
	id, err := c.ChainID(context.Background())
	if err != nil || id.String() != jungleID {
		t.Errorf("learned chain id %s, %v", id, err)
	}
}

func TestQuorumDisagreement(t *testing.T) {
	honest := newFake(t, jungleID)
	liar := newFake(t, jungleID)
	var attacker signer.PublicKey
	liar.account, attacker = liarAccount(t)
	c := newClient(t, "", nil, honest.URL, liar.URL)

	_, err := c.WithQuorum(2).GetAccount(context.Background(), "teamgreymass")
	var de *DisagreementError
	if !errors.As(err, &de) {
		t.Fatalf("want DisagreementError, got %v", err)
	}
	if de.EndpointA != honest.URL || de.EndpointB != liar.URL {
		t.Errorf("endpoints %s %s", de.EndpointA, de.EndpointB)
	}
	claim := mustKey(t, claimKey).String()
	if !strings.Contains(string(de.AnswerA), claim) || strings.Contains(string(de.AnswerA), attacker.String()) ||
		!strings.Contains(string(de.AnswerB), attacker.String()) || strings.Contains(string(de.AnswerB), claim) {
		t.Errorf("answers do not carry the two versions:\nA %s\nB %s", de.AnswerA, de.AnswerB)
	}
	if !json.Valid(de.AnswerA) || !json.Valid(de.AnswerB) {
		t.Error("answers are not JSON")
	}
	if !strings.Contains(err.Error(), "nothing was signed") {
		t.Errorf("message: %v", err)
	}

	// Quorum 1 trusts the first endpoint that answers.
	a, err := c.GetAccount(context.Background(), "teamgreymass")
	if err != nil || a.Permission("claim").RequiredAuth.Keys[0].Key != mustKey(t, claimKey) {
		t.Fatalf("quorum 1: %v", err)
	}
	if liar.count("/v1/chain/get_account") != 1 {
		t.Errorf("quorum 1 asked the second endpoint")
	}
	c2 := newClient(t, "", nil, liar.URL, honest.URL)
	a, err = c2.GetAccount(context.Background(), "teamgreymass")
	if err != nil || a.Permission("claim").RequiredAuth.Keys[0].Key != attacker {
		t.Fatalf("quorum 1 returns the first answer: %v", err)
	}
}

// Endpoints at different heads, printing keys in different forms, agree.
func TestQuorumIgnoresVolatileFieldsAndKeyForms(t *testing.T) {
	a := newFake(t, jungleID)
	b := newFake(t, jungleID)
	var acc map[string]any
	_ = json.Unmarshal(a.account, &acc)
	acc["head_block_num"] = 1
	acc["cpu_limit"] = map[string]any{"used": 1}
	raw, _ := json.Marshal(acc)
	b.account = []byte(strings.Replace(string(raw), claimKey, mustKey(t, claimKey).String(), 1))
	if strings.Contains(string(b.account), claimKey) {
		t.Fatal("key not replaced")
	}
	c := newClient(t, "", nil, a.URL, downURL(t), b.URL)
	if _, err := c.WithQuorum(2).GetAccount(context.Background(), "teamgreymass"); err != nil {
		t.Fatal(err)
	}
}

func TestQuorumNotReached(t *testing.T) {
	a := newFake(t, jungleID)
	c := newClient(t, "", nil, a.URL, downURL(t))
	_, err := c.WithQuorum(2).GetAccount(context.Background(), "teamgreymass")
	var ue *UnavailableError
	if !errors.As(err, &ue) || ue.Need != 2 || ue.Got != 1 {
		t.Fatalf("got %v", err)
	}
	if _, err := c.WithQuorum(3).GetAccount(context.Background(), "teamgreymass"); err == nil || !strings.Contains(err.Error(), "only 2 are configured") {
		t.Errorf("got %v", err)
	}
}

func TestQuorumTableRows(t *testing.T) {
	row := func(trx string) []byte {
		return []byte(`{"rows":[{"proposal_name":"rotate","packed_transaction":"` + trx + `"}],"more":false,"next_key":""}`)
	}
	a := newFake(t, jungleID)
	b := newFake(t, jungleID)
	a.answers["/v1/chain/get_table_rows"] = row("aabb")
	b.answers["/v1/chain/get_table_rows"] = []byte(`{"next_key":"","more":false,"rows":[{"packed_transaction":"aabb","proposal_name":"rotate"}]}`)
	c := newClient(t, "", nil, a.URL, b.URL).WithQuorum(2)
	req := TableRowsRequest{Code: "eosio.msig", Scope: "bpteam111111", Table: "proposal", JSON: true, LowerBound: "rotate", UpperBound: "rotate", Limit: 1}
	r, err := c.GetTableRows(context.Background(), req)
	if err != nil || len(r.Rows) != 1 {
		t.Fatalf("reordered keys must agree: %v", err)
	}
	b.answers["/v1/chain/get_table_rows"] = row("aabc")
	_, err = c.GetTableRows(context.Background(), req)
	var de *DisagreementError
	if !errors.As(err, &de) || !strings.Contains(string(de.AnswerA), "aabb") || !strings.Contains(string(de.AnswerB), "aabc") {
		t.Fatalf("got %v", err)
	}
}

func TestGetAllTableRowsPages(t *testing.T) {
	f := newFake(t, jungleID)
	pages := map[string]string{
		"":  `{"rows":[1,2],"more":true,"next_key":"3"}`,
		"3": `{"rows":[3,4],"more":true,"next_key":"5"}`,
		"5": `{"rows":[5],"more":false,"next_key":""}`,
	}
	var seen []string
	f.setHandler(handlerFunc(func(path string, body map[string]any) (int, string) {
		switch path {
		case "/v1/chain/get_info":
			return 200, `{"chain_id":"` + jungleID + `"}`
		case "/v1/chain/get_table_rows":
			lb, _ := body["lower_bound"].(string)
			seen = append(seen, lb)
			return 200, pages[lb]
		}
		return 404, ""
	}))
	c := newClient(t, "", nil, f.URL)
	rows, err := c.GetAllTableRows(context.Background(), TableRowsRequest{Code: "eosio", Scope: "eosio", Table: "producers", JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || string(rows[4]) != "5" || strings.Join(seen, ",") != ",3,5" {
		t.Errorf("rows %s, lower bounds %q", rows, seen)
	}
}

func TestOtherReads(t *testing.T) {
	f := newFake(t, jungleID)
	f.answers["/v1/chain/get_abi"] = loadFixture(t, "get_abi.jungle4.eosio.json").JSON
	f.answers["/v1/chain/get_raw_abi"] = loadFixture(t, "get_raw_abi.jungle4.eosio.token.json").JSON
	f.answers["/v1/chain/get_currency_balance"] = []byte(`["4.9208 EOS"]`)
	f.answers["/v1/chain/get_table_by_scope"] = []byte(`{"rows":[{"code":"eosio.msig","scope":"bpteam111111","table":"proposal","payer":"bpteam111111","count":2}],"more":""}`)
	f.answers["/v1/chain/get_producers"] = []byte(`{"rows":[{"owner":"bpteam111111","total_votes":"123.5","producer_key":"` + claimKey + `","is_active":1,"url":"https://example.org","unpaid_blocks":0,"last_claim_time":"2026-01-01T00:00:00.000","location":0,"producer_authority":["block_signing_authority_v0",{"threshold":1,"keys":[{"key":"` + claimKey + `","weight":1}]}]},{"owner":"gone","total_votes":"0","producer_key":"` + NullKey + `","is_active":0,"url":"","unpaid_blocks":0,"last_claim_time":"2026-01-01T00:00:00.000","location":0}],"total_producer_vote_weight":"123.5","more":""}`)
	c := newClient(t, jungleID, nil, f.URL)
	ctx := context.Background()
	abi, err := c.GetABI(ctx, "eosio")
	if err != nil || abi.AccountName != "eosio" {
		t.Fatalf("get_abi: %v", err)
	}
	raw, err := c.GetRawABI(ctx, "eosio.token")
	if err != nil || len(raw.ABI) != 508 {
		t.Fatalf("get_raw_abi: %v", err)
	}
	bal, err := c.GetCurrencyBalance(ctx, "eosio.token", "wharfkit1115", "EOS")
	if err != nil || len(bal) != 1 || bal[0] != "4.9208 EOS" {
		t.Fatalf("balance %v %v", bal, err)
	}
	scopes, err := c.GetAllTableScopes(ctx, TableByScopeRequest{Code: "eosio.msig", Table: "proposal"})
	if err != nil || len(scopes) != 1 || scopes[0].Count != 2 {
		t.Fatalf("scopes %v %v", scopes, err)
	}
	prods, err := c.GetProducers(ctx, ProducersRequest{Limit: 50})
	if err != nil || len(prods.Rows) != 2 {
		t.Fatalf("producers %v", err)
	}
	if k, ok, err := prods.Rows[0].Key(); err != nil || !ok || k != mustKey(t, claimKey) {
		t.Errorf("producer key %v %v %v", k, ok, err)
	}
	if _, ok, err := prods.Rows[1].Key(); err != nil || ok {
		t.Errorf("null key: %v %v", ok, err)
	}
	// Votes move every block: a quorum does not compare them.
	g := newFake(t, jungleID)
	g.answers["/v1/chain/get_producers"] = []byte(strings.Replace(string(f.answers["/v1/chain/get_producers"]), `"total_votes":"123.5"`, `"total_votes":"124.5"`, 1))
	if _, err := newClient(t, "", nil, f.URL, g.URL).WithQuorum(2).GetProducers(ctx, ProducersRequest{}); err != nil {
		t.Errorf("votes compared: %v", err)
	}
	g.answers["/v1/chain/get_producers"] = []byte(strings.Replace(string(f.answers["/v1/chain/get_producers"]), `"is_active":1`, `"is_active":0`, 1))
	var de *DisagreementError
	if _, err := newClient(t, "", nil, f.URL, g.URL).WithQuorum(2).GetProducers(ctx, ProducersRequest{}); !errors.As(err, &de) {
		t.Errorf("is_active not compared: %v", err)
	}
}
