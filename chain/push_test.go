package chain

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

// signedClaim returns a transaction signed by a test key (the fakes do not
// check signatures; Push refuses unsigned transactions).
func signedClaim(t *testing.T) (*eos.SignedTransaction, Checksum256) {
	t.Helper()
	id, _ := ParseChecksum256(jungleLIB)
	tx, err := BuildTransaction(id, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), claimActions(), 0)
	if err != nil {
		t.Fatal(err)
	}
	key := testsigner.FromSeed(signer.CurveR1, "claim")
	chainID, _ := signer.ParseChainID(jungleID)
	if err := signer.SignTransaction(context.Background(), tx, chainID, []signer.PublicKey{key.PublicKey()}, []signer.Signer{key}); err != nil {
		t.Fatal(err)
	}
	p, err := Pack(tx)
	if err != nil {
		t.Fatal(err)
	}
	txID, err := p.ID()
	if err != nil {
		t.Fatal(err)
	}
	return tx, txID
}

func TestPushReturnsTrace(t *testing.T) {
	f := newFake(t, jungleID)
	c := newClient(t, jungleID, nil, f.URL)
	tx, id := signedClaim(t)
	res, err := c.Push(context.Background(), tx)
	if err != nil {
		t.Fatal(err)
	}
	if res.TransactionID != id || res.AlreadyKnown || res.Endpoint != f.URL || len(res.Processed) == 0 {
		t.Errorf("%+v", res)
	}
	if res.Trace == nil || res.Trace.Receipt.Status != "executed" || len(res.Trace.ActionTraces) != 1 ||
		res.Trace.ActionTraces[0].Receipt.GlobalSequence != 4294967297 || strings.Join(res.Trace.Consoles(), "") != "claimed" {
		t.Errorf("trace %+v", res.Trace)
	}
	if f.ledger.count(id.String()) != 1 {
		t.Error("not applied once")
	}
}

func TestPushRefusesUnsigned(t *testing.T) {
	id, _ := ParseChecksum256(jungleLIB)
	tx, _ := BuildTransaction(id, time.Now(), claimActions(), 0)
	f := newFake(t, jungleID)
	if _, err := newClient(t, "", nil, f.URL).Push(context.Background(), tx); err == nil {
		t.Fatal("unsigned transaction pushed")
	}
	if f.count("/v1/chain/send_transaction") != 0 {
		t.Error("sent")
	}
}

// The node applies the transaction and drops the connection; it serves
// get_transaction_status, which confirms the transaction.
func TestPushLostAnswerConfirmedByStatus(t *testing.T) {
	f := newFake(t, jungleID)
	f.dropApplied = 1
	f.statusAPI = true
	var l logs
	c := newClient(t, "", &l, f.URL)
	tx, id := signedClaim(t)
	res, err := c.Push(context.Background(), tx)
	if err != nil {
		t.Fatalf("reported failure for an applied transaction: %v", err)
	}
	if !res.AlreadyKnown || res.Status != "IN_BLOCK" || res.TransactionID != id {
		t.Errorf("%+v", res)
	}
	if n := f.ledger.count(id.String()); n != 1 {
		t.Errorf("applied %d times", n)
	}
	if n := f.count("/v1/chain/send_transaction"); n != 1 {
		t.Errorf("sent %d times; the status check should have avoided a re-send", n)
	}
	if !strings.Contains(l.String(), "has it (IN_BLOCK)") {
		t.Errorf("log: %s", l.String())
	}
}

// Without get_transaction_status the client re-sends the same bytes; the
// node's tx_duplicate answer is success.
func TestPushLostAnswerResentAsDuplicate(t *testing.T) {
	f := newFake(t, jungleID)
	f.dropApplied = 1
	c := newClient(t, "", nil, f.URL)
	tx, id := signedClaim(t)
	res, err := c.Push(context.Background(), tx)
	if err != nil {
		t.Fatalf("reported failure for an applied transaction: %v", err)
	}
	if !res.AlreadyKnown || res.TransactionID != id {
		t.Errorf("%+v", res)
	}
	if n := f.ledger.count(id.String()); n != 1 {
		t.Errorf("applied %d times", n)
	}
	if n := f.count("/v1/chain/send_transaction"); n != 2 {
		t.Errorf("sent %d times, want 2", n)
	}
}

