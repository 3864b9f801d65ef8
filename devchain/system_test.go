package devchain

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
)

func TestClaimRewards24h(t *testing.T) {
	e := newEnv(t, testGenesis())
	claim := func() error {
		_, err := e.push([]*eos.Action{act("eosio", "claimrewards", contracts.ClaimRewards{Owner: "bpteam111111"}, "bpteam111111@claim")}, kClaim)
		return err
	}
	if err := claim(); err != nil {
		t.Fatalf("first claim (genesis last_claim_time 0): %v", err)
	}
	if got := e.balance("bpteam111111"); got != "160.0000 EOS" {
		t.Fatalf("balance after claim %s, want 160.0000 EOS", got)
	}
	e.c.ProduceBlocks(1)
	err := claim()
	wantErr(t, err, ErrEosioAssert, "assertion failure with message: already claimed rewards within past day")
	if err.(*Error).Code != 3050003 {
		t.Fatal("code")
	}
	// Exactly 24 h after the claim is still too early (strictly greater).
	head := e.c.Head()
	if _, err := e.c.AdvanceTime(24*time.Hour - head.Time.Sub(head.Time) - 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	wantErr(t, claim(), ErrEosioAssert, "already claimed rewards within past day")
	if _, err := e.c.AdvanceTime(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := claim(); err != nil {
		t.Fatalf("claim after 24 h + 1 s: %v", err)
	}
	if got := e.balance("bpteam111111"); got != "310.0000 EOS" {
		t.Fatalf("balance after second claim %s", got)
	}
}

func TestBPayClaimRewards(t *testing.T) {
	e := newEnv(t, testGenesis())
	claim := func() error {
		_, err := e.push([]*eos.Action{act("eosio.bpay", "claimrewards", contracts.ClaimRewards{Owner: "bpteam111111"}, "bpteam111111@claim")}, kClaim)
		return err
	}
	if err := claim(); err != nil {
		t.Fatal(err)
	}
	if got := e.balance("bpteam111111"); got != "110.0000 EOS" {
		t.Fatalf("balance %s", got)
	}
	e.c.ProduceBlocks(1)
	wantErr(t, claim(), ErrEosioAssert, "no rewards to claim")
	if _, err := e.c.AdvanceTime(12 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := claim(); err != nil {
		t.Fatal(err)
	}
	if got := e.balance("bpteam111111"); got != "160.0000 EOS" {
		t.Fatalf("balance after half a day %s", got)
	}
}

func TestProducerActions(t *testing.T) {
	e := newEnv(t, testGenesis())
	newKey := kOther.PublicKey()
	// regproducer through the team's active (2 of 3).
	e.mustPush([]*eos.Action{act("eosio", "regproducer", contracts.RegProducer{Producer: "bpteam111111", ProducerKey: newKey.ECC(), URL: "https://bp.example", Location: 276}, "bpteam111111@active")}, kAlice, kBob)
	rows, err := e.c.GetTableRows(TableRowsRequest{Code: "eosio", Scope: "eosio", Table: "producers", JSON: true, LowerBound: "bpteam111111", Limit: []byte("1")})
	if err != nil {
		t.Fatal(err)
	}
	row := rows.Rows[0].(interface{ MarshalJSON() ([]byte, error) })
	js, _ := row.MarshalJSON()
	for _, want := range []string{`"producer_key":"` + newKey.Legacy() + `"`, `"is_active":1`, `"total_votes":"0.00000000000000000"`, `"producer_authority":["block_signing_authority_v0"`, `"location":276`} {
		if !contains(string(js), want) {
			t.Errorf("producers row %s lacks %s", js, want)
		}
	}
	// regproducer2 with an invalid authority.
	e.c.ProduceBlocks(1)
	_, err = e.push([]*eos.Action{act("eosio", "regproducer2", contracts.RegProducer2{Producer: "bpteam111111", ProducerAuthority: contracts.BlockSigningAuthority{Threshold: 2, Keys: []eos.KeyWeight{{PublicKey: newKey.ECC(), Weight: 1}}}, URL: "u"}, "bpteam111111@active")}, kAlice, kBob)
	wantErr(t, err, ErrEosioAssert, "invalid producer authority")
	// unregprod, then claimrewards refuses.
	e.mustPush([]*eos.Action{act("eosio", "unregprod", contracts.UnregProd{Producer: "bpteam111111"}, "bpteam111111@active")}, kAlice, kBob)
	_, err = e.push([]*eos.Action{act("eosio", "claimrewards", contracts.ClaimRewards{Owner: "bpteam111111"}, "bpteam111111@claim")}, kClaim)
	wantErr(t, err, ErrEosioAssert, "producer does not have an active key")
	// An account that never registered: the contract's _producers.get(owner)
	// fails with multi_index's default message.
	e.c.ProduceBlocks(1)
	_, err = e.push([]*eos.Action{act("eosio", "claimrewards", contracts.ClaimRewards{Owner: "alice"}, "alice@active")}, kAlice)
	wantErr(t, err, ErrEosioAssert, "assertion failure with message: unable to find key")
	// A fresh producer must wait 24 h for its first claim.
	e.c.ProduceBlocks(1)
	e.mustPush([]*eos.Action{act("eosio", "regproducer", contracts.RegProducer{Producer: "alice", ProducerKey: newKey.ECC(), URL: "", Location: 0}, "alice@active")}, kAlice)
	_, err = e.push([]*eos.Action{act("eosio", "claimrewards", contracts.ClaimRewards{Owner: "alice"}, "alice@active")}, kAlice)
	wantErr(t, err, ErrEosioAssert, "already claimed rewards within past day")
}

func contains(s, sub string) bool { return len(s) >= len(sub) && (s == sub || index(s, sub) >= 0) }

func index(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestRequiredKeys(t *testing.T) {
	e := newEnv(t, testGenesis())
	all := []signer.PublicKey{kAlice.PublicKey(), kBob.PublicKey(), kCarol.PublicKey(), kClaim.PublicKey(), kOther.PublicKey()}
	cases := []struct {
		auth string
		code string
		want int
	}{
		{"alice@active", "eosio.token", 1},
		{"bpteam111111@active", "eosio.token", 2},
		{"bpteam111111@claim", "eosio", 1},
	}
	for _, tc := range cases {
		keys, err := e.c.RequiredKeys([]*eos.Action{act(tc.code, "x", []byte{}, tc.auth)}, all)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != tc.want {
			t.Errorf("%s: required %v, want %d keys", tc.auth, keys, tc.want)
		}
	}
	_, err := e.c.RequiredKeys([]*eos.Action{act("eosio.token", "x", []byte{}, "bpteam111111@active")}, all[:1])
	wantErr(t, err, ErrUnsatisfied, `transaction declares authority '{"actor":"bpteam111111","permission":"active"}', but does not have signatures for it.`)
}

func TestTablePaging10k(t *testing.T) {
	e := newEnv(t, testGenesis())
	fillProposals(e.c, "alice", 10000)
	seen := 0
	lower := ""
	for {
		rows, err := e.c.GetTableRows(TableRowsRequest{Code: "eosio.msig", Scope: "alice", Table: "proposal", JSON: true, LowerBound: lower, Limit: []byte("1000")})
		if err != nil {
			t.Fatal(err)
		}
		seen += len(rows.Rows)
		if !rows.More {
			if rows.NextKey != "" {
				t.Fatal("next_key without more")
			}
			break
		}
		if len(rows.Rows) != 1000 {
			t.Fatalf("page of %d rows", len(rows.Rows))
		}
		lower = rows.NextKey
	}
	if seen != 10000 {
		t.Fatalf("paged %d rows", seen)
	}
	// Bounds are inclusive, as in nodeos; names order by value, so
	// p100..p109 also spans p1000..p1089 (90 names): 100 rows.
	lo, hi := fmt.Sprint(nameValue(mapDigits("p100"))), mapDigits("p109")
	rows, err := e.c.GetTableRows(TableRowsRequest{Code: "eosio.msig", Scope: "alice", Table: "proposal", LowerBound: lo, UpperBound: hi, Limit: []byte("1000")})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows.Rows) != 100 || rows.More {
		t.Fatalf("bounded read: %d rows more=%v", len(rows.Rows), rows.More)
	}
	rows, _ = e.c.GetTableRows(TableRowsRequest{Code: "eosio.msig", Scope: "alice", Table: "proposal", LowerBound: lo, UpperBound: hi, Limit: []byte("60"), KeyType: "name"})
	if len(rows.Rows) != 60 || !rows.More || rows.NextKey != mapDigits("p1054") {
		t.Fatalf("bounded page: %d rows more=%v next=%q", len(rows.Rows), rows.More, rows.NextKey)
	}
	if _, ok := rows.Rows[0].(string); !ok {
		t.Fatalf("json=false rows must be hex strings, got %T", rows.Rows[0])
	}
}

// fillProposals writes n proposal rows directly (a benchmark fixture, not
// the propose path).
func fillProposals(c *Chain, proposer string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; i < n; i++ {
		name := eos.Name(fmt.Sprintf("p%d", i))
		name = eos.Name(mapDigits(string(name)))
		c.db.setRow(proposalTable(proposer), nameValue(string(name)), nameValue(proposer), contracts.MustEncode(contracts.ProposalRowExec{ProposalRow: contracts.ProposalRow{ProposalName: name, PackedTransaction: []byte{1, 2, 3}}}))
	}
	c.db.commit()
}

// mapDigits maps 0-9 to name characters (names have only 1-5).
func mapDigits(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if ch >= '0' && ch <= '9' {
			b[i] = "abcdefghij"[ch-'0']
		}
	}
	return string(b)
}

func TestStatePersistence(t *testing.T) {
	dir := t.TempDir()
	c, err := New(testGenesis(), Options{ManualClock: true, StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, c: c}
	inner, _ := e.proposeTrx(act("eosio.token", "transfer", transfer("bpteam111111", "alice", "1.0000 EOS"), "bpteam111111@active"))
	e.mustPush([]*eos.Action{act("eosio.msig", "propose", contracts.Propose{Proposer: "alice", ProposalName: "keep", Requested: []eos.PermissionLevel{lv("alice@active"), lv("bob@active")}, Trx: inner}, "alice@active")}, kAlice)
	e.mustPush([]*eos.Action{act("eosio", "newaccount", contracts.NewAccount{Creator: "alice", Name: "dave", Owner: keysAuth(1, kAlice), Active: keysAuth(1, kAlice)}, "alice@active")}, kAlice)
	req := e.request(e.trx([]*eos.Action{act("eosio", "regproducer", contracts.RegProducer{Producer: "alice", ProducerKey: kOther.PublicKey().ECC()}, "alice@active")}), kAlice)
	if _, err := c.PushTransaction(req); err != nil {
		t.Fatal(err)
	}
	head := c.Head()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// No temporary files are left next to the state.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != StateFile {
		t.Fatalf("state dir holds %v", ents)
	}
	c2, err := New(nil, Options{ManualClock: true, StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	e2 := &env{t: t, c: c2}
	if c2.Head() != head || c2.ChainID() != c.ChainID() {
		t.Fatalf("head %v after restart, want %v", c2.Head(), head)
	}
	if _, err := c2.GetAccount("dave"); err != nil {
		t.Fatal("dave lost")
	}
	rows, _ := c2.GetTableRows(TableRowsRequest{Code: "eosio.msig", Scope: "alice", Table: "proposal"})
	if len(rows.Rows) != 1 {
		t.Fatal("proposal lost")
	}
	rows, _ = c2.GetTableRows(TableRowsRequest{Code: "eosio", Scope: "eosio", Table: "producers", Limit: []byte("10")})
	if len(rows.Rows) != 2 {
		t.Fatalf("producers after restart: %d", len(rows.Rows))
	}
	// The same transaction is still known as a duplicate.
	_, err = c2.PushTransaction(req)
	wantErr(t, err, ErrDuplicateTx, "")
	// A genesis for another chain is refused.
	g := testGenesis()
	g.ChainID = "00" + c.ChainID().String()[2:]
	if _, err := New(g, Options{ManualClock: true, StateDir: dir}); err == nil {
		t.Fatal("state of another chain accepted")
	}
	_ = e2
	if _, err := os.Stat(filepath.Join(dir, StateFile)); err != nil {
		t.Fatal(err)
	}
}
