package devchain

import (
	"encoding/hex"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
)

func TestTransactionChecks(t *testing.T) {
	e := newEnv(t, testGenesis())
	xfer := func(from string, auth string) *eos.Action {
		return act("eosio.token", "transfer", transfer(from, "carol", "1.0000 EOS"), auth)
	}
	// The team links eosio.token::transfer to nothing: claim cannot transfer.
	cases := []struct {
		name string
		req  func() PushRequest
		kind *Error
		msg  string
	}{
		{"good K1", func() PushRequest { return e.request(e.trx([]*eos.Action{xfer("alice", "alice@active")}), kAlice) }, nil, ""},
		{"good R1", func() PushRequest { return e.request(e.trx([]*eos.Action{xfer("bob", "bob@active")}), kBob) }, nil, ""},
		{"missing signature", func() PushRequest { return e.request(e.trx([]*eos.Action{xfer("alice", "alice@active")})) },
			ErrUnsatisfied, `transaction declares authority '{"actor":"alice","permission":"active"}', but does not have signatures for it`},
		{"wrong key", func() PushRequest { return e.request(e.trx([]*eos.Action{xfer("alice", "alice@active")}), kBob) },
			ErrUnsatisfied, "but does not have signatures for it"},
		{"2-of-3 accounts with one", func() PushRequest {
			return e.request(e.trx([]*eos.Action{xfer("bpteam111111", "bpteam111111@active")}), kAlice)
		}, ErrUnsatisfied, `'{"actor":"bpteam111111","permission":"active"}'`},
		{"2-of-3 accounts with two", func() PushRequest {
			return e.request(e.trx([]*eos.Action{xfer("bpteam111111", "bpteam111111@active")}), kAlice, kBob)
		}, nil, ""},
		{"2-of-3 accounts with three: one irrelevant", func() PushRequest {
			return e.request(e.trx([]*eos.Action{xfer("bpteam111111", "bpteam111111@active")}), kAlice, kBob, kCarol)
		}, ErrIrrelevantSig, "transaction bears irrelevant signatures from these keys: "},
		{"depth 6 satisfied", func() PushRequest {
			return e.request(e.trx([]*eos.Action{act("eosio.null", "nonce", []byte{1}, "deepb@active")}), kDeep)
		}, nil, ""},
		{"depth 7 not satisfied", func() PushRequest {
			return e.request(e.trx([]*eos.Action{act("eosio.null", "nonce", []byte{2}, "deepa@active")}), kDeep)
		}, ErrUnsatisfied, "deepa"},
		{"claim key can claimrewards", func() PushRequest {
			return e.request(e.trx([]*eos.Action{act("eosio", "claimrewards", contracts.ClaimRewards{Owner: "bpteam111111"}, "bpteam111111@claim")}), kClaim)
		}, nil, ""},
		{"claim key cannot transfer", func() PushRequest {
			return e.request(e.trx([]*eos.Action{xfer("bpteam111111", "bpteam111111@claim")}), kClaim)
		}, ErrIrrelevantAuth, `action declares irrelevant authority '{"actor":"bpteam111111","permission":"claim"}'; minimum authority is {"actor":"bpteam111111","permission":"active"}`},
		{"parent (active) satisfies linked claim", func() PushRequest {
			return e.request(e.trx([]*eos.Action{act("eosio.bpay", "claimrewards", contracts.ClaimRewards{Owner: "bpteam111111"}, "bpteam111111@active")}), kAlice, kCarol)
		}, nil, ""},
		{"irrelevant signature", func() PushRequest {
			return e.request(e.trx([]*eos.Action{xfer("alice", "alice@active")}), kAlice, kOther)
		}, ErrIrrelevantSig, kOther.PublicKey().Legacy()},
		{"duplicate signature", func() PushRequest {
			tx := e.trx([]*eos.Action{xfer("alice", "alice@active")})
			r := e.request(tx, kAlice, kAlice)
			return r
		}, ErrDuplicateSig, "transaction includes more than one signature signed using the same key associated with public key: " + kAlice.PublicKey().Legacy()},
		{"non-canonical K1", func() PushRequest {
			tx := e.trx([]*eos.Action{xfer("alice", "alice@active")})
			packed := contracts.MustEncode(tx)
			sig := nonCanonicalK1(t, kAlice, signer.Digest(e.c.ChainID(), packed, nil))
			return PushRequest{Signatures: []string{sig.String()}, PackedTrx: hex.EncodeToString(packed)}
		}, ErrAssert, "signature is not canonical"},
		{"high-S R1", func() PushRequest {
			tx := e.trx([]*eos.Action{xfer("bob", "bob@active")})
			r := e.request(tx, kBob)
			sig, _ := signer.ParseSignature(r.Signatures[0])
			r.Signatures[0] = highS(sig).String()
			return r
		}, ErrException, "invalid high s-value encountered in r1 signature"},
		{"expired", func() PushRequest {
			return e.request(e.trx([]*eos.Action{xfer("alice", "alice@active")}, func(tx *eos.Transaction) { tx.Expiration.Time = e.c.Head().Time.Add(-time.Second) }), kAlice)
		}, ErrExpired, "expired transaction"},
		{"expiration too far", func() PushRequest {
			return e.request(e.trx([]*eos.Action{xfer("alice", "alice@active")}, func(tx *eos.Transaction) { tx.Expiration.Time = e.c.Head().Time.Add(3602 * time.Second) }), kAlice)
		}, ErrExpTooFar, "Transaction expiration is too far in the future"},
		{"expiration at the limit", func() PushRequest {
			return e.request(e.trx([]*eos.Action{act("eosio.null", "nonce", []byte{3}, "alice@active")}, func(tx *eos.Transaction) { tx.Expiration.Time = e.c.Head().Time.Add(3600 * time.Second) }), kAlice)
		}, nil, ""},
		{"bad TaPoS", func() PushRequest {
			return e.request(e.trx([]*eos.Action{xfer("alice", "alice@active")}, func(tx *eos.Transaction) { tx.RefBlockPrefix++ }), kAlice)
		}, ErrInvalidRefBlock, "Transaction's reference block did not match"},
		{"delay_sec", func() PushRequest {
			return e.request(e.trx([]*eos.Action{xfer("alice", "alice@active")}, func(tx *eos.Transaction) { tx.DelaySec = 10 }), kAlice)
		}, ErrTransaction, "transaction cannot be delayed"},
		{"unknown compression", func() PushRequest {
			r := e.request(e.trx([]*eos.Action{xfer("alice", "alice@active")}), kAlice)
			r.Compression = []byte(`"brotli"`)
			return r
		}, ErrPackedTransaction, "Invalid packed transaction"},
		{"non-existent permission", func() PushRequest {
			return e.request(e.trx([]*eos.Action{xfer("alice", "alice@nosuch")}), kAlice)
		}, ErrTransaction, "non-existent permission"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.c.ProduceBlocks(1)
			_, err := e.c.PushTransaction(tc.req())
			if tc.kind == nil {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			wantErr(t, err, tc.kind, tc.msg)
		})
	}
}

