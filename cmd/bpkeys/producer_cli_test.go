package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/producer"
	"github.com/bpkeys/bpkeys/signer"
)

// fakeDevices stands in for the HSM and YubiKey backends in CLI tests of
// the producer commands: in-memory test keys behind pkcs11: and yubikey:
// references (the object= label or the slot names the key). The real
// devices are exercised by the producer package's tests (SoftHSM2 and the
// emulated YubiKey through pcscd), because SoftHSM2 reads its tokens once
// per process and this package's PKCS#11 test owns that.
type fakeDevices struct {
	scheme string
	mu     sync.Mutex
	keys   map[string]*testsigner.Key
}

func (f *fakeDevices) name(ref signer.Ref) string {
	if n := ref.Get("object"); n != "" {
		return n
	}
	return ref.Get("slot")
}

func (f *fakeDevices) Scheme() string { return f.scheme }

func (f *fakeDevices) Inventory(context.Context) (devices.Inventory, error) {
	return devices.Inventory{}, nil
}

func (f *fakeDevices) Open(_ context.Context, ref signer.Ref) (devices.Key, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.keys[f.name(ref)]
	if !ok {
		return nil, fmt.Errorf("test device: no key %q", f.name(ref))
	}
	return fakeKey{k}, nil
}

func (f *fakeDevices) Generate(_ context.Context, ref signer.Ref, opts devices.GenerateOptions) (signer.PublicKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.name(ref)
	if _, ok := f.keys[n]; ok {
		return signer.PublicKey{}, fmt.Errorf("test device: %q already exists", n)
	}
	k := testsigner.FromSeed(opts.Curve, f.scheme+"/"+n)
	f.keys[n] = k
	return k.PublicKey(), nil
}

type fakeKey struct{ *testsigner.Key }

func (fakeKey) Close() error { return nil }

// cliChain is a devchain for CLI tests behind two switchable endpoints.
type cliChain struct {
	dc      *devchain.Chain
	urls    []string
	down    []*atomic.Bool
	hsm     *fakeDevices
	yubikey *fakeDevices
	journal string
	deps    claimDeps
	// producers, when set, is the producers table both endpoints serve
	// (a lagging node), whatever the chain holds.
	producers atomic.Pointer[[]byte]
}

const cliTeam = "bpteam111111"

func cliKeyAuth(k signer.PublicKey) string {
	return fmt.Sprintf(`{"threshold":1,"keys":[{"key":%q,"weight":1}],"accounts":[],"waits":[]}`, k.String())
}

// newCLIChain makes the team of the runbooks: alice, bob and carol hold
// YubiKeys (slots 9a, 9c, 9d of the fake yubikey backend), the server HSM
// holds rotate and claim keys, the team account's owner and active are 2
// of 3 members, rotate (HSM key alone, or 2 members) is linked to
// regproducer/regproducer2/unregprod, claim to both claimrewards.
func newCLIChain(t *testing.T) *cliChain { return newCLIChainWith(t, true) }

// newCLIChainWith makes the chain with or without the claim permission
// (and its HSM key).
func newCLIChainWith(t *testing.T, withClaim bool) *cliChain {
	t.Helper()
	return newCLIChainSystem(t, withClaim, "")
}

