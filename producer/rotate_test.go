package producer

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

func TestShow(t *testing.T) {
	tc := newTestChain(t, defaultKeys())
	info, err := Show(context.Background(), tc.client, team)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Row.Active || !info.Row.Authority.Equal(SingleKey(tkBlock.PublicKey())) || info.Row.URL != "https://bp.example" || info.Row.Location != 276 {
		t.Fatalf("row %+v", info.Row)
	}
	if info.RotatePermission != "rotate" || !info.RotateLinked || info.UnregisterPermission != "rotate" || info.ClaimPermission != "claim" {
		t.Fatalf("permissions: %+v", info)
	}
	if !info.ClaimAllowedNow {
		t.Fatalf("genesis producer (last claim 1970) should be allowed to claim: %+v", info)
	}
	if _, err := Show(context.Background(), tc.client, "alice"); !errors.Is(err, ErrNotProducer) {
		t.Fatalf("alice: %v", err)
	}
}

// rotateAndConfirm runs a whole direct rotation and checks the row.
func rotateAndConfirm(t *testing.T, tc *testChain, req RotateRequest, signers []signer.Signer, wantAction string) *Rotation {
	t.Helper()
	ctx := context.Background()
	rot, err := PrepareRotation(ctx, tc.client, req, signers)
	if err != nil {
		t.Fatal(err)
	}
	if rot.Via != ViaDirect || rot.ActionName != wantAction {
		t.Fatalf("plan: via %s action %s (%s)", rot.Via, rot.ActionName, rot.Why)
	}
	out, err := tc.execute(ctx, rot, signers)
	if err != nil {
		t.Fatal(err)
	}
	if out.TrxID != rot.TrxID {
		t.Fatalf("pushed %s, planned %s", out.TrxID, rot.TrxID)
	}
	row, ok, err := Confirm(ctx, tc.client, team, rot.New, time.Second, &fakeClock{})
	if err != nil || !ok {
		t.Fatalf("confirm: %v %v %+v", ok, err, row)
	}
	if row.URL != "https://bp.example" || row.Location != 276 {
		t.Fatalf("url/location not kept: %+v", row)
	}
	return rot
}

// TestRotateDirectSoftHSM generates the new block-signing key on SoftHSM
// (K1) and rotates with the HSM key of the linked rotate permission.
func TestRotateDirectSoftHSM(t *testing.T) {
	rotKey := hsmKey(t, "prod", "rotate-direct", signer.CurveK1)
	newKey := hsmKey(t, "prod", "block-new", signer.CurveK1)
	k := defaultKeys()
	k.rotate = rotKey.PublicKey()
	tc := newTestChain(t, k)
	before := tc.journalCount(t)
	rot := rotateAndConfirm(t, tc, RotateRequest{Account: team, NewKeys: []signer.PublicKey{newKey.PublicKey()}}, []signer.Signer{rotKey}, "regproducer")
	if rot.Permission != "rotate" || !rot.Linked || len(rot.Required) != 1 || rot.Required[0] != rotKey.PublicKey() {
		t.Fatalf("plan %+v", rot.Plan)
	}
	if !rot.Old.Authority.Equal(SingleKey(tkBlock.PublicKey())) {
		t.Fatalf("old %+v", rot.Old)
	}
	if got := tc.journalCount(t); got != before+1 {
		t.Fatalf("journal grew by %d, want 1", got-before)
	}
	// Rotating to the key already registered is refused.
	if _, err := PrepareRotation(context.Background(), tc.client, RotateRequest{Account: team, NewKeys: []signer.PublicKey{newKey.PublicKey()}}, []signer.Signer{rotKey}); !errors.Is(err, ErrUsage) {
		t.Fatalf("same key again: %v", err)
	}
	// --via direct with a signer that does not satisfy the permission.
	_, err := PrepareRotation(context.Background(), tc.client, RotateRequest{Account: team, NewKeys: []signer.PublicKey{tkBlock.PublicKey()}, SendOptions: SendOptions{Via: ViaDirect}}, []signer.Signer{tkCarol})
	if err == nil || !strings.Contains(err.Error(), "do not satisfy "+team+"@rotate") {
		t.Fatalf("direct without the key: %v", err)
	}
}

