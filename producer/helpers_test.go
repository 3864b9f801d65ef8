package producer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/hsm/pkcs11"
	"github.com/bpkeys/bpkeys/internal/softhsmtest"
	"github.com/bpkeys/bpkeys/internal/testenv"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/txflow"
)

const (
	hsmPINEnv = "BPKEYS_PRODUCER_TEST_PIN"
	team      = "bpteam111111"
)

// SoftHSM2 reads its token directory once per process (at C_Initialize), so
// TestMain makes every token before any test loads the module.
var hsmSetup struct{ dir, missing string }

var softhsmModule = softhsmtest.Module

func TestMain(m *testing.M) {
	code := func() int {
		if err := setupSoftHSM(); err != nil {
			hsmSetup.missing = err.Error()
		}
		if hsmSetup.dir != "" {
			defer os.RemoveAll(hsmSetup.dir)
		}
		return m.Run()
	}()
	os.Exit(code)
}

func setupSoftHSM() error {
	toks := softhsmtest.Setup("1234", "prod", "bench")
	hsmSetup.dir = toks.Dir
	if toks.Missing != "" {
		return errors.New(toks.Missing)
	}
	os.Setenv(hsmPINEnv, "1234")
	return nil
}

var hsmBackend = pkcs11.New(pkcs11.WithModule(softhsmModule))