func TestDuplicateTransaction(t *testing.T) {
	e := newEnv(t, testGenesis())
	req := e.request(e.trx([]*eos.Action{act("eosio.token", "transfer", transfer("alice", "bob", "1.0000 EOS"), "alice@active")}), kAlice)
	if _, err := e.c.PushTransaction(req); err != nil {
		t.Fatal(err)
	}
	e.c.ProduceBlocks(1)
	_, err := e.c.PushTransaction(req)
	wantErr(t, err, ErrDuplicateTx, "duplicate transaction")
	if got := e.balance("alice"); got != "999.0000 EOS" {
		t.Fatalf("alice has %s; the duplicate must not have run", got)
	}
}

func TestEosioAnyLink(t *testing.T) {
	e := newEnv(t, testGenesis())
	// Give alice a "low" permission and link eosio.null to eosio.any.
	low := eos.Authority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: kOther.PublicKey().ECC(), Weight: 1}}}
	e.mustPush([]*eos.Action{
		act("eosio", "updateauth", contracts.UpdateAuth{Account: "alice", Permission: "low", Parent: "active", Auth: low}, "alice@active"),
		act("eosio", "linkauth", contracts.LinkAuth{Account: "alice", Code: "eosio.null", Type: "", Requirement: contracts.Any}, "alice@active"),
	}, kAlice)
	e.c.ProduceBlocks(1)
	// With eosio.any, low (not an ancestor of active) may authorise.
	e.mustPush([]*eos.Action{act("eosio.null", "anything", []byte{}, "alice@low")}, kOther)
	info, err := e.c.GetAccount("alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(info.EosioAnyLinkedActions) != 1 || info.EosioAnyLinkedActions[0].Account != "eosio.null" {
		t.Fatalf("eosio_any_linked_actions = %+v", info.EosioAnyLinkedActions)
	}
	// Without a link, low cannot authorise a transfer (minimum active).
	_, err = e.push([]*eos.Action{act("eosio.token", "transfer", transfer("alice", "bob", "1.0000 EOS"), "alice@low")}, kOther)
	wantErr(t, err, ErrIrrelevantAuth, "minimum authority is")
}

func TestRejectedTransactionLeavesNoTrace(t *testing.T) {
	e := newEnv(t, testGenesis())
	_, err := e.push([]*eos.Action{
		act("eosio.token", "transfer", transfer("alice", "bob", "1.0000 EOS"), "alice@active"),
		act("eosio.token", "transfer", transfer("alice", "bob", "5000.0000 EOS"), "alice@active"),
	}, kAlice)
	wantErr(t, err, ErrEosioAssert, "assertion failure with message: overdrawn balance")
	if got := e.balance("alice"); got != "1000.0000 EOS" {
		t.Fatalf("alice has %s after a failed transaction", got)
	}
}
