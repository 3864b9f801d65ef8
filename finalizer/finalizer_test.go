package finalizer_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/finalizer"
	"github.com/bpkeys/bpkeys/internal/blstest"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
)

const bp = "bpteam111111"

var (
	kTeam  = testsigner.FromSeed(signer.CurveK1, "finalizer-team")
	kOther = testsigner.FromSeed(signer.CurveK1, "finalizer-other")
	kBlock = testsigner.FromSeed(signer.CurveK1, "finalizer-block")
	kBack  = testsigner.FromSeed(signer.CurveR1, "finalizer-backup-block")
)

type env struct {
	t  *testing.T
	dc *devchain.Chain
	cl *chain.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	acct := func(name string, k *testsigner.Key) string {
		a := fmt.Sprintf(`{"threshold":1,"keys":[{"key":%q,"weight":1}],"accounts":[],"waits":[]}`, k.PublicKey())
		return fmt.Sprintf(`{"name":%q,"permissions":[{"perm_name":"owner","parent":"","required_auth":%s},{"perm_name":"active","parent":"owner","required_auth":%s}]}`, name, a, a)
	}
	g, err := devchain.ParseGenesis([]byte(`{"time":"2026-01-01T00:00:00.000","accounts":[` + acct(bp, kTeam) + `,` + acct("other", kOther) + `],
	"producers":[{"owner":"` + bp + `","producer_key":"` + kBlock.PublicKey().Legacy() + `","url":"https://bp.example","location":276},
	{"owner":"other","producer_key":"` + kBlock.PublicKey().Legacy() + `","url":"https://other.example"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	dc, err := devchain.New(g, devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(dc.Handler())
	t.Cleanup(func() { srv.Close(); dc.Close() })
	cl, err := chain.New(chain.Options{URLs: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, dc: dc, cl: cl}
}

func (e *env) push(k *testsigner.Key, acts ...*eos.Action) error {
	e.t.Helper()
	ctx := context.Background()
	e.dc.ProduceBlocks(1)
	tx, err := e.cl.NewTransaction(ctx, acts, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	packed, cfd, err := tx.PackedTransactionAndCFD()
	if err != nil {
		e.t.Fatal(err)
	}
	id, err := e.cl.ChainID(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	sig, err := k.Sign(ctx, signer.Digest(id, packed, cfd))
	if err != nil {
		e.t.Fatal(err)
	}
	tx.Signatures = append(tx.Signatures, sig.ECC())
	_, err = e.cl.Push(ctx, tx)
	return err
}

func (e *env) status(account string) *finalizer.Status {
	e.t.Helper()
	s, err := finalizer.Read(context.Background(), e.cl, account)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) register(p blstest.Pair) {
	e.t.Helper()
	a, err := e.status(bp).Register("active", p.Key.String(), p.PoP.String())
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.push(kTeam, a); err != nil {
		e.t.Fatal(err)
	}
}

func TestLocalChecks(t *testing.T) {
	e := newEnv(t)
	k1, k2, k3 := blstest.NewPair("f1"), blstest.NewPair("f2"), blstest.NewPair("f3")
	s := e.status(bp)
	if !s.Producer || len(s.Keys) != 0 || s.Savanna {
		t.Fatalf("fresh status %+v", s)
	}
	// A wrong proof is refused before anything is built.
	if _, err := s.Register("active", k1.Key.String(), k2.PoP.String()); !errors.Is(err, finalizer.ErrBadProof) {
		t.Fatalf("wrong proof: %v", err)
	}
	if _, err := s.Register("active", "PVT_BLS_vh0bYgBLOLxs_h9zvYNtj20yj8UJxWeFFAtDUW2_pG44e5yc", k1.PoP.String()); err == nil || strings.Contains(err.Error(), "vh0bYg") {
		t.Fatalf("private key: %v", err)
	}
	if _, err := e.status("nobody").Register("active", k1.Key.String(), k1.PoP.String()); !errors.Is(err, finalizer.ErrNotProducer) {
		t.Fatalf("not a producer: %v", err)
	}
	e.register(k1)
	e.register(k2)
	s = e.status(bp)
	if a, ok := s.Active(); !ok || !a.Key.Equal(k1.Key) || len(s.Keys) != 2 {
		t.Fatalf("after two registrations: %+v", s)
	}
	// Taken by anyone: here by another producer.
	if _, err := e.status("other").Register("active", k1.Key.String(), k1.PoP.String()); !errors.Is(err, finalizer.ErrKeyTaken) || !strings.Contains(err.Error(), "by "+bp) {
		t.Fatalf("key of another producer: %v", err)
	}
	if _, err := s.Activate("active", k1.Key.String()); !errors.Is(err, finalizer.ErrAlreadyActive) {
		t.Fatalf("activate the active key: %v", err)
	}
	if _, err := s.Activate("active", k3.Key.String()); !errors.Is(err, finalizer.ErrNotOwnKey) {
		t.Fatalf("activate an unregistered key: %v", err)
	}
	_, err := s.Delete("active", k1.Key.String())
	if !errors.Is(err, finalizer.ErrDeleteActive) || !strings.Contains(err.Error(), "bpkeys finalizer activate "+bp+" --key "+k2.Key.String()) {
		t.Fatalf("delete the active key: %v", err)
	}
	// What the local checks let through, the chain accepts.
	a, err := s.Activate("active", k2.Key.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.push(kTeam, a); err != nil {
		t.Fatal(err)
	}
	d, err := e.status(bp).Delete("active", k1.Key.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.push(kTeam, d); err != nil {
		t.Fatal(err)
	}
	s = e.status(bp)
	if a, ok := s.Active(); !ok || !a.Key.Equal(k2.Key) || len(s.Keys) != 1 {
		t.Fatalf("after activate and delete: %+v", s)
	}
	// The local checks are the contract's: skip them and the chain refuses.
	raw := &eos.Action{Account: "eosio", Name: "delfinkey", Authorization: []eos.PermissionLevel{{Actor: bp, Permission: "active"}},
		ActionData: eos.NewActionData(contracts.DelFinKey{FinalizerName: bp, FinalizerKey: k1.Key.String()})}
	if err := e.push(kTeam, raw); err == nil || !strings.Contains(err.Error(), "finalizer key was not registered") {
		t.Fatalf("deleting a deleted key: %v", err)
	}
}

func TestPolicyAfterSwitch(t *testing.T) {
	e := newEnv(t)
	k1, k2, ko := blstest.NewPair("p1"), blstest.NewPair("p2"), blstest.NewPair("po")
	e.register(k1)
	e.register(k2)
	a, err := e.status("other").Register("active", ko.Key.String(), ko.PoP.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.push(kOther, a); err != nil {
		t.Fatal(err)
	}
	if err := e.dc.SwitchToSavanna(); err != nil {
		t.Fatal(err)
	}
	s := e.status(bp)
	if !s.Savanna || !s.InPolicy {
		t.Fatalf("after the switch: %+v", s)
	}
	act, err := s.Activate("active", k2.Key.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.push(kTeam, act); err != nil {
		t.Fatal(err)
	}
	if s := e.status(bp); !s.InPolicy {
		t.Fatal("actfinkey did not put the new key in the policy")
	}
}

func teamFile(t *testing.T, doc string) *team.Team {
	t.Helper()
	tm, err := team.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestFailoverPlan(t *testing.T) {
	e := newEnv(t)
	primary, backup := blstest.NewPair("primary"), blstest.NewPair("backup")
	e.register(primary)
	e.register(backup)
	doc := fmt.Sprintf("members:\n  - name: alice\nhosts:\n  - name: bp1\n    role: primary\n    block_key: %s\n    finalizer_keys: [%s]\n  - name: bp2\n    role: backup\n    block_key: %s\n    finalizer_keys: [%s]\n",
		kBlock.PublicKey(), primary.Key, kBack.PublicKey(), backup.Key)
	tm := teamFile(t, doc)
	prod := finalizer.ProducerSettings{URL: "https://bp.example", Location: 276,
		Authority: contracts.BlockSigningAuthority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: kBlock.PublicKey().ECC(), Weight: 1}}}}
	s := e.status(bp)
	if _, err := s.PlanFailover(tm, "bp1", "active", prod); !errors.Is(err, finalizer.ErrNothingToDo) {
		t.Fatalf("failover to the active host: %v", err)
	}
	if _, err := s.PlanFailover(tm, "bp9", "active", prod); !errors.Is(err, finalizer.ErrNoHost) {
		t.Fatalf("unknown host: %v", err)
	}
	f, err := s.PlanFailover(tm, "bp2", "active", prod)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Actions) != 2 || f.Actions[0].Name != "actfinkey" || f.Actions[1].Name != "regproducer2" || f.BlockKey != kBack.PublicKey().String() {
		t.Fatalf("plan %+v", f)
	}
	if err := e.push(kTeam, f.Actions...); err != nil {
		t.Fatal(err)
	}
	s = e.status(bp)
	if a, _ := s.Active(); !a.Key.Equal(backup.Key) {
		t.Fatal("the backup key is not active after the failover")
	}
	if got := e.dc.ProducerSchedule(); len(got) != 2 {
		t.Fatalf("schedule %v", got)
	}
	// A finalizer key on two hosts is refused: double voting.
	dup := teamFile(t, strings.Replace(doc, "finalizer_keys: ["+backup.Key.String()+"]", "finalizer_keys: ["+primary.Key.String()+"]", 1))
	if _, err := s.PlanFailover(dup, "bp1", "active", prod); !errors.Is(err, finalizer.ErrDoubleVote) {
		t.Fatalf("key on two hosts: %v", err)
	}
}

func TestPeerKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := finalizer.ReadPeerKey(ctx, e.cl, bp); !errors.Is(err, finalizer.ErrNoPeerKey) {
		t.Fatalf("no peer key yet: %v", err)
	}
	pk := kBack.PublicKey()
	a, err := finalizer.SetPeerKey(bp, "active", pk, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.push(kTeam, a); err != nil {
		t.Fatal(err)
	}
	got, err := finalizer.ReadPeerKey(ctx, e.cl, bp)
	if err != nil || got != pk {
		t.Fatalf("peer key %s, %v", got, err)
	}
	if _, err := finalizer.SetPeerKey(bp, "active", pk, &got); !errors.Is(err, finalizer.ErrSamePeerKey) {
		t.Fatalf("same key: %v", err)
	}
	if err := e.push(kTeam, finalizer.DeletePeerKey(bp, "active", got)); err != nil {
		t.Fatal(err)
	}
	if _, err := finalizer.ReadPeerKey(ctx, e.cl, bp); !errors.Is(err, finalizer.ErrNoPeerKey) {
		t.Fatalf("after delete: %v", err)
	}
}