func hsmRef(t testing.TB, token, object string) signer.Ref {
	t.Helper()
	r, err := signer.ParseRef(fmt.Sprintf("pkcs11:token=%s;object=%s?module-path=%s&pin-source=env:%s", token, object, softhsmModule, hsmPINEnv))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// hsmKey generates a key on a SoftHSM token and opens it.
func hsmKey(t testing.TB, token, object string, c signer.Curve) devices.Key {
	t.Helper()
	if hsmSetup.missing != "" {
		testenv.Missing(t, "SoftHSM2 ("+hsmSetup.missing+")", testenv.Hint)
	}
	ref := hsmRef(t, token, object)
	if _, err := hsmBackend.Generate(context.Background(), ref, devices.GenerateOptions{Curve: c}); err != nil {
		t.Fatalf("generating %s/%s: %v", token, object, err)
	}
	k, err := hsmBackend.Open(context.Background(), ref)
	if err != nil {
		t.Fatalf("opening %s/%s: %v", token, object, err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return k
}

// teamKeys are the public keys of the test genesis.
type teamKeys struct {
	alice, bob, carol signer.PublicKey
	rotate            signer.PublicKey // bpteam@rotate, linked to regproducer*, unregprod
	claim             signer.PublicKey // bpteam@claim, linked to claimrewards
	block             signer.PublicKey // the current block-signing key
}

var (
	tkAlice  = testsigner.FromSeed(signer.CurveK1, "alice")
	tkBob    = testsigner.FromSeed(signer.CurveR1, "bob")
	tkCarol  = testsigner.FromSeed(signer.CurveK1, "carol")
	tkRotate = testsigner.FromSeed(signer.CurveK1, "rotate")
	tkClaim  = testsigner.FromSeed(signer.CurveR1, "claim")
	tkBlock  = testsigner.FromSeed(signer.CurveK1, "block-signing")
)

func defaultKeys() teamKeys {
	return teamKeys{tkAlice.PublicKey(), tkBob.PublicKey(), tkCarol.PublicKey(), tkRotate.PublicKey(), tkClaim.PublicKey(), tkBlock.PublicKey()}
}

const testChainID = "5eb2c3d2b0a77b3e5cc1e9f4e8a7a36cb6b2a1dd8d1d1a3b0d6f7e2c1b0a9f8e"

func keyAuthJSON(k signer.PublicKey) string {
	return fmt.Sprintf(`{"threshold":1,"keys":[{"key":%q,"weight":1}],"accounts":[],"waits":[]}`, k.String())
}

// genesisJSON is the test chain: three members, a team account whose
// owner and active are 2 of 3 members, a rotate permission (the HSM key
// alone, or two members) linked to regproducer/regproducer2/unregprod, and a
// claim permission linked to both claimrewards.
func genesisJSON(k teamKeys) string {
	members := `"accounts":[{"permission":{"actor":"alice","permission":"active"},"weight":1},{"permission":{"actor":"bob","permission":"active"},"weight":1},{"permission":{"actor":"carol","permission":"active"},"weight":1}]`
	acct := func(name string, key signer.PublicKey) string {
		return fmt.Sprintf(`{"name":%q,"balance":"1000.0000 EOS","permissions":[{"perm_name":"owner","parent":"","required_auth":%s},{"perm_name":"active","parent":"owner","required_auth":%s}]}`, name, keyAuthJSON(key), keyAuthJSON(key))
	}
	return `{"chain_id":"` + testChainID + `","time":"2026-01-01T00:00:00.000","accounts":[` +
		acct("alice", k.alice) + "," + acct("bob", k.bob) + "," + acct("carol", k.carol) + `,
	{"name":"` + team + `","balance":"10.0000 EOS","permissions":[
	  {"perm_name":"owner","parent":"","required_auth":{"threshold":2,"keys":[],` + members + `,"waits":[]}},
	  {"perm_name":"active","parent":"owner","required_auth":{"threshold":2,"keys":[],` + members + `,"waits":[]}},
	  {"perm_name":"rotate","parent":"active","required_auth":{"threshold":2,"keys":[{"key":"` + k.rotate.String() + `","weight":2}],` + members + `,"waits":[]},
	   "linked_actions":[{"account":"eosio","action":"regproducer"},{"account":"eosio","action":"regproducer2"},{"account":"eosio","action":"unregprod"}]},
	  {"perm_name":"claim","parent":"active","required_auth":` + keyAuthJSON(k.claim) + `,
	   "linked_actions":[{"account":"eosio","action":"claimrewards"},{"account":"eosio.bpay","action":"claimrewards"}]}
	]}],
	"producers":[{"owner":"` + team + `","producer_key":"` + k.block.Legacy() + `","url":"https://bp.example","location":276}]}`
}

// testChain is a devchain behind two switchable HTTP fronts, a chain
// client over both, and a journal.
type testChain struct {
	dc      *devchain.Chain
	fronts  []*front
	client  *chain.Client
	journal *audit.Journal
}

// front forwards to the devchain unless it is down (then it answers 502 like
// a proxy whose node is gone).
type front struct {
	srv  *httptest.Server
	down atomic.Bool
	hits atomic.Int64
}

func newTestChain(t testing.TB, k teamKeys) *testChain {
	t.Helper()
	return newTestChainFrom(t, genesisJSON(k))
}

// newTestChainFrom is newTestChain with a genesis of the caller's.
func newTestChainFrom(t testing.TB, genesis string) *testChain {
	t.Helper()
	g, err := devchain.ParseGenesis([]byte(genesis))
	if err != nil {
		t.Fatal(err)
	}
	dc, err := devchain.New(g, devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dc.Close() })
	h := dc.Handler()
	tc := &testChain{dc: dc}
	var urls []string
	for i := 0; i < 2; i++ {
		f := &front{}
		f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.hits.Add(1)
			if f.down.Load() {
				http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
				return
			}
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(f.srv.Close)
		tc.fronts = append(tc.fronts, f)
		urls = append(urls, f.srv.URL)
	}
	id, _ := signer.ParseChainID(testChainID)
	tc.client, err = chain.New(chain.Options{URLs: urls, ChainID: id})
	if err != nil {
		t.Fatal(err)
	}
	tc.journal, err = audit.Open(filepath.Join(t.TempDir(), "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

// journalCount returns the number of verified journal entries.
func (tc *testChain) journalCount(t testing.TB) int {
	t.Helper()
	es, err := tc.journal.Entries()
	if err == audit.ErrNoJournal {
		return 0
	}
	if err != nil {
		t.Fatalf("journal: %v", err)
	}
	return len(es)
}

// pushAs signs actions with keys through the signing gate and pushes them.
func (tc *testChain) pushAs(t testing.TB, note string, acts []*eos.Action, signers ...signer.Signer) *chain.PushResult {
	t.Helper()
	ctx := context.Background()
	var avail []signer.PublicKey
	for _, s := range signers {
		avail = append(avail, s.PublicKey())
	}
	g := &txflow.Gate{Chain: tc.client, Journal: tc.journal}
	prep, err := g.Prepare(ctx, txflow.Job{Note: note, Stages: [][]*eos.Action{acts}, Avail: avail})
	if err != nil {
		t.Fatalf("%s: %v", note, err)
	}
	_ = prep.Lines()
	if err := prep.Confirmed(); err != nil {
		t.Fatal(err)
	}
	res, err := g.Sign(ctx, prep, signers)
	if err != nil {
		t.Fatalf("%s: %v", note, err)
	}
	return res.Pushed[0]
}

func act(account, name string, data any, auth ...string) *eos.Action {
	a := &eos.Action{Account: eos.AccountName(account), Name: eos.ActionName(name), ActionData: eos.NewActionDataFromHexData(contracts.MustEncode(data))}
	for _, s := range auth {
		actor, perm, _ := strings.Cut(s, "@")
		a.Authorization = append(a.Authorization, eos.PermissionLevel{Actor: eos.AccountName(actor), Permission: eos.PermissionName(perm)})
	}
	return a
}

// fakeClock moves the devchain's clock when the code under test sleeps.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	dc      *devchain.Chain
	slept   []time.Duration
	onSleep func(n int, d time.Duration)
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	n := len(c.slept)
	hook := c.onSleep
	c.mu.Unlock()
	if d > 0 && c.dc != nil {
		if _, err := c.dc.AdvanceTime(d); err != nil {
			return err
		}
	}
	if hook != nil {
		hook(n, d)
	}
	return ctx.Err()
}

func tkFromSeed(seed string) signer.PublicKey {
	return testsigner.FromSeed(signer.CurveK1, seed).PublicKey()
}

// execute signs a plan through the signing gate, as the commands do: shown
// (to nobody), confirmed, signed, pushed.
func (tc *testChain) execute(ctx context.Context, p interface {
	Prepare(context.Context, *txflow.Gate) (*txflow.Prepared, error)
}, signers []signer.Signer) (*Outcome, error) {
	g := &txflow.Gate{Chain: tc.client, Journal: tc.journal}
	prep, err := p.Prepare(ctx, g)
	if err != nil {
		return nil, err
	}
	_ = prep.Lines()
	if err := prep.Confirmed(); err != nil {
		return nil, err
	}
	res, err := g.Sign(ctx, prep, signers)
	if err != nil {
		return nil, err
	}
	return OutcomeOf(res), nil
}