// newCLIChainSystem makes the chain with a system contract flavour
// (devchain.SystemLegacy, or "" for the current one).
func newCLIChainSystem(t *testing.T, withClaim bool, system string) *cliChain {
	t.Helper()
	cc := &cliChain{
		hsm:     &fakeDevices{scheme: "pkcs11", keys: map[string]*testsigner.Key{}},
		yubikey: &fakeDevices{scheme: "yubikey", keys: map[string]*testsigner.Key{}},
		journal: filepath.Join(t.TempDir(), "journal.jsonl"),
	}
	gen := func(d *fakeDevices, name string, c signer.Curve) signer.PublicKey {
		pub, err := d.Generate(context.Background(), signer.Ref{Path: map[string]string{"object": name}}, devices.GenerateOptions{Curve: c})
		if err != nil {
			t.Fatal(err)
		}
		return pub
	}
	alice, bob, carol := gen(cc.yubikey, "9a", signer.CurveR1), gen(cc.yubikey, "9c", signer.CurveR1), gen(cc.yubikey, "9d", signer.CurveR1)
	rotate := gen(cc.hsm, "rotate", signer.CurveK1)
	claimPerm := ""
	if withClaim {
		claim := gen(cc.hsm, "claim", signer.CurveK1)
		claimPerm = `,
	  {"perm_name":"claim","parent":"active","required_auth":` + cliKeyAuth(claim) + `,
	   "linked_actions":[{"account":"eosio","action":"claimrewards"},{"account":"eosio.bpay","action":"claimrewards"}]}`
	}
	block := testsigner.FromSeed(signer.CurveK1, "cli-block").PublicKey()
	members := `"accounts":[{"permission":{"actor":"alice","permission":"active"},"weight":1},{"permission":{"actor":"bob","permission":"active"},"weight":1},{"permission":{"actor":"carol","permission":"active"},"weight":1}]`
	acct := func(name string, key signer.PublicKey) string {
		return fmt.Sprintf(`{"name":%q,"balance":"1000.0000 EOS","permissions":[{"perm_name":"owner","parent":"","required_auth":%s},{"perm_name":"active","parent":"owner","required_auth":%s}]}`, name, cliKeyAuth(key), cliKeyAuth(key))
	}
	g := `{"system_contract":"` + system + `","time":"2026-01-01T00:00:00.000","accounts":[` + acct("alice", alice) + "," + acct("bob", bob) + "," + acct("carol", carol) + `,
	{"name":"` + cliTeam + `","balance":"10.0000 EOS","permissions":[
	  {"perm_name":"owner","parent":"","required_auth":{"threshold":2,"keys":[],` + members + `,"waits":[]}},
	  {"perm_name":"active","parent":"owner","required_auth":{"threshold":2,"keys":[],` + members + `,"waits":[]}},
	  {"perm_name":"rotate","parent":"active","required_auth":{"threshold":2,"keys":[{"key":"` + rotate.String() + `","weight":2}],` + members + `,"waits":[]},
	   "linked_actions":[{"account":"eosio","action":"regproducer"},{"account":"eosio","action":"regproducer2"},{"account":"eosio","action":"unregprod"}]}` + claimPerm + `
	]}],
	"producers":[{"owner":"` + cliTeam + `","producer_key":"` + block.Legacy() + `","url":"https://bp.example","location":276}]}`
	genesis, err := devchain.ParseGenesis([]byte(g))
	if err != nil {
		t.Fatal(err)
	}
	cc.dc, err = devchain.New(genesis, devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.dc.Close() })
	h := cc.dc.Handler()
	for i := 0; i < 2; i++ {
		down := &atomic.Bool{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
				return
			}
			if r.URL.Path == "/v1/chain/get_table_rows" {
				if frozen := cc.producers.Load(); frozen != nil {
					body, _ := io.ReadAll(r.Body)
					if bytes.Contains(body, []byte(`"producers"`)) {
						w.Header().Set("Content-Type", "application/json")
						_, _ = w.Write(*frozen)
						return
					}
					r.Body = io.NopCloser(bytes.NewReader(body))
				}
			}
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		cc.urls = append(cc.urls, srv.URL)
		cc.down = append(cc.down, down)
	}
	return cc
}

