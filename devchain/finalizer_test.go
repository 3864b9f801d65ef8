package devchain

import (
	"encoding/json"
	"reflect"
	"testing"

	eos "github.com/eoscanada/eos-go"
	"github.com/eoscanada/eos-go/ecc"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/internal/blstest"
)

const bp = "bpteam111111"

func (e *env) bpPush(name string, data any) error {
	e.c.ProduceBlocks(1) // the same action twice is a new transaction
	_, err := e.push([]*eos.Action{act("eosio", name, data, bp+"@active")}, kAlice, kBob)
	return err
}

func regFin(p blstest.Pair) contracts.RegFinKey {
	return contracts.RegFinKey{FinalizerName: bp, FinalizerKey: p.Key.String(), ProofOfPossession: p.PoP.String()}
}

func (e *env) tableJSON(table string, v any) {
	e.t.Helper()
	res, err := e.c.GetTableRows(TableRowsRequest{Code: "eosio", Scope: "eosio", Table: table, JSON: true, Limit: json.RawMessage("100")})
	if err != nil {
		e.t.Fatal(err)
	}
	b, err := json.Marshal(res.Rows)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		e.t.Fatalf("%s rows %s: %v", table, b, err)
	}
}

func (e *env) finalizers() ([]contracts.FinalizerKeyRow, []contracts.FinalizerRow) {
	var keys []contracts.FinalizerKeyRow
	var fins []contracts.FinalizerRow
	e.tableJSON("finkeys", &keys)
	e.tableJSON("finalizers", &fins)
	return keys, fins
}