// TestRotateByProposal: one member alone cannot rotate, so the rotation is
// proposed (with the proposer's approval); a second member approves pinned
// to the hash, and exec installs the key.
func TestRotateByProposal(t *testing.T) {
	testRotateByProposal(t, tkAlice, defaultKeys())
}

func testRotateByProposal(t *testing.T, alice signer.Signer, k teamKeys) {
	ctx := context.Background()
	k.alice = alice.PublicKey()
	tc := newTestChain(t, k)
	newKey := testsigner.FromSeed(signer.CurveK1, "new-block-key").PublicKey()
	rot, err := PrepareRotation(ctx, tc.client, RotateRequest{Account: team, NewKeys: []signer.PublicKey{newKey}}, []signer.Signer{alice})
	if err != nil {
		t.Fatal(err)
	}
	if rot.Via != ViaMsig || rot.Proposer != "alice@active" || !strings.HasPrefix(rot.ProposalName, "rotkey") {
		t.Fatalf("plan %+v", rot.Plan)
	}
	if strings.Join(rot.Requested, ",") != "alice@active,bob@active,"+team+"@rotate,carol@active" {
		t.Fatalf("requested %v", rot.Requested)
	}
	if strings.Join(rot.Actions, ";") != "eosio.msig::propose alice@active;eosio.msig::approve alice@active" {
		t.Fatalf("actions %v", rot.Actions)
	}
	if !strings.Contains(rot.ReviewCommand(), "bpkeys msig review alice "+rot.ProposalName) || !strings.Contains(rot.ApproveCommand(), rot.ProposalHash) {
		t.Fatalf("commands %q %q", rot.ReviewCommand(), rot.ApproveCommand())
	}
	if _, err := tc.execute(ctx, rot, []signer.Signer{alice}); err != nil {
		t.Fatal(err)
	}
	// Not rotated yet.
	if row, _ := ReadRow(ctx, tc.client, team); !row.Authority.Equal(SingleKey(tkBlock.PublicKey())) {
		t.Fatalf("rotated before approval: %+v", row)
	}
	hash, _ := hexChecksum(rot.ProposalHash)
	tc.dc.ProduceBlocks(1)
	tc.pushAs(t, "msig approve", []*eos.Action{act("eosio.msig", "approve", contracts.ApproveWithHash{Approve: contracts.Approve{Proposer: "alice", ProposalName: eos.Name(rot.ProposalName), Level: eos.PermissionLevel{Actor: "bob", Permission: "active"}}, ProposalHash: hash}, "bob@active")}, tkBob)
	tc.dc.ProduceBlocks(1)
	tc.pushAs(t, "msig exec", []*eos.Action{act("eosio.msig", "exec", contracts.Exec{Proposer: "alice", ProposalName: eos.Name(rot.ProposalName), Executer: "bob"}, "bob@active")}, tkBob)
	row, ok, err := Confirm(ctx, tc.client, team, SingleKey(newKey), time.Second, &fakeClock{})
	if err != nil || !ok {
		t.Fatalf("after exec: %v %+v", err, row)
	}
}

func hexChecksum(s string) (eos.Checksum256, error) {
	var c eos.Checksum256
	err := c.UnmarshalJSON([]byte(`"` + s + `"`))
	return c, err
}