// run executes bpkeys in-process against the chain, with the fake devices
// and the claim seams, mapping errors to exit codes as run does.
func (cc *cliChain) run(t *testing.T, ctx context.Context, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := &app{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr}
	a.registry = devices.NewRegistry(cc.hsm, cc.yubikey)
	root := newRootCmd(a)
	for _, c := range root.Commands() {
		if c.Name() == "claim" {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(newClaimCmd(a, cc.deps))
	full := []string{"--url", cc.urls[0], "--url", cc.urls[1], "--chain-id", cc.dc.ChainID().String(), "--journal", cc.journal}
	root.SetArgs(append(full, args...))
	root.SetIn(a.stdin)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.ExecuteContext(ctx)
	code := exitOK
	if err != nil {
		fmt.Fprintln(&stderr, "bpkeys: "+err.Error())
		code = exitCode(ctx, err)
	}
	return code, stdout.String(), stderr.String()
}

func (cc *cliChain) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := cc.run(t, context.Background(), "", args...)
	if code != 0 {
		t.Fatalf("bpkeys %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func (cc *cliChain) journalEntries(t *testing.T) []audit.Entry {
	t.Helper()
	j, err := audit.Open(cc.journal)
	if err != nil {
		t.Fatal(err)
	}
	es, err := j.Entries()
	if errors.Is(err, audit.ErrNoJournal) {
		return nil
	}
	if err != nil {
		t.Fatalf("journal does not verify: %v", err)
	}
	return es
}

const (
	hsmRotate = "pkcs11:token=bp-hsm;object=rotate?pin-source=env:BPKEYS_PIN"
	hsmClaim  = "pkcs11:token=bp-hsm;object=claim?pin-source=env:BPKEYS_PIN"
	ykAlice   = "yubikey:slot=9a"
	ykBob     = "yubikey:slot=9c"
)

func TestProducerShowCLI(t *testing.T) {
	cc := newCLIChain(t)
	out := cc.mustRun(t, "producer", "show", cliTeam)
	for _, want := range []string{"producer:        bpteam111111 (active)", "url:             https://bp.example", "location:        276", "next claim:      allowed now", "rotate with:     bpteam111111@rotate (linked to eosio::regproducer)", "claim with:      bpteam111111@claim"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	var info producer.Info
	if err := json.Unmarshal([]byte(cc.mustRun(t, "--json", "producer", "show", cliTeam)), &info); err != nil || info.RotatePermission != "rotate" || !info.Row.Active {
		t.Fatalf("json: %v %+v", err, info)
	}
	if code, _, errOut := cc.run(t, context.Background(), "", "producer", "show", "alice"); code != exitFailed || !strings.Contains(errOut, "not a registered producer") {
		t.Fatalf("alice: %d %s", code, errOut)
	}
}

func TestProducerRotateCLI(t *testing.T) {
	cc := newCLIChain(t)
	gen := "pkcs11:token=bp-hsm;object=block-2026?pin-source=env:BPKEYS_PIN"

	// A dry run signs nothing and generates nothing.
	out := cc.mustRun(t, "producer", "rotate-key", cliTeam, "--generate", gen, "--signer", hsmRotate, "--dry-run")
	if !strings.Contains(out, "dry run: nothing was signed or sent") || !strings.Contains(out, "via:          direct") {
		t.Fatalf("dry run:\n%s", out)
	}
	if len(cc.journalEntries(t)) != 0 || len(cc.hsm.keys) != 2 {
		t.Fatal("the dry run signed or generated something")
	}
	// Declining at the prompt signs nothing.
	code, _, errOut := cc.run(t, context.Background(), "n\n", "producer", "rotate-key", cliTeam, "--new-key", testsigner.FromSeed(signer.CurveK1, "x").PublicKey().String(), "--signer", hsmRotate)
	if code != exitRefused || !strings.Contains(errOut, "Sign and send this rotation? [y/N]") || len(cc.journalEntries(t)) != 0 {
		t.Fatalf("declined: exit %d\n%s", code, errOut)
	}

	code, out, errOut = cc.run(t, context.Background(), "y\n", "--json", "producer", "rotate-key", cliTeam, "--generate", gen, "--signer", hsmRotate)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Plan      producer.Plan      `json:"plan"`
		Outcome   producer.Outcome   `json:"outcome"`
		ElapsedMS float64            `json:"elapsed_ms"`
		Confirmed bool               `json:"confirmed"`
		KeyRecord string             `json:"key_record"`
		Key       producer.KeyRecord `json:"key"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	newKey := cc.hsm.keys["block-2026"].PublicKey()
	if !res.Confirmed || res.Plan.Via != producer.ViaDirect || res.Outcome.TrxID == "" || res.ElapsedMS <= 0 || res.Key.PublicKey != newKey.String() || res.Key.Where != gen || res.Key.Status != producer.KeyInstalledReady {
		t.Fatalf("result %+v", res)
	}
	b, err := os.ReadFile(res.KeyRecord)
	if err != nil || !strings.Contains(string(b), newKey.String()) || !strings.Contains(string(b), newKey.Legacy()) {
		t.Fatalf("key record %s: %v\n%s", res.KeyRecord, err, b)
	}
	es := cc.journalEntries(t)
	if len(es) != 1 || es[0].TrxID != res.Outcome.TrxID || !strings.Contains(strings.Join(es[0].Actions, ""), "eosio::regproducer bpteam111111@rotate") {
		t.Fatalf("journal %+v", es)
	}
	show := cc.mustRun(t, "producer", "show", cliTeam)
	if !strings.Contains(show, "signing key:     "+newKey.String()) {
		t.Fatalf("after rotation:\n%s", show)
	}

	// Text output, regproducer2 with two keys.
	cc.dc.ProduceBlocks(1)
	k1, k2 := testsigner.FromSeed(signer.CurveK1, "m1").PublicKey(), testsigner.FromSeed(signer.CurveR1, "m2").PublicKey()
	out = cc.mustRun(t, "--yes", "producer", "rotate-key", cliTeam, "--new-key", k1.String(), "--new-key", k2.String(), "--threshold", "1", "--signer", hsmRotate)
	for _, want := range []string{"old key:      " + newKey.String(), "new key:      threshold 1 of", "pushed in:", "confirmed:    the producers table now shows threshold 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("regproducer2 output lacks %q:\n%s", want, out)
		}
	}
	if es := cc.journalEntries(t); len(es) != 2 || !strings.Contains(es[1].Actions[0], "regproducer2") {
		t.Fatalf("journal %+v", es)
	}
	// Usage errors exit 2.
	if code, _, _ := cc.run(t, context.Background(), "", "producer", "rotate-key", cliTeam, "--signer", hsmRotate); code != exitUsage {
		t.Fatalf("no key: exit %d", code)
	}
	if code, _, _ := cc.run(t, context.Background(), "", "producer", "rotate-key", cliTeam, "--new-key", k1.String(), "--signer", hsmRotate, "--yes"); code != exitUsage {
		t.Fatalf("one key on a two-key authority without --replace: exit %d", code)
	}
	if code, _, _ := cc.run(t, context.Background(), "", "producer", "rotate-key", cliTeam, "--generate", "yubikey:slot=9e", "--curve", "k1", "--signer", hsmRotate); code != exitUsage {
		t.Fatalf("k1 on a yubikey: exit %d", code)
	}
}

func TestProducerRotateMsigCLI(t *testing.T) {
	cc := newCLIChain(t)
	nk := testsigner.FromSeed(signer.CurveK1, "msig-new").PublicKey()
	out := cc.mustRun(t, "--yes", "producer", "rotate-key", cliTeam, "--new-key", nk.String(), "--signer", ykAlice)
	for _, want := range []string{"proposed:     alice/rotkey", "others run:   bpkeys msig review alice rotkey", "bpkeys msig approve alice rotkey"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if es := cc.journalEntries(t); len(es) != 1 || !strings.Contains(es[0].Note, "msig propose") {
		t.Fatalf("journal %+v", es)
	}
}

func TestProducerUnregisterCLI(t *testing.T) {
	cc := newCLIChain(t)
	code, _, errOut := cc.run(t, context.Background(), "bpteam\n", "producer", "unregister", cliTeam, "--signer", hsmRotate)
	if code != exitRefused || !strings.Contains(errOut, `Type "bpteam111111" to confirm`) || len(cc.journalEntries(t)) != 0 {
		t.Fatalf("wrong name: exit %d\n%s", code, errOut)
	}
	code, out, errOut := cc.run(t, context.Background(), cliTeam+"\n", "producer", "unregister", cliTeam, "--signer", hsmRotate)
	if code != 0 || !strings.Contains(out, "confirmed:    bpteam111111 is no longer active") || !strings.Contains(out, "pushed in:") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(cc.mustRun(t, "producer", "show", cliTeam), "NOT active") {
		t.Fatal("still active")
	}
	if code, _, _ := cc.run(t, context.Background(), "", "--yes", "producer", "unregister", cliTeam, "--signer", hsmRotate); code != exitUsage {
		t.Fatalf("second unregister: exit %d", code)
	}
}

func TestClaimCLI(t *testing.T) {
	cc := newCLIChain(t)
	metrics := filepath.Join(t.TempDir(), "bpkeys_claim.prom")
	args := []string{"claim", cliTeam, "--signer", hsmClaim, "--metrics", metrics, "--log-format", "json"}
	code, out, errOut := cc.run(t, context.Background(), "", args...)
	if code != 0 || !strings.HasPrefix(out, "bpteam111111: claimed 250.0000 EOS from eosio, eosio.bpay in transaction ") || strings.Count(out, "\n") != 1 {
		t.Fatalf("first: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil || m["msg"] == nil || m["level"] == nil {
			t.Fatalf("log line %q is not structured JSON: %v", line, err)
		}
	}
	cc.dc.ProduceBlocks(1)
	code, out, errOut = cc.run(t, context.Background(), "", args...)
	if code != 0 || !strings.HasPrefix(out, "bpteam111111: not yet, nothing sent; next claim allowed at 2026-01-02T00:00:00Z") {
		t.Fatalf("second: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := len(cc.journalEntries(t)); n != 1 {
		t.Fatalf("journal %d", n)
	}
	if _, err := cc.dc.AdvanceTime(24*time.Hour + time.Second); err != nil {
		t.Fatal(err)
	}
	code, out, _ = cc.run(t, context.Background(), "", append(args, "--json")...)
	var res producer.ClaimResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Status != producer.Claimed {
		t.Fatalf("next day: exit %d %s", code, out)
	}
	m, err := producer.LoadMetrics(metrics, cliTeam)
	if err != nil || m.Claims != 2 || m.NoOps != 1 {
		t.Fatalf("metrics %+v %v", m, err)
	}
	// A missing --signer is a usage error; an unknown account a failure.
	if code, _, _ := cc.run(t, context.Background(), "", "claim", cliTeam); code != exitUsage {
		t.Fatalf("no signer: exit %d", code)
	}
	if code, _, _ := cc.run(t, context.Background(), "", "claim", "alice", "--signer", hsmClaim, "--retries", "0"); code != exitFailed {
		t.Fatalf("not a producer: exit %d", code)
	}
}

// cliClock is a fake clock that moves the devchain's clock.
type cliClock struct {
	mu    sync.Mutex
	now   time.Time
	dc    *devchain.Chain
	slept []time.Duration
}

func (c *cliClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *cliClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	c.mu.Unlock()
	if _, err := c.dc.AdvanceTime(d); err != nil {
		return err
	}
	return ctx.Err()
}

// TestClaimDaemonCLI runs claim --daemon for three days on a fake clock,
// with the first endpoint failing from day 2, and stops it by cancelling
// its context (what SIGTERM does).
func TestClaimDaemonCLI(t *testing.T) {
	cc := newCLIChain(t)
	clock := &cliClock{dc: cc.dc, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	claims := 0
	cc.deps = claimDeps{clock: clock, daemon: producer.DaemonOptions{Rand: func() float64 { return 0.25 }, OnRun: func(r *producer.ClaimResult, err error) {
		if err == nil && r.Status == producer.Claimed {
			claims++
		}
		if claims == 1 {
			cc.down[0].Store(true)
		}
		if claims == 3 {
			cancel()
		}
	}}}
	metrics := filepath.Join(t.TempDir(), "claim.prom")
	code, out, errOut := cc.run(t, ctx, "", "claim", cliTeam, "--signer", hsmClaim, "--daemon", "--metrics", metrics)
	if code != 0 || claims != 3 {
		t.Fatalf("exit %d after %d claims\n%s\n%s", code, claims, out, errOut)
	}
	if !strings.Contains(errOut, "claim daemon stopped") || !strings.Contains(errOut, "msg=claimed") {
		t.Fatalf("logs:\n%s", errOut)
	}
	// Jitter 2 min by default, Rand 0.25: 30 s after margin.
	if d := clock.slept[0] - (24*time.Hour + 5*time.Second + 30*time.Second); d < 0 || d > time.Second {
		t.Fatalf("first wait %v", clock.slept[0])
	}
	if n := len(cc.journalEntries(t)); n != 3 {
		t.Fatalf("journal %d", n)
	}
	m, _ := producer.LoadMetrics(metrics, cliTeam)
	if m.Claims != 3 {
		t.Fatalf("metrics %+v", m)
	}
}

// Three `bpkeys claim` runs at once for one account: one claims, the
// others say another run claimed (or that it is not yet time); every line
// is whole, and the metrics count one claim.
func TestClaimCLIThreeConcurrent(t *testing.T) {
	cc := newCLIChain(t)
	metrics := filepath.Join(t.TempDir(), "bpkeys_claim.prom")
	var wg sync.WaitGroup
	outs := make([]string, 3)
	codes := make([]int, 3)
	for i := range outs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i], outs[i], _ = cc.run(t, context.Background(), "", "claim", cliTeam, "--signer", hsmClaim, "--metrics", metrics)
		}(i)
	}
	wg.Wait()
	claimed := 0
	for i, out := range outs {
		switch {
		case codes[i] != 0:
			t.Fatalf("run %d: exit %d: %s", i, codes[i], out)
		case strings.HasPrefix(out, "bpteam111111: claimed 250.0000 EOS from eosio, eosio.bpay in transaction "):
			claimed++
		case strings.HasPrefix(out, "bpteam111111: claimed by another run"), strings.HasPrefix(out, "bpteam111111: not yet"):
		default:
			t.Fatalf("run %d: %q", i, out)
		}
	}
	if claimed != 1 {
		t.Fatalf("%d runs say they claimed:\n%s", claimed, strings.Join(outs, ""))
	}
	m, err := producer.LoadMetrics(metrics, cliTeam)
	if err != nil || m.Claims != 1 || m.NoOps != 2 {
		t.Fatalf("metrics %+v %v", m, err)
	}
	if n := len(cc.journalEntries(t)); n != 1 {
		t.Fatalf("journal %d", n)
	}
}

// TestProducerRotateLegacyCLI: on a chain whose eosio.system predates
// regproducer2, a multi-key rotation is refused before anything is signed
// (exit 4, producers row unchanged, nothing journalled or proposed), and a
// single-key rotation still works.
func TestProducerRotateLegacyCLI(t *testing.T) {
	cc := newCLIChainSystem(t, true, devchain.SystemLegacy)
	before := cc.mustRun(t, "producer", "show", cliTeam)
	k1, k2 := testsigner.FromSeed(signer.CurveK1, "legacy-m1").PublicKey(), testsigner.FromSeed(signer.CurveR1, "legacy-m2").PublicKey()
	for _, signerRef := range []string{hsmRotate, ykAlice} { // direct, and by proposal
		code, out, errOut := cc.run(t, context.Background(), "", "--yes", "producer", "rotate-key", cliTeam, "--new-key", k1.String(), "--new-key", k2.String(), "--threshold", "1", "--signer", signerRef)
		if code != exitRefused || !strings.Contains(errOut, "a multi-key block-signing authority cannot be set on this chain") || !strings.Contains(errOut, "it offers regproducer") {
			t.Fatalf("multi-key via %s: exit %d\n%s\n%s", signerRef, code, out, errOut)
		}
	}
	if es := cc.journalEntries(t); len(es) != 0 {
		t.Fatalf("something was signed: %+v", es)
	}
	if after := cc.mustRun(t, "producer", "show", cliTeam); after != before {
		t.Fatalf("the producers row changed:\n%s\n%s", before, after)
	}

	nk := testsigner.FromSeed(signer.CurveK1, "legacy-single").PublicKey()
	out := cc.mustRun(t, "--yes", "producer", "rotate-key", cliTeam, "--new-key", nk.String(), "--signer", hsmRotate)
	if !strings.Contains(out, "confirmed:    the producers table now shows "+nk.String()) || !strings.Contains(out, "installed-ready") {
		t.Fatalf("single key:\n%s", out)
	}
	if show := cc.mustRun(t, "producer", "show", cliTeam); !strings.Contains(show, "signing key:     "+nk.String()) {
		t.Fatalf("after rotation:\n%s", show)
	}
}

// TestProducerRotateNotShownCLI: the chain accepts a rotation but the
// node's producers table does not show it within the window: the command
// exits 1 saying what the table shows, and the key record stays pending.
func TestProducerRotateNotShownCLI(t *testing.T) {
	cc := newCLIChain(t)
	// Freeze the table as it is now (bpkeys reads the row in binary).
	resp, err := http.Post(cc.urls[0]+"/v1/chain/get_table_rows", "application/json", strings.NewReader(`{"code":"eosio","scope":"eosio","table":"producers","json":false,"lower_bound":"`+cliTeam+`","upper_bound":"`+cliTeam+`","limit":1}`))
	if err != nil {
		t.Fatal(err)
	}
	frozen, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cc.producers.Store(&frozen)
	nk := testsigner.FromSeed(signer.CurveK1, "not-shown").PublicKey()
	code, out, errOut := cc.run(t, context.Background(), "", "--yes", "--json", "producer", "rotate-key", cliTeam, "--new-key", nk.String(), "--signer", hsmRotate)
	if code != exitFailed || !strings.Contains(errOut, "still shows "+testsigner.FromSeed(signer.CurveK1, "cli-block").PublicKey().String()) || !strings.Contains(errOut, "keep the old key") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var res struct {
		Confirmed bool               `json:"confirmed"`
		Key       producer.KeyRecord `json:"key"`
		KeyRecord string             `json:"key_record"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Confirmed || res.Key.Status != producer.KeyPending {
		t.Fatalf("result %v %+v", err, res)
	}
	if b, err := os.ReadFile(res.KeyRecord); err != nil || !strings.Contains(string(b), `"status": "pending"`) {
		t.Fatalf("key record: %v\n%s", err, b)
	}
}
