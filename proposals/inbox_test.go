package proposals

import (
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

var kProposers = testsigner.FromSeed(signer.CurveK1, "proposals-proposers")

const (
	scaleProposers = 500
	scalePerScope  = 20
)

func proposerName(i int) string {
	return "prop" + string(nameAlphabet[5+i/31%26]) + string(nameAlphabet[i%31])
}

// scaleEnv is a devchain with 10,000 proposals from 500 proposers, each a
// transfer from bpteam111111 (2 of alice, bob, carol). Proposal k requests
// [alice bob carol] when k%3 == 0, [alice bob] when 1, [bob carol] when 2;
// carol has approved every proposal with k%50 == 0. It returns how many
// await carol.
func scaleEnv(tb testing.TB) (*env, int) {
	g := teamGenesis()
	for i := 0; i < scaleProposers; i++ {
		g.Accounts = append(g.Accounts, simpleAccount(proposerName(i), kProposers))
	}
	e := newEnv(tb, g)
	exp := e.dc.Head().Time.Add(24 * time.Hour)
	pay := act("eosio.token", "transfer", contracts.Transfer{From: "bpteam111111", To: "alice", Quantity: eos.Asset{Amount: 1, Symbol: eos.Symbol{Precision: 4, Symbol: "EOS"}}}, "bpteam111111@active")
	packed, _, err := PackInner([]Action{pay}, exp)
	if err != nil {
		tb.Fatal(err)
	}
	sets := [][]eos.PermissionLevel{
		{lv("alice@active"), lv("bob@active"), lv("carol@active")},
		{lv("alice@active"), lv("bob@active")},
		{lv("bob@active"), lv("carol@active")},
	}
	awaiting := 0
	var carolApproves []*eos.Action
	for i := 0; i < scaleProposers; i++ {
		proposer := proposerName(i)
		var acts []*eos.Action
		for j := 0; j < scalePerScope; j++ {
			k := i*scalePerScope + j
			name := eos.Name(GenerateName([32]byte{byte(k), byte(k >> 8)}, 0))
			data, err := contracts.ProposeRaw{Proposer: eos.AccountName(proposer), ProposalName: name, Requested: sets[k%3], PackedTrx: packed}.Bytes()
			if err != nil {
				tb.Fatal(err)
			}
			acts = append(acts, &eos.Action{Account: Msig, Name: "propose", Authorization: []eos.PermissionLevel{lv(proposer + "@active")}, ActionData: eos.NewActionDataFromHexData(data)})
			if k%3 != 1 {
				if k%50 == 0 {
					carolApproves = append(carolApproves, mustAction(ApproveAction(&Proposal{Proposer: eos.AccountName(proposer), Name: name, Hash: sha(packed), Requested: []Approval{{Level: lv("carol@active")}}}, lv("carol@active"))))
				} else {
					awaiting++
				}
			}
		}
		e.pushDirect(acts, kProposers)
	}
	for len(carolApproves) > 0 {
		n := min(len(carolApproves), 50)
		e.pushDirect(carolApproves[:n], kCarol)
		carolApproves = carolApproves[n:]
	}
	return e, awaiting
}

func sha(b []byte) [32]byte { return sha256.Sum256(b) }

func mustAction(a *eos.Action, err error) *eos.Action {
	if err != nil {
		panic(err)
	}
	return a
}

// pushDirect signs with k (known to be the one key needed) and pushes to
// the devchain without HTTP, for fast setup.
func (e *env) pushDirect(actions []*eos.Action, k *testsigner.Key) {
	e.t.Helper()
	h := e.dc.Head()
	tx := &eos.Transaction{TransactionHeader: eos.TransactionHeader{
		Expiration: eos.JSONTime{Time: h.Time.Add(time.Minute)}, RefBlockNum: uint16(h.Num), RefBlockPrefix: h.RefBlockPrefix(),
	}, Actions: actions}
	packed := contracts.MustEncode(tx)
	sig, err := k.Sign(e.ctx, signer.Digest(e.dc.ChainID(), packed, nil))
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.dc.PushTransaction(devchain.PushRequest{Signatures: []string{sig.String()}, Compression: []byte(`"none"`), PackedTrx: hex.EncodeToString(packed)}); err != nil {
		e.t.Fatalf("push: %v", err)
	}
}

func TestInboxAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 proposals")
	}
	e, want := scaleEnv(t)
	start := time.Now()
	items, err := Inbox(e.ctx, e.cl, func(l eos.PermissionLevel) bool { return l == lv("carol@active") }, InboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("inbox over %d proposals from %d proposers: %d awaiting carol in %v", scaleProposers*scalePerScope, scaleProposers, len(items), time.Since(start))
	if len(items) != want {
		t.Fatalf("%d awaiting carol, want %d", len(items), want)
	}
	seen := map[string]bool{}
	for _, it := range items {
		key := string(it.Proposer) + "/" + string(it.Name)
		if seen[key] || len(it.Awaiting) != 1 || it.Awaiting[0] != lv("carol@active") || it.Hash.IsZero() || it.Expired {
			t.Fatalf("item %+v (duplicate %v)", it, seen[key])
		}
		seen[key] = true
	}
	// Alice is asked on two thirds, none approved.
	items, err = Inbox(e.ctx, e.cl, func(l eos.PermissionLevel) bool { return l == lv("alice@active") }, InboxOptions{Concurrency: 3, PageSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	if wantAlice := scaleProposers * scalePerScope * 2 / 3; len(items) < wantAlice-1 || len(items) > wantAlice+1 {
		t.Fatalf("%d awaiting alice, want about %d", len(items), wantAlice)
	}
}

// BenchmarkInbox10k runs the inbox over 10,000 proposals from 500
// proposers through the HTTP API of an in-process devchain, and reports
// the peak heap (devchain included) while it runs.
func BenchmarkInbox10k(b *testing.B) {
	e, want := scaleEnv(b)
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		items, err := Inbox(e.ctx, e.cl, func(l eos.PermissionLevel) bool { return l == lv("carol@active") }, InboxOptions{})
		if err != nil || len(items) != want {
			b.Fatalf("%d items, want %d: %v", len(items), want, err)
		}
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
}