// TestRotateRegproducer2 registers a two-key authority, then replaces one
// key of it; both go out as regproducer2.
func TestRotateRegproducer2(t *testing.T) {
	tc := newTestChain(t, defaultKeys())
	k1 := testsigner.FromSeed(signer.CurveK1, "bsa-1").PublicKey()
	k2 := testsigner.FromSeed(signer.CurveR1, "bsa-2").PublicKey()
	k3 := testsigner.FromSeed(signer.CurveK1, "bsa-3").PublicKey()
	rot := rotateAndConfirm(t, tc, RotateRequest{Account: team, NewKeys: []signer.PublicKey{k1, k2}, Threshold: 1}, []signer.Signer{tkRotate}, "regproducer2")
	if rot.New.Threshold != 1 || len(rot.New.Keys) != 2 {
		t.Fatalf("new %+v", rot.New)
	}
	if !strings.Contains(string(rot.ActionData), `"producer_authority"`) {
		t.Fatalf("action data %s", rot.ActionData)
	}
	tc.dc.ProduceBlocks(1)
	// One new key against a multi-key row needs --replace.
	if _, err := PrepareRotation(context.Background(), tc.client, RotateRequest{Account: team, NewKeys: []signer.PublicKey{k3}}, []signer.Signer{tkRotate}); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "--replace") {
		t.Fatalf("single key on multi-key row: %v", err)
	}
	rot = rotateAndConfirm(t, tc, RotateRequest{Account: team, NewKeys: []signer.PublicKey{k3}, Replace: &k2}, []signer.Signer{tkRotate}, "regproducer2")
	if rot.New.Keys[0].Key != k1 || rot.New.Keys[1].Key != k3 {
		t.Fatalf("replace: %+v", rot.New)
	}
}