// The finalizer key rules of eos-system-contracts' finalizer_key.cpp.
func TestFinalizerKeyLifecycle(t *testing.T) {
	e := newEnv(t, testGenesis())
	k1, k2, k3 := blstest.NewPair("k1"), blstest.NewPair("k2"), blstest.NewPair("k3")

	// Only a registered producer can register.
	_, err := e.push([]*eos.Action{act("eosio", "regfinkey", contracts.RegFinKey{FinalizerName: "alice", FinalizerKey: k1.Key.String(), ProofOfPossession: k1.PoP.String()}, "alice@active")}, kAlice)
	wantErr(t, err, ErrEosioAssert, "finalizer alice is not a registered producer")
	// A proof made for another key fails on chain.
	wrong := regFin(k1)
	wrong.ProofOfPossession = k2.PoP.String()
	wantErr(t, e.bpPush("regfinkey", wrong), ErrEosioAssert, "proof of possession check failed")
	// Prefixes and checksums.
	bad := regFin(k1)
	bad.FinalizerKey = "PUB_K1_" + bad.FinalizerKey[8:]
	wantErr(t, e.bpPush("regfinkey", bad), ErrEosioAssert, "finalizer key does not start with PUB_BLS")
	bad = regFin(k1)
	bad.ProofOfPossession = "SIG_K1_x"
	wantErr(t, e.bpPush("regfinkey", bad), ErrEosioAssert, "proof of possession signature does not start with SIG_BLS")
	bad = regFin(k1)
	bad.FinalizerKey = bad.FinalizerKey[:20] + flip(bad.FinalizerKey[20]) + bad.FinalizerKey[21:]
	wantErr(t, e.bpPush("regfinkey", bad), ErrEosioAssert, "checksum of structure doesn't match")

	// The first key becomes active; later ones do not.
	for _, p := range []blstest.Pair{k1, k2} {
		if err := e.bpPush("regfinkey", regFin(p)); err != nil {
			t.Fatal(err)
		}
	}
	keys, fins := e.finalizers()
	if len(keys) != 2 || keys[0].ID != 0 || keys[1].ID != 1 || keys[0].FinalizerKey != k1.Key.String() {
		t.Fatalf("finkeys %+v", keys)
	}
	raw := k1.Key.Bytes()
	if !reflect.DeepEqual([]byte(keys[0].FinalizerKeyBinary), raw[:]) {
		t.Fatal("finalizer_key_binary is not the key's raw bytes")
	}
	if len(fins) != 1 || fins[0].ActiveKeyID != 0 || fins[0].FinalizerKeyCount != 2 {
		t.Fatalf("finalizers %+v", fins)
	}
	// A key registered by anyone cannot be registered again.
	wantErr(t, e.bpPush("regfinkey", regFin(k1)), ErrEosioAssert, "duplicate finalizer key: "+k1.Key.String())

	// The active key cannot be deleted while others exist.
	wantErr(t, e.bpPush("delfinkey", contracts.DelFinKey{FinalizerName: bp, FinalizerKey: k1.Key.String()}), ErrEosioAssert,
		"cannot delete an active key unless it is the last registered finalizer key, has 2 keys")
	wantErr(t, e.bpPush("actfinkey", contracts.ActFinKey{FinalizerName: bp, FinalizerKey: k1.Key.String()}), ErrEosioAssert, "finalizer key was already active")
	wantErr(t, e.bpPush("actfinkey", contracts.ActFinKey{FinalizerName: bp, FinalizerKey: k3.Key.String()}), ErrEosioAssert, "finalizer key was not registered")
	if err := e.bpPush("actfinkey", contracts.ActFinKey{FinalizerName: bp, FinalizerKey: k2.Key.String()}); err != nil {
		t.Fatal(err)
	}
	if err := e.bpPush("delfinkey", contracts.DelFinKey{FinalizerName: bp, FinalizerKey: k1.Key.String()}); err != nil {
		t.Fatalf("deleting the inactive key: %v", err)
	}
	keys, fins = e.finalizers()
	if len(keys) != 1 || keys[0].ID != 1 || len(fins) != 1 || fins[0].ActiveKeyID != 1 || fins[0].FinalizerKeyCount != 1 {
		t.Fatalf("after delete: %+v %+v", keys, fins)
	}
	// Ids are never reused.
	if err := e.bpPush("regfinkey", regFin(k3)); err != nil {
		t.Fatal(err)
	}
	keys, _ = e.finalizers()
	if keys[len(keys)-1].ID != 2 {
		t.Fatalf("new key id %d, want 2", keys[len(keys)-1].ID)
	}
	// The last key, active, can go; the finalizer row goes with it.
	if err := e.bpPush("delfinkey", contracts.DelFinKey{FinalizerName: bp, FinalizerKey: k3.Key.String()}); err != nil {
		t.Fatal(err)
	}
	if err := e.bpPush("delfinkey", contracts.DelFinKey{FinalizerName: bp, FinalizerKey: k2.Key.String()}); err != nil {
		t.Fatal(err)
	}
	keys, fins = e.finalizers()
	if len(keys) != 0 || len(fins) != 0 {
		t.Fatalf("after deleting all: %+v %+v", keys, fins)
	}
	wantErr(t, e.bpPush("actfinkey", contracts.ActFinKey{FinalizerName: bp, FinalizerKey: k2.Key.String()}), ErrEosioAssert, "finalizer bpteam111111 has not registered any finalizer keys")
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// After switchtosvnn a producer without an active finalizer key is not
// scheduled, and actfinkey replaces the key in the proposed finalizers.
func TestSavannaScheduleRule(t *testing.T) {
	g := testGenesis()
	g.Producers = append(g.Producers, GenesisProducer{Owner: "alice", ProducerKey: kProd.PublicKey().Legacy(), URL: "https://alice.example"})
	e := newEnv(t, g)
	if got := e.c.ProducerSchedule(); !reflect.DeepEqual(got, []string{"alice", bp}) {
		t.Fatalf("schedule before the switch: %v", got)
	}
	k1, k2 := blstest.NewPair("s1"), blstest.NewPair("s2")
	for _, p := range []blstest.Pair{k1, k2} {
		if err := e.bpPush("regfinkey", regFin(p)); err != nil {
			t.Fatal(err)
		}
	}
	// switchtosvnn needs eosio's authority, which no test key holds.
	_, err := e.push([]*eos.Action{act("eosio", "switchtosvnn", struct{}{}, "alice@active")}, kAlice)
	wantErr(t, err, ErrMissingAuth, "missing authority of eosio")
	wantErr(t, e.c.SwitchToSavanna(), ErrEosioAssert, "not enough top producers have registered finalizer keys, has 1, require 2")

	a1 := blstest.NewPair("alice1")
	_, err = e.push([]*eos.Action{act("eosio", "regfinkey", contracts.RegFinKey{FinalizerName: "alice", FinalizerKey: a1.Key.String(), ProofOfPossession: a1.PoP.String()}, "alice@active")}, kAlice)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.c.SwitchToSavanna(); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.c.SwitchToSavanna(), ErrEosioAssert, "switchtosvnn can be run only once")
	var lp []contracts.LastPropFinalizersRow
	e.tableJSON("lastpropfins", &lp)
	if len(lp) != 1 || len(lp[0].LastProposedFinalizers) != 2 || lp[0].LastProposedFinalizers[0].KeyID != 0 {
		t.Fatalf("lastpropfins %+v", lp)
	}
	if err := e.bpPush("actfinkey", contracts.ActFinKey{FinalizerName: bp, FinalizerKey: k2.Key.String()}); err != nil {
		t.Fatal(err)
	}
	e.tableJSON("lastpropfins", &lp)
	ids := []uint64{lp[0].LastProposedFinalizers[0].KeyID, lp[0].LastProposedFinalizers[1].KeyID}
	if !reflect.DeepEqual(ids, []uint64{1, 2}) {
		t.Fatalf("proposed finalizer key ids %v, want [1 2] (bpteam's active key replaced)", ids)
	}
	// alice deletes her only key: after the switch she is no longer scheduled.
	_, err = e.push([]*eos.Action{act("eosio", "delfinkey", contracts.DelFinKey{FinalizerName: "alice", FinalizerKey: a1.Key.String()}, "alice@active")}, kAlice)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.c.ProducerSchedule(); !reflect.DeepEqual(got, []string{bp}) {
		t.Fatalf("schedule after alice lost her finalizer key: %v", got)
	}
}