// The first node applies and drops, then the client moves on: the second
// node of the same chain already has the transaction.
func TestPushLostAnswerSecondEndpointKnowsIt(t *testing.T) {
	shared := newLedger()
	a := newFake(t, jungleID)
	a.ledger = shared
	a.dropApplied = 2 // also drops the re-send (answered as duplicate, but the answer is lost too)
	b := newFake(t, jungleID)
	b.ledger = shared
	c := newClient(t, "", nil, a.URL, b.URL)
	tx, id := signedClaim(t)
	// a: send (applied, dropped); status 404; re-send -> duplicate 409
	// (answered). The duplicate answer is success.
	res, err := c.Push(context.Background(), tx)
	if err != nil {
		t.Fatal(err)
	}
	if !res.AlreadyKnown || shared.count(id.String()) != 1 {
		t.Errorf("%+v, applied %d", res, shared.count(id.String()))
	}

	// Now a node that drops every send without applying, then a good node.
	shared2 := newLedger()
	bad := newFake(t, jungleID)
	bad.dropOnly = true
	bad.ledger = shared2
	good := newFake(t, jungleID)
	good.ledger = shared2
	good.statusAPI = true
	res, err = newClient(t, "", nil, bad.URL, good.URL).Push(context.Background(), tx)
	if err != nil {
		t.Fatal(err)
	}
	if res.AlreadyKnown || res.Endpoint != good.URL || shared2.count(id.String()) != 1 || res.Trace == nil {
		t.Errorf("%+v, applied %d", res, shared2.count(id.String()))
	}
	if bad.count("/v1/chain/send_transaction") != 2 || good.count("/v1/chain/get_transaction_status") != 1 {
		t.Errorf("bad sends %d, good status checks %d", bad.count("/v1/chain/send_transaction"), good.count("/v1/chain/get_transaction_status"))
	}
}

func TestPushUncertainWhenNobodyConfirms(t *testing.T) {
	f := newFake(t, jungleID)
	f.dropOnly = true
	c := newClient(t, "", nil, f.URL)
	tx, id := signedClaim(t)
	_, err := c.Push(context.Background(), tx)
	var ue *PushUncertainError
	if !errors.As(err, &ue) || ue.ID != id {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), id.String()) || !strings.Contains(err.Error(), "may be on chain") {
		t.Errorf("message: %v", err)
	}
}

func TestPushNodeosErrorIsFinal(t *testing.T) {
	a := newFake(t, jungleID)
	a.errors["/v1/chain/send_transaction"] = claimedBody
	b := newFake(t, jungleID)
	c := newClient(t, "", nil, a.URL, b.URL)
	tx, _ := signedClaim(t)
	_, err := c.Push(context.Background(), tx)
	if !IsAssertion(err, "already claimed rewards within past day") {
		t.Fatalf("got %v", err)
	}
	if b.count("/v1/chain/send_transaction")+b.count("/v1/chain/push_transaction") != 0 {
		t.Error("a nodeos error failed over to another endpoint")
	}
	if a.count("/v1/chain/send_transaction") != 1 {
		t.Error("retried on the same endpoint")
	}
}

func TestPushFailsOverWhenUnreachable(t *testing.T) {
	good := newFake(t, jungleID)
	c := newClient(t, "", nil, downURL(t), good.URL)
	tx, id := signedClaim(t)
	res, err := c.Push(context.Background(), tx)
	if err != nil || res.Endpoint != good.URL || good.ledger.count(id.String()) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestPushProxy5xxIsUncertain(t *testing.T) {
	// A proxy answers 502 after forwarding: the client cannot know, re-sends.
	f := newFake(t, jungleID)
	f.bare5xx["/v1/chain/send_transaction"] = true
	c := newClient(t, "", nil, f.URL)
	tx, _ := signedClaim(t)
	_, err := c.Push(context.Background(), tx)
	var ue *PushUncertainError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v", err)
	}
}

func TestPushFallsBackToPushTransaction(t *testing.T) {
	f := newFake(t, jungleID)
	f.noSend = true
	c := newClient(t, "", nil, f.URL)
	tx, id := signedClaim(t)
	res, err := c.Push(context.Background(), tx)
	if err != nil || res.AlreadyKnown || f.ledger.count(id.String()) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	// Remembered: the second push goes straight to push_transaction.
	tx2, _ := signedClaim(t)
	_, _ = c.Push(context.Background(), tx2)
	if f.count("/v1/chain/send_transaction") != 1 || f.count("/v1/chain/push_transaction") != 2 {
		t.Errorf("send %d push %d", f.count("/v1/chain/send_transaction"), f.count("/v1/chain/push_transaction"))
	}
}

func TestPushRefusesOtherChain(t *testing.T) {
	wax := newFake(t, waxID)
	c := newClient(t, jungleID, nil, wax.URL)
	tx, _ := signedClaim(t)
	_, err := c.Push(context.Background(), tx)
	var cm *ChainMismatchError
	if !errors.As(err, &cm) {
		t.Fatalf("got %v", err)
	}
	if wax.count("/v1/chain/send_transaction") != 0 {
		t.Error("pushed to another chain")
	}
}

func TestPackedIDMatchesSHA256(t *testing.T) {
	tx, id := signedClaim(t)
	packed, _, _ := tx.PackedTransactionAndCFD()
	p, _ := Pack(tx)
	if p.Compression != "none" || string(p.PackedTrx) != string(packed) || len(p.Signatures) != 1 {
		t.Fatalf("%+v", p)
	}
	if got, _ := (&PackedTransaction{PackedTrx: packed}).ID(); got != id {
		t.Errorf("id %s != %s", got, id)
	}
}
