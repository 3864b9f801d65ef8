package devchain

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
)

func legacyGenesis() *Genesis {
	g := testGenesis()
	g.SystemContract = SystemLegacy
	return g
}

func producerRow(t *testing.T, c *Chain, owner string) (contracts.ProducerInfoWithAuthority, bool) {
	t.Helper()
	c.mu.Lock()
	r, ok := c.db.getRow(producersTable, nameValue(owner))
	c.mu.Unlock()
	if !ok {
		t.Fatalf("no producers row for %s", owner)
	}
	p, hasExt, err := contracts.DecodeProducerInfo(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	return p, hasExt
}

func TestLegacySystemContract(t *testing.T) {
	e := newEnv(t, legacyGenesis())
	ca, err := e.c.deployedABI("eosio")
	if err != nil || ca == nil {
		t.Fatalf("eosio ABI: %v", err)
	}
	for _, a := range []string{"regproducer2", "limitauthchg"} {
		if ca.hasAction(a) {
			t.Errorf("legacy eosio ABI has %s", a)
		}
	}
	for _, a := range []string{"regproducer", "claimrewards", "voteproducer", "updateauth"} {
		if !ca.hasAction(a) {
			t.Errorf("legacy eosio ABI lacks %s", a)
		}
	}
	if bp, err := e.c.deployedABI("eosio.bpay"); err != nil || bp != nil {
		t.Errorf("legacy eosio.bpay has an ABI (%v, %v)", bp, err)
	}
	before, hasExt := producerRow(t, e.c, "bpteam111111")
	if hasExt {
		t.Error("legacy producers row carries producer_authority")
	}

	// regproducer2 is not in the contract: the dispatcher ignores it, as a
	// real older eosio.system does, and the row does not change.
	two := contracts.BlockSigningAuthority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: kAlice.PublicKey().ECC(), Weight: 1}, {PublicKey: kCarol.PublicKey().ECC(), Weight: 1}}}
	e.mustPush([]*eos.Action{act("eosio", "regproducer2", contracts.RegProducer2{Producer: "alice", ProducerAuthority: two, URL: "https://a"}, "alice@active")}, kAlice)
	e.c.mu.Lock()
	_, aliceProd := e.c.db.getRow(producersTable, nameValue("alice"))
	e.c.mu.Unlock()
	if aliceProd {
		t.Error("regproducer2 registered a producer on a legacy chain")
	}
	// eosio.bpay has no contract: an action to it runs no code.
	e.mustPush([]*eos.Action{act("eosio.bpay", "claimrewards", contracts.ClaimRewards{Owner: "alice"}, "alice@active")}, kAlice)
	// regproducer works and writes no producer_authority.
	e.mustPush([]*eos.Action{act("eosio", "regproducer", contracts.RegProducer{Producer: "alice", ProducerKey: kCarol.PublicKey().ECC(), URL: "https://a"}, "alice@active")}, kAlice)
	if p, ext := producerRow(t, e.c, "alice"); ext || p.ProducerKey.String() != kCarol.PublicKey().ECC().String() {
		t.Errorf("regproducer row: ext %v key %s", ext, p.ProducerKey)
	}
	if after, _ := producerRow(t, e.c, "bpteam111111"); after.ProducerKey.String() != before.ProducerKey.String() {
		t.Error("team's row changed")
	}

	// The flavour survives a restart.
	dir := t.TempDir()
	c, err := New(legacyGenesis(), Options{ManualClock: true, StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	c2, err := New(nil, Options{ManualClock: true, StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if c2.system != SystemLegacy || c2.abis["eosio"].hasAction("regproducer2") {
		t.Errorf("restarted chain is %q", c2.system)
	}
}

func TestDispatcherDefaults(t *testing.T) {
	e := newEnv(t, testGenesis())
	// In eosio's ABI but not modelled: the system contract's dispatcher
	// default (nothing) rather than an invented result.
	e.mustPush([]*eos.Action{act("eosio", "voteproducer", []byte{}, "alice@active")}, kAlice)
	// Not in eosio.token's ABI: CDT's dispatcher asserts with code 1.
	_, err := e.push([]*eos.Action{act("eosio.token", "nosuchaction", []byte{}, "alice@active")}, kAlice)
	wantErr(t, err, ErrAssertCode, "assertion failure with error code: 1")
	// A current chain keeps regproducer2 and producer_authority.
	two := contracts.BlockSigningAuthority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: kAlice.PublicKey().ECC(), Weight: 1}, {PublicKey: kCarol.PublicKey().ECC(), Weight: 1}}}
	e.mustPush([]*eos.Action{act("eosio", "regproducer2", contracts.RegProducer2{Producer: "alice", ProducerAuthority: two, URL: "https://a"}, "alice@active")}, kAlice)
	if p, ext := producerRow(t, e.c, "alice"); !ext || len(p.ProducerAuthority.Keys) != 2 {
		t.Errorf("regproducer2 row: ext %v %+v", ext, p.ProducerAuthority)
	}
}

