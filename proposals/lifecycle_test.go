package proposals

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
)

// TestLifeCycle proposes a key rotation on the devchain, reviews it, takes
// two approvals pinned to the hash, executes it and checks the new key.
func TestLifeCycle(t *testing.T) {
	e := newEnv(t, teamGenesis())
	rot := act("eosio", "updateauth", contracts.UpdateAuth{Account: "bpteam111111", Permission: "claim", Parent: "active", Auth: authOf(kNew)}, "bpteam111111@active")

	b, err := Build(e.ctx, e.cl, ProposeRequest{Proposer: "alice", Name: "rotclaim", Actions: []Action{rot}})
	if err != nil {
		t.Fatal(err)
	}
	if got := levelsText(b.Requested); got != "alice@active, bob@active, carol@active" {
		t.Fatalf("derived requests %s", got)
	}
	if b.Inner.RefBlockNum != 0 || b.Inner.RefBlockPrefix != 0 || b.Inner.DelaySec != 0 || b.Inner.MaxNetUsageWords != 0 {
		t.Fatalf("inner header %+v", b.Inner)
	}
	head := e.dc.Head().Time
	if d := b.Inner.Expiration.Sub(head); d < DefaultExpiration-time.Second || d > DefaultExpiration {
		t.Fatalf("expiration %v after head", d)
	}
	e.mustSend([]*eos.Action{b.Propose}, kAlice)

	// The name is now used.
	if _, err := Build(e.ctx, e.cl, ProposeRequest{Proposer: "alice", Name: "rotclaim", Actions: []Action{rot}}); err == nil || !strings.Contains(err.Error(), "already has a proposal named rotclaim") {
		t.Fatalf("reused name: %v", err)
	}
	// The same transaction again under another name (a propose run again
	// after a lost answer) is refused, naming the proposal that holds it.
	e.dc.ProduceBlocks(2) // a later head: another expiration, another hash
	_, err = Build(e.ctx, e.cl, ProposeRequest{Proposer: "alice", Actions: []Action{rot}})
	var dup *DuplicateError
	if !errors.As(err, &dup) || !errors.Is(err, ErrDuplicate) || dup.Name != "rotclaim" || !strings.Contains(err.Error(), "alice/rotclaim") {
		t.Fatalf("duplicate: %v", err)
	}
	if landed, err := ProposalLanded(e.ctx, e.cl, "alice", "rotclaim", b.Hash); err != nil || !landed {
		t.Fatalf("landed: %v %v", landed, err)
	}
	if landed, err := ProposalLanded(e.ctx, e.cl, "alice", "nosuch", b.Hash); err != nil || landed {
		t.Fatalf("landed (no such): %v %v", landed, err)
	}
	// A generated name is valid and unused.
	b2, err := Build(e.ctx, e.cl, ProposeRequest{Proposer: "alice", Actions: []Action{rot}, AllowDuplicate: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := contracts.NameValue(string(b2.Name)); err != nil || b2.Name == "rotclaim" {
		t.Fatalf("generated name %q: %v", b2.Name, err)
	}
	// Requests that could never satisfy the transaction are refused before
	// anything is sent.
	_, err = Build(e.ctx, e.cl, ProposeRequest{Proposer: "alice", Name: "weak", Actions: []Action{rot}, Requested: []eos.PermissionLevel{lv("alice@active")}})
	if err == nil || !strings.Contains(err.Error(), "transaction authorization failed") || !strings.Contains(err.Error(), "weight 1 of 2") {
		t.Fatalf("weak requests: %v", err)
	}

	p, err := Read(e.ctx, e.cl, "alice", "rotclaim")
	if err != nil {
		t.Fatal(err)
	}
	if p.Hash != sha256.Sum256(b.Packed) || !bytes.Equal(p.Packed, b.Packed) {
		t.Fatalf("stored bytes differ from proposed")
	}
	r, err := MakeReview(e.ctx, e.cl, p, ReviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	r.WriteText(&text)
	wantContains(t, text.String(),
		"change the authority of bpteam111111@claim",
		"- key "+kClaim.PublicKey().String()+" weight 1",
		"+ key "+kNew.PublicKey().String()+" weight 1",
		"Approvals: 0 of 3 asked",
		"[ ] bpteam111111@active  0/2",
		"not executable",
		"needs approval from alice@active or bob@active or carol@active (2 more weight)",
		p.Hash.String())
	if r.Verdict.Executable {
		t.Fatal("executable with no approvals")
	}

	for _, who := range []struct {
		level string
		key   any
	}{{"bob@active", kBob}, {"carol@active", kCarol}} {
		a, err := ApproveAction(p, lv(who.level))
		if err != nil {
			t.Fatal(err)
		}
		if who.level == "bob@active" {
			e.mustSend([]*eos.Action{a}, kBob)
		} else {
			e.mustSend([]*eos.Action{a}, kCarol)
		}
	}
	p, err = Read(e.ctx, e.cl, "alice", "rotclaim")
	if err != nil {
		t.Fatal(err)
	}
	r, err = MakeReview(e.ctx, e.cl, p, ReviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Verdict.Executable || len(p.Levels()) != 2 || p.Layout != "approvals2" || p.Provided[0].Time == nil {
		t.Fatalf("after two approvals: %+v %+v", r.Verdict, p.Provided)
	}
	// Approving twice is caught before signing.
	if _, err := ApproveAction(p, lv("bob@active")); err == nil || !strings.Contains(err.Error(), "already approved") {
		t.Fatalf("second approval: %v", err)
	}

	x, err := ExecAction(p, r.Verdict, lv("carol@active"))
	if err != nil {
		t.Fatal(err)
	}
	e.mustSend([]*eos.Action{x}, kCarol)
	acct, err := e.cl.GetAccount(e.ctx, "bpteam111111")
	if err != nil {
		t.Fatal(err)
	}
	if k := acct.Permission("claim").RequiredAuth.Keys; len(k) != 1 || k[0].Key != kNew.PublicKey() {
		t.Fatalf("claim keys after exec: %+v", k)
	}
	if _, err := Read(e.ctx, e.cl, "alice", "rotclaim"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after exec: %v", err)
	}
}

// TestExecRefusedEarlyAndInvalidate: exec says what is missing; an
// invalidated approval stops counting; the wrong hash is refused by the
// chain with a message that names it.
func TestExecRefusedEarlyAndInvalidate(t *testing.T) {
	e := newEnv(t, teamGenesis())
	pay := act("eosio.token", "transfer", contracts.Transfer{From: "bpteam111111", To: "alice", Quantity: eos.Asset{Amount: 10000, Symbol: eos.Symbol{Precision: 4, Symbol: "EOS"}}, Memo: "ops"}, "bpteam111111@active")
	b, err := Build(e.ctx, e.cl, ProposeRequest{Proposer: "alice", Name: "pay", Actions: []Action{pay}, ExpiresIn: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	e.mustSend([]*eos.Action{b.Propose}, kAlice)
	p, _ := Read(e.ctx, e.cl, "alice", "pay")
	a, _ := ApproveAction(p, lv("bob@active"))
	e.mustSend([]*eos.Action{a}, kBob)

	p, _ = Read(e.ctx, e.cl, "alice", "pay")
	r, err := MakeReview(e.ctx, e.cl, p, ReviewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ExecAction(p, r.Verdict, lv("alice@active"))
	if !errors.Is(err, ErrNotExecutable) || !strings.Contains(err.Error(), "bpteam111111@active: weight 1 of 2; needs approval from alice@active or carol@active (1 more weight)") {
		t.Fatalf("exec early: %v", err)
	}

	// Carol approves, then bob invalidates: still 1 of 2.
	a, _ = ApproveAction(p, lv("carol@active"))
	e.mustSend([]*eos.Action{a}, kCarol)
	inv, _ := InvalidateAction(lv("bob@active"))
	e.dc.AdvanceTime(time.Second)
	e.mustSend([]*eos.Action{inv}, kBob)
	p, _ = Read(e.ctx, e.cl, "alice", "pay")
	r, _ = MakeReview(e.ctx, e.cl, p, ReviewOptions{})
	var text bytes.Buffer
	r.WriteText(&text)
	wantContains(t, text.String(), "[x] bob@active", "INVALIDATED", "(does not count)", "not executable")
	if r.Verdict.Executable || len(p.Levels()) != 1 {
		t.Fatalf("after invalidate: %+v", r.Verdict)
	}

	// A wrong hash: the chain refuses, and the error says so.
	wrong := *p
	wrong.Hash = sha256.Sum256([]byte("not the proposal"))
	wrong.Provided = nil
	wrong.Requested = []Approval{{Level: lv("alice@active")}}
	a, _ = ApproveAction(&wrong, lv("alice@active"))
	_, err = e.send([]*eos.Action{a}, kAlice)
	var apiErr *chain.APIError
	if !errors.As(err, &apiErr) || !strings.Contains(err.Error(), "hash mismatch") {
		t.Fatalf("wrong hash: %v", err)
	}

	// Cancel: only the proposer before expiry.
	if _, err := CancelAction(p, lv("bob@active"), e.dc.Head().Time); err == nil || !strings.Contains(err.Error(), "cannot cancel until expiration") {
		t.Fatalf("early cancel by bob: %v", err)
	}
	e.dc.AdvanceTime(2 * time.Hour)
	c, err := CancelAction(p, lv("bob@active"), e.dc.Head().Time)
	if err != nil {
		t.Fatal(err)
	}
	e.mustSend([]*eos.Action{c}, kBob)
	if _, err := Read(e.ctx, e.cl, "alice", "pay"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after cancel: %v", err)
	}
}

func TestCheckReplaced(t *testing.T) {
	h1 := chain.Checksum256(sha256.Sum256([]byte("one")))
	h2 := chain.Checksum256(sha256.Sum256([]byte("two")))
	entries := []audit.Entry{
		{ChainID: "c1", Approvals: []audit.Approval{{Proposer: "alice", Name: "rot", Level: "bob@active", Hash: h1.String()}}},
		{ChainID: "c2", Approvals: []audit.Approval{{Proposer: "alice", Name: "other", Level: "bob@active", Hash: h1.String()}}},
		// A note in words is not read.
		{ChainID: "c1", Note: ApprovalNote("alice", "other", h1)},
	}
	if err := CheckReplaced(entries, "c1", "alice", "rot", h1); err != nil {
		t.Fatal(err)
	}
	if err := CheckReplaced(entries, "c1", "alice", "rot", h2); !errors.Is(err, ErrReplaced) {
		t.Fatalf("replaced: %v", err)
	}
	if err := CheckReplaced(entries, "c1", "alice", "other", h2); err != nil {
		t.Fatalf("other chain counted: %v", err)
	}
}

func TestParseActions(t *testing.T) {
	abis := NewABIs(nil)
	ctx := t.Context()
	in := `{"expiration":"2026-01-01T00:00:00","actions":[{"account":"eosio.token","name":"transfer","authorization":[{"actor":"bpteam111111","permission":"active"}],
	  "data":{"from":"bpteam111111","to":"alice","quantity":"1.0000 EOS","memo":"x"}}]}`
	acts, err := ParseActions(ctx, abis, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := contracts.MustEncode(contracts.Transfer{From: "bpteam111111", To: "alice", Quantity: eos.Asset{Amount: 10000, Symbol: eos.Symbol{Precision: 4, Symbol: "EOS"}}, Memo: "x"})
	if len(acts) != 1 || !bytes.Equal(acts[0].Data, want) {
		t.Fatalf("encoded %x, want %x", acts[0].Data, want)
	}
	// eos-go's encoder mangles PUB_K1_ keys; ParseActions must not.
	ua := fmt.Sprintf(`[{"account":"eosio","name":"updateauth","authorization":[{"actor":"bpteam111111","permission":"active"}],
	  "data":{"account":"bpteam111111","permission":"claim","parent":"active","auth":{"threshold":1,"keys":[{"key":"%s","weight":1}],"accounts":[],"waits":[]},"authorized_by":""}}]`, kNew.PublicKey())
	acts, err = ParseActions(ctx, abis, []byte(ua))
	if err != nil {
		t.Fatal(err)
	}
	wantUA := contracts.MustEncode(contracts.UpdateAuthBy{UpdateAuth: contracts.UpdateAuth{Account: "bpteam111111", Permission: "claim", Parent: "active", Auth: authOf(kNew)}})
	if !bytes.Equal(acts[0].Data, wantUA) {
		t.Fatalf("updateauth encoded %x, want %x", acts[0].Data, wantUA)
	}
	for _, bad := range []struct{ in, want string }{
		{`{"context_free_actions":[{"account":"a"}],"actions":[]}`, "context-free"},
		{`[{"account":"eosio.token","name":"transfer","authorization":[{"actor":"a","permission":"active"}],"data":"00"}]`, "does not decode"},
		{`[{"account":"eosio.token","name":"transfer","data":{}}]`, "no authorization"},
		{`{"foo":1}`, `no "actions"`},
	} {
		if _, err := ParseActions(ctx, abis, []byte(bad.in)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want %q", bad.in, err, bad.want)
		}
	}
}