func TestUnregister(t *testing.T) {
	ctx := context.Background()
	tc := newTestChain(t, defaultKeys())
	plan, row, err := PrepareUnregister(ctx, tc.client, team, SendOptions{}, []signer.Signer{tkRotate})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Via != ViaDirect || plan.ActionName != "unregprod" || plan.Permission != "rotate" || !row.Active {
		t.Fatalf("plan %+v", plan)
	}
	if _, err := tc.execute(ctx, plan, []signer.Signer{tkRotate}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ConfirmUnregistered(ctx, tc.client, team, time.Second, &fakeClock{}); !ok || err != nil {
		t.Fatalf("still active: %v", err)
	}
	if _, _, err := PrepareUnregister(ctx, tc.client, team, SendOptions{}, []signer.Signer{tkRotate}); !errors.Is(err, ErrUsage) {
		t.Fatalf("second unregister: %v", err)
	}
	// A rotation re-registers it.
	newKey := testsigner.FromSeed(signer.CurveK1, "after-unreg").PublicKey()
	tc.dc.ProduceBlocks(1)
	rotateAndConfirm(t, tc, RotateRequest{Account: team, NewKeys: []signer.PublicKey{newKey}}, []signer.Signer{tkRotate}, "regproducer")
}

func TestUnregisterByProposal(t *testing.T) {
	ctx := context.Background()
	tc := newTestChain(t, defaultKeys())
	plan, _, err := PrepareUnregister(ctx, tc.client, team, SendOptions{Via: ViaMsig, ProposalName: "killswitch"}, []signer.Signer{tkBob})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Via != ViaMsig || plan.Proposer != "bob@active" || plan.ProposalName != "killswitch" {
		t.Fatalf("plan %+v", plan)
	}
	if _, err := tc.execute(ctx, plan, []signer.Signer{tkBob}); err != nil {
		t.Fatal(err)
	}
	hash, _ := hexChecksum(plan.ProposalHash)
	tc.dc.ProduceBlocks(1)
	tc.pushAs(t, "approve", []*eos.Action{act("eosio.msig", "approve", contracts.ApproveWithHash{Approve: contracts.Approve{Proposer: "bob", ProposalName: "killswitch", Level: eos.PermissionLevel{Actor: "carol", Permission: "active"}}, ProposalHash: hash}, "carol@active")}, tkCarol)
	tc.pushAs(t, "exec", []*eos.Action{act("eosio.msig", "exec", contracts.Exec{Proposer: "bob", ProposalName: "killswitch", Executer: "carol"}, "carol@active")}, tkCarol)
	if _, ok, err := ConfirmUnregistered(ctx, tc.client, team, time.Second, &fakeClock{}); !ok || err != nil {
		t.Fatalf("still active after exec: %v", err)
	}
}

// TestJournalTamper checks that every signature of a rotation and an
// unregister is in the journal, that it verifies, and that an edited line
// is found.
func TestJournalTamper(t *testing.T) {
	ctx := context.Background()
	tc := newTestChain(t, defaultKeys())
	newKey := testsigner.FromSeed(signer.CurveK1, "tamper").PublicKey()
	rotateAndConfirm(t, tc, RotateRequest{Account: team, NewKeys: []signer.PublicKey{newKey}}, []signer.Signer{tkRotate}, "regproducer")
	tc.dc.ProduceBlocks(1)
	plan, _, err := PrepareUnregister(ctx, tc.client, team, SendOptions{}, []signer.Signer{tkRotate})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.execute(ctx, plan, []signer.Signer{tkRotate}); err != nil {
		t.Fatal(err)
	}
	es, err := tc.journal.Entries()
	if err != nil || len(es) != 2 {
		t.Fatalf("entries %d: %v", len(es), err)
	}
	if !strings.Contains(es[0].Note, "regproducer") || es[1].TrxID != plan.TrxID || es[1].Key != tkRotate.PublicKey().String() {
		t.Fatalf("entries %+v", es)
	}
	b, _ := os.ReadFile(tc.journal.Path())
	tampered := strings.Replace(string(b), "regproducer", "regproducex", 1)
	if err := os.WriteFile(tc.journal.Path(), []byte(tampered), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = tc.journal.Entries()
	var be *audit.BrokenError
	if !errors.As(err, &be) || be.Line != 2 {
		t.Fatalf("tampered journal: %v", err)
	}
}

// The dry-run placeholder is a valid key that nobody holds: derived from a
// hash, the same every time, and never a fresh private key.
func TestPlaceholderIsFixedAndOnCurve(t *testing.T) {
	a, err := Placeholder()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Placeholder()
	if a != b || a.Curve != signer.CurveK1 {
		t.Fatalf("placeholder %s then %s", a, b)
	}
	if _, err := signer.ParsePublicKey(a.String()); err != nil {
		t.Fatalf("placeholder does not parse: %v", err)
	}
}

// TestReadBackNotShown: a rotation the chain accepted but whose effect a
// (lagging) node's producers table does not show within the window is a
// failure that says what the table shows; once the table shows it, the
// read-back succeeds.
func TestReadBackNotShown(t *testing.T) {
	ctx := context.Background()
	tc := newTestChain(t, defaultKeys())
	stale, err := tc.client.GetTableRows(ctx, chain.TableRowsRequest{Code: "eosio", Scope: "eosio", Table: "producers", LowerBound: team, UpperBound: team, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	nk := tkFromSeed("read-back")
	rot, err := PrepareRotation(ctx, tc.client, RotateRequest{Account: team, NewKeys: []signer.PublicKey{nk}}, []signer.Signer{tkRotate})
	if err != nil {
		t.Fatal(err)
	}
	out, err := tc.execute(ctx, rot, []signer.Signer{tkRotate})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	lagging := &staleChain{Chain: tc.client, rows: stale}
	_, err = ReadBackRotation(ctx, lagging, team, out.TrxID, rot.New, 3*time.Second, clock)
	var ns *NotShownError
	if !errors.As(err, &ns) || ns.Shows != tkBlock.PublicKey().String()+" (active)" || !strings.Contains(err.Error(), "still shows "+tkBlock.PublicKey().String()) || !strings.Contains(err.Error(), "not "+nk.String()) {
		t.Fatalf("lagging node: %v", err)
	}
	if len(clock.slept) == 0 {
		t.Fatal("did not poll")
	}
	if row, err := ReadBackRotation(ctx, tc.client, team, out.TrxID, rot.New, 3*time.Second, clock); err != nil || !row.Authority.Equal(SingleKey(nk)) {
		t.Fatalf("up-to-date node: %v %+v", err, row)
	}
}