func TestLinkedActionsInCreationOrder(t *testing.T) {
	e := newEnv(t, testGenesis())
	for _, l := range []contracts.LinkAuth{
		{Account: "bpteam111111", Code: "eosio.token", Type: "transfer", Requirement: "claim"},
		{Account: "bpteam111111", Code: "eosio", Type: "regproducer", Requirement: "claim"},
	} {
		_, err := e.push([]*eos.Action{act("eosio", "linkauth", l, "bpteam111111@active")}, kAlice, kBob)
		if err != nil {
			t.Fatal(err)
		}
	}
	info, err := e.c.GetAccount("bpteam111111")
	if err != nil {
		t.Fatal(err)
	}
	var claim []jsonLinkedAction
	for _, p := range info.Permissions {
		if p.PermName == "claim" {
			claim = p.LinkedActions
		}
	}
	b, _ := json.Marshal(claim)
	want := `[{"account":"eosio","action":"claimrewards"},{"account":"eosio.bpay","action":"claimrewards"},{"account":"eosio.token","action":"transfer"},{"account":"eosio","action":"regproducer"}]`
	if !bytes.Equal(b, []byte(want)) {
		t.Errorf("linked_actions %s\nwant %s", b, want)
	}
}

func TestTransactionStatus(t *testing.T) {
	e := newEnv(t, testGenesis())
	res := e.mustPush([]*eos.Action{act("eosio.token", "transfer", transfer("alice", "bob", "0.0001 EOS"), "alice@active")}, kAlice)
	var id [32]byte
	if err := decodeHex32(res.TransactionID, &id); err != nil {
		t.Fatal(err)
	}
	if st := e.c.GetTransactionStatus(id); st.State != "LOCALLY_APPLIED" {
		t.Errorf("before its block: %s", st.State)
	}
	e.c.ProduceBlocks(1)
	st := e.c.GetTransactionStatus(id)
	if st.State != "IRREVERSIBLE" || st.BlockNumber == nil || *st.BlockNumber != res.Processed.BlockNum {
		t.Errorf("after its block: %+v", st)
	}
	if st := e.c.GetTransactionStatus([32]byte{1}); st.State != "UNKNOWN" || st.BlockNumber != nil {
		t.Errorf("unknown id: %+v", st)
	}
}

func TestNotActivatedChainRefusesClaims(t *testing.T) {
	g := testGenesis()
	off := false
	g.Activated = &off
	e := newEnv(t, g)
	_, err := e.push([]*eos.Action{act("eosio", "claimrewards", contracts.ClaimRewards{Owner: "bpteam111111"}, "bpteam111111@claim")}, kClaim)
	wantErr(t, err, ErrEosioAssert, "cannot claim rewards until the chain is activated")
	// eosio.bpay has no such rule.
	e.mustPush([]*eos.Action{act("eosio.bpay", "claimrewards", contracts.ClaimRewards{Owner: "bpteam111111"}, "bpteam111111@claim")}, kClaim)
}

// TestStateWithoutGlobalTable: a state file written before the devchain
// kept eosio's global table loads as an activated chain.
func TestStateWithoutGlobalTable(t *testing.T) {
	dir := t.TempDir()
	c, err := New(testGenesis(), Options{ManualClock: true, StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	path := filepath.Join(dir, StateFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // scopes are uint64
	if err := dec.Decode(&s); err != nil {
		t.Fatal(err)
	}
	var kept []any
	for _, tb := range s["tables"].([]any) {
		if tb.(map[string]any)["table"] != "global" {
			kept = append(kept, tb)
		}
	}
	if len(kept) == len(s["tables"].([]any)) {
		t.Fatal("the state has no global table to remove")
	}
	s["tables"] = kept
	b, _ = json.Marshal(s)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	c2, err := New(nil, Options{ManualClock: true, StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	e := &env{t: t, c: c2}
	e.mustPush([]*eos.Action{act("eosio", "claimrewards", contracts.ClaimRewards{Owner: "bpteam111111"}, "bpteam111111@claim")}, kClaim)
}