// regpeerkey/delpeerkey of peer_keys.cpp, and the peerkeys rows as nodeos
// prints them.
func TestPeerKeys(t *testing.T) {
	e := newEnv(t, testGenesis())
	k1, k2 := kBob.PublicKey().ECC(), kCarol.PublicKey().ECC() // R1, then K1
	reg := func(k ecc.PublicKey) error {
		return e.bpPush("regpeerkey", contracts.RegPeerKey{ProposerFinalizerName: bp, Key: k})
	}
	del := func(k ecc.PublicKey) error {
		return e.bpPush("delpeerkey", contracts.DelPeerKey{ProposerFinalizerName: bp, Key: k})
	}
	wantErr(t, del(k1), ErrEosioAssert, "Key not present for name: bpteam111111")
	if err := reg(k1); err != nil {
		t.Fatal(err)
	}
	wantErr(t, reg(k1), ErrEosioAssert, "Provided key is the same as currently stored one")
	if err := reg(k2); err != nil {
		t.Fatalf("replacing the key: %v", err)
	}
	var rows []contracts.PeerKeyRow
	e.tableJSON("peerkeys", &rows)
	if len(rows) != 1 || rows[0].Account != bp || rows[0].Key == nil || rows[0].Key.String() != k2.String() {
		t.Fatalf("peerkeys %+v", rows)
	}
	res, _ := e.c.GetTableRows(TableRowsRequest{Code: "eosio", Scope: "eosio", Table: "peerkeys", JSON: true})
	b, _ := json.Marshal(res.Rows[0])
	want := `{"account":"bpteam111111","data":["v0_data",{"pubkey":"` + kCarol.PublicKey().Legacy() + `"}]}`
	if string(b) != want {
		t.Errorf("row %s, want %s", b, want)
	}
	wantErr(t, del(k1), ErrEosioAssert, "Current key does not match the provided one")
	if err := del(k2); err != nil {
		t.Fatal(err)
	}
	e.tableJSON("peerkeys", &rows)
	if len(rows) != 0 {
		t.Fatalf("rows after delete: %+v", rows)
	}
}
