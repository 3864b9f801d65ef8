package devchain

import (
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
)

// proposeTrx builds the inner transaction the way cleos does: no TaPoS,
// expiration an hour from the head.
func (e *env) proposeTrx(actions ...*eos.Action) (eos.Transaction, []byte) {
	tx := eos.Transaction{TransactionHeader: eos.TransactionHeader{Expiration: eos.JSONTime{Time: e.c.Head().Time.Add(time.Hour).Truncate(time.Second)}}, Actions: actions}
	return tx, contracts.MustEncode(tx)
}

func TestMsigLifeCycle(t *testing.T) {
	e := newEnv(t, testGenesis())
	newClaim := eos.Authority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: kOther.PublicKey().ECC(), Weight: 1}}}
	inner, packed := e.proposeTrx(act("eosio", "updateauth", contracts.UpdateAuth{Account: "bpteam111111", Permission: "claim", Parent: "active", Auth: newClaim}, "bpteam111111@active"))
	requested := []eos.PermissionLevel{lv("alice@active"), lv("bob@active"), lv("carol@active")}
	e.mustPush([]*eos.Action{act("eosio.msig", "propose", contracts.Propose{Proposer: "alice", ProposalName: "rotclaim", Requested: requested, Trx: inner}, "alice@active")}, kAlice)

	// The stored bytes are exactly the proposed transaction.
	rows, err := e.c.GetTableRows(TableRowsRequest{Code: "eosio.msig", Scope: "alice", Table: "proposal", JSON: true})
	if err != nil || len(rows.Rows) != 1 {
		t.Fatalf("proposal rows: %v %v", rows, err)
	}
	var prop struct {
		ProposalName      string  `json:"proposal_name"`
		PackedTransaction string  `json:"packed_transaction"`
		EarliestExecTime  *string `json:"earliest_exec_time"`
	}
	js, _ := json.Marshal(rows.Rows[0])
	if err := json.Unmarshal(js, &prop); err != nil {
		t.Fatal(err)
	}
	if prop.PackedTransaction != eos.HexBytes(packed).String() && prop.PackedTransaction != hexStr(packed) {
		t.Fatalf("packed_transaction %s, want %x", prop.PackedTransaction, packed)
	}
	if prop.EarliestExecTime != nil {
		t.Fatalf("earliest_exec_time = %v before approvals", *prop.EarliestExecTime)
	}
	id := sha256.Sum256(packed)
	e.c.ProduceBlocks(1)

	// Duplicate proposal name.
	_, err = e.push([]*eos.Action{act("eosio.msig", "propose", contracts.Propose{Proposer: "alice", ProposalName: "rotclaim", Requested: requested, Trx: inner}, "alice@active")}, kAlice)
	wantErr(t, err, ErrEosioAssert, "assertion failure with message: proposal with the same name exists")
	// Requested approvals that cannot satisfy the transaction.
	_, err = e.push([]*eos.Action{act("eosio.msig", "propose", contracts.Propose{Proposer: "alice", ProposalName: "weak", Requested: requested[:1], Trx: inner}, "alice@active")}, kAlice)
	wantErr(t, err, ErrEosioAssert, "transaction authorization failed")

	approve := func(who string, hash []byte) *eos.Action {
		a := contracts.Approve{Proposer: "alice", ProposalName: "rotclaim", Level: lv(who + "@active")}
		if hash == nil {
			return act("eosio.msig", "approve", a, who+"@active")
		}
		return act("eosio.msig", "approve", contracts.ApproveWithHash{Approve: a, ProposalHash: hash}, who+"@active")
	}
	// Wrong hash.
	bad := sha256.Sum256([]byte("something else"))
	_, err = e.push([]*eos.Action{approve("bob", bad[:])}, kBob)
	wantErr(t, err, ErrCryptoAPI, "hash mismatch")
	// Not requested.
	_, err = e.push([]*eos.Action{act("eosio.msig", "approve", contracts.Approve{Proposer: "alice", ProposalName: "rotclaim", Level: lv("deepg@active")}, "deepg@active")}, kDeep)
	wantErr(t, err, ErrEosioAssert, "approval is not on the list of requested approvals")
	// Bob approves with the hash, alice without.
	e.mustPush([]*eos.Action{approve("bob", id[:])}, kBob)
	// exec with one approval fails.
	execAct := act("eosio.msig", "exec", contracts.Exec{Proposer: "alice", ProposalName: "rotclaim", Executer: "carol"}, "carol@active")
	e.c.ProduceBlocks(1)
	_, err = e.push([]*eos.Action{execAct}, kCarol)
	wantErr(t, err, ErrEosioAssert, "transaction authorization failed")
	e.mustPush([]*eos.Action{approve("alice", nil)}, kAlice)
	// Unapprove and approve again.
	e.c.ProduceBlocks(1)
	e.mustPush([]*eos.Action{act("eosio.msig", "unapprove", contracts.Unapprove{Proposer: "alice", ProposalName: "rotclaim", Level: lv("alice@active")}, "alice@active")}, kAlice)
	e.c.ProduceBlocks(1)
	_, err = e.push([]*eos.Action{act("eosio.msig", "unapprove", contracts.Unapprove{Proposer: "alice", ProposalName: "rotclaim", Level: lv("alice@active")}, "alice@active")}, kAlice)
	wantErr(t, err, ErrEosioAssert, "no approval previously granted")
	e.mustPush([]*eos.Action{approve("alice", id[:])}, kAlice)

	// approvals2 shows two provided, one requested.
	rows, err = e.c.GetTableRows(TableRowsRequest{Code: "eosio.msig", Scope: "alice", Table: "approvals2", JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	var apps struct {
		Version            int `json:"version"`
		RequestedApprovals []struct {
			Level eos.PermissionLevel `json:"level"`
		} `json:"requested_approvals"`
		ProvidedApprovals []struct {
			Level eos.PermissionLevel `json:"level"`
			Time  string              `json:"time"`
		} `json:"provided_approvals"`
	}
	js, _ = json.Marshal(rows.Rows[0])
	if err := json.Unmarshal(js, &apps); err != nil {
		t.Fatal(err)
	}
	if apps.Version != 1 || len(apps.ProvidedApprovals) != 2 || len(apps.RequestedApprovals) != 1 {
		t.Fatalf("approvals2 row %s", js)
	}

	// Exec: the inner updateauth runs inline.
	e.c.ProduceBlocks(1)
	res := e.mustPush([]*eos.Action{execAct}, kCarol)
	if len(res.Processed.ActionTraces) < 2 || res.Processed.ActionTraces[1].Act.Name != "updateauth" {
		t.Fatalf("exec traces: %+v", res.Processed.ActionTraces)
	}
	info, _ := e.c.GetAccount("bpteam111111")
	found := false
	for _, p := range info.Permissions {
		if p.PermName == "claim" {
			found = p.RequiredAuth.Keys[0].Key == kOther.PublicKey().Legacy()
			if len(p.LinkedActions) != 2 {
				t.Fatalf("claim links lost: %+v", p.LinkedActions)
			}
		}
	}
	if !found {
		t.Fatalf("claim key not rotated: %+v", info.Permissions)
	}
	rows, _ = e.c.GetTableRows(TableRowsRequest{Code: "eosio.msig", Scope: "alice", Table: "proposal", JSON: true})
	if len(rows.Rows) != 0 {
		t.Fatalf("proposal not erased after exec")
	}
}

func hexStr(b []byte) string { return eos.HexBytes(b).String() }

func TestMsigCancelAndInvalidate(t *testing.T) {
	e := newEnv(t, testGenesis())
	inner, _ := e.proposeTrx(act("eosio.token", "transfer", transfer("bpteam111111", "alice", "1.0000 EOS"), "bpteam111111@active"))
	requested := []eos.PermissionLevel{lv("alice@active"), lv("bob@active"), lv("carol@active")}
	e.mustPush([]*eos.Action{act("eosio.msig", "propose", contracts.Propose{Proposer: "alice", ProposalName: "pay", Requested: requested, Trx: inner}, "alice@active")}, kAlice)
	cancel := func(by string) *eos.Action {
		return act("eosio.msig", "cancel", contracts.Cancel{Proposer: "alice", ProposalName: "pay", Canceler: eos.AccountName(by)}, by+"@active")
	}
	e.c.ProduceBlocks(1)
	_, err := e.push([]*eos.Action{cancel("bob")}, kBob)
	wantErr(t, err, ErrEosioAssert, "cannot cancel until expiration")

	// Invalidate: bob's approval before his invalidate no longer counts.
	e.mustPush([]*eos.Action{act("eosio.msig", "approve", contracts.Approve{Proposer: "alice", ProposalName: "pay", Level: lv("bob@active")}, "bob@active")}, kBob)
	e.mustPush([]*eos.Action{act("eosio.msig", "approve", contracts.Approve{Proposer: "alice", ProposalName: "pay", Level: lv("carol@active")}, "carol@active")}, kCarol)
	e.c.ProduceBlocks(1)
	e.mustPush([]*eos.Action{act("eosio.msig", "invalidate", contracts.Invalidate{Account: "bob"}, "bob@active")}, kBob)
	e.c.ProduceBlocks(1)
	execAct := act("eosio.msig", "exec", contracts.Exec{Proposer: "alice", ProposalName: "pay", Executer: "alice"}, "alice@active")
	_, err = e.push([]*eos.Action{execAct}, kAlice)
	wantErr(t, err, ErrEosioAssert, "transaction authorization failed")
	// Alice approves: carol + alice suffice.
	e.mustPush([]*eos.Action{act("eosio.msig", "approve", contracts.Approve{Proposer: "alice", ProposalName: "pay", Level: lv("alice@active")}, "alice@active")}, kAlice)
	e.c.ProduceBlocks(1)
	e.mustPush([]*eos.Action{execAct}, kAlice)
	if got := e.balance("alice"); got != "1001.0000 EOS" {
		t.Fatalf("alice has %s after exec", got)
	}
	// A second proposal, cancelled by bob once expired.
	inner2, _ := e.proposeTrx(act("eosio.token", "transfer", transfer("bpteam111111", "bob", "1.0000 EOS"), "bpteam111111@active"))
	e.mustPush([]*eos.Action{act("eosio.msig", "propose", contracts.Propose{Proposer: "alice", ProposalName: "pay", Requested: requested, Trx: inner2}, "alice@active")}, kAlice)
	e.c.ProduceBlocks(1)
	_, err = e.push([]*eos.Action{cancel("bob")}, kBob)
	wantErr(t, err, ErrEosioAssert, "cannot cancel until expiration")
	if _, err := e.c.AdvanceTime(2 * time.Hour); err != nil {
		t.Fatal(err)
	}
	e.mustPush([]*eos.Action{cancel("bob")}, kBob)
	rows, _ := e.c.GetTableRows(TableRowsRequest{Code: "eosio.msig", Scope: "alice", Table: "approvals2", JSON: true})
	if len(rows.Rows) != 0 {
		t.Fatalf("approvals left after cancel: %v", rows.Rows)
	}
}
