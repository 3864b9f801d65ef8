package producer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/signer"
)

func staticSigners(ss ...signer.Signer) func(context.Context) ([]signer.Signer, func(), error) {
	return func(context.Context) ([]signer.Signer, func(), error) { return ss, func() {}, nil }
}

func newClaimer(tc *testChain, s signer.Signer, logs *bytes.Buffer) *Claimer {
	return &Claimer{
		Chain: tc.client, Journal: tc.journal, Account: team, OpenSigners: staticSigners(s),
		Log: slog.New(slog.NewJSONHandler(logs, nil)), Clock: &fakeClock{dc: tc.dc, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
}

// TestClaimTwiceThenNextDay: a claim, an immediate second run that sends
// nothing, and after 24 hours a second claim.
func TestClaimTwiceThenNextDay(t *testing.T) {
	ctx := context.Background()
	claimKey := hsmKey(t, "prod", "claim-k1", signer.CurveK1)
	k := defaultKeys()
	k.claim = claimKey.PublicKey()
	tc := newTestChain(t, k)
	var logs bytes.Buffer
	cl := newClaimer(tc, claimKey, &logs)
	cl.Metrics, _ = LoadMetrics(filepath.Join(t.TempDir(), "claim.prom"), team)

	res, err := cl.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != Claimed || strings.Join(res.Contracts, ",") != "eosio,eosio.bpay" || strings.Join(res.Amounts, ",") != "250.0000 EOS" {
		t.Fatalf("first run %+v", res)
	}
	if !res.NextAllowed.Equal(res.LastClaim.Add(24*time.Hour + time.Microsecond)) {
		t.Fatalf("next %v last %v", res.NextAllowed, res.LastClaim)
	}
	if n := tc.journalCount(t); n != 1 {
		t.Fatalf("journal %d entries after one claim", n)
	}
	tc.dc.ProduceBlocks(1)
	res2, err := cl.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Status != NotYet || !res2.NextAllowed.Equal(res.NextAllowed) || res2.TrxID != "" {
		t.Fatalf("second run %+v", res2)
	}
	if n := tc.journalCount(t); n != 1 {
		t.Fatalf("the polite no-op signed something: %d entries", n)
	}
	if !strings.Contains(logs.String(), `"msg":"not yet: nothing sent"`) {
		t.Fatalf("logs:\n%s", logs.String())
	}
	// Exactly 24 hours after the claim's block is still too early for eosio
	// (the rule is strictly greater), but eosio.bpay, which has no such
	// rule, holds the day's rewards; a second later eosio is due.
	if _, err := tc.dc.AdvanceTime(res.LastClaim.Add(24 * time.Hour).Sub(tc.dc.Head().Time)); err != nil {
		t.Fatal(err)
	}
	if r, err := cl.Once(ctx); err != nil || r.Status != Claimed || strings.Join(r.Contracts, ",") != "eosio.bpay" || !r.LastClaim.Equal(res.LastClaim) {
		t.Fatalf("at exactly 24 h: %v %+v", err, r)
	}
	if _, err := tc.dc.AdvanceTime(time.Second); err != nil {
		t.Fatal(err)
	}
	res3, err := cl.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// eosio pays 150, eosio.bpay accrued a second's worth.
	if res3.Status != Claimed || len(res3.Amounts) != 1 || !strings.HasPrefix(res3.Amounts[0], "150.00") || !res3.LastClaim.After(res.LastClaim) {
		t.Fatalf("next day %+v", res3)
	}
	m := cl.Metrics
	if m.Claims != 3 || m.NoOps != 1 || m.Amount["EOS"] < 500 || m.Amount["EOS"] > 500.01 || !m.NextAllowed.Equal(res3.NextAllowed) {
		t.Fatalf("metrics %+v", m)
	}
	checkPromText(t, m.Path)
	// Counters carry over to the next process.
	m2, err := LoadMetrics(m.Path, team)
	if err != nil || m2.Claims != 3 || m2.Amount["EOS"] != m.Amount["EOS"] || m2.NoOps != 1 {
		t.Fatalf("reloaded %+v %v", m2, err)
	}
	if strings.Contains(logs.String(), "1234") {
		t.Fatal("a PIN in the logs")
	}
}

// staleChain serves an old producers row, so the claimer thinks a claim is
// due when someone else has just claimed.
type staleChain struct {
	Chain
	rows *chain.TableRows
}

func (s *staleChain) GetTableRows(ctx context.Context, req chain.TableRowsRequest) (*chain.TableRows, error) {
	if req.Table == "producers" && s.rows != nil {
		return s.rows, nil
	}
	return s.Chain.GetTableRows(ctx, req)
}

func TestClaimLostRace(t *testing.T) {
	ctx := context.Background()
	tc := newTestChain(t, defaultKeys())
	stale, err := tc.client.GetTableRows(ctx, chain.TableRowsRequest{Code: "eosio", Scope: "eosio", Table: "producers", LowerBound: team, UpperBound: team, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	if res, err := newClaimer(tc, tkClaim, &logs).Once(ctx); err != nil || res.Status != Claimed {
		t.Fatalf("first claimer: %v %+v", err, res)
	}
	tc.dc.ProduceBlocks(1)
	racer := newClaimer(tc, tkClaim, &logs)
	racer.Chain = &staleChain{Chain: tc.client, rows: stale}
	racer.RewardContracts = []string{"eosio"}
	res, err := racer.Once(ctx)
	if err != nil {
		t.Fatalf("lost race reported as a failure: %v", err)
	}
	if res.Status != AlreadyClaimed {
		t.Fatalf("lost race: %+v", res)
	}
}

// TestClaimRetriesOutage: both endpoints down for two attempts; the run
// retries with backoff on the fake clock and claims.
func TestClaimRetriesOutage(t *testing.T) {
	tc := newTestChain(t, defaultKeys())
	var logs bytes.Buffer
	cl := newClaimer(tc, tkClaim, &logs)
	fc := cl.Clock.(*fakeClock)
	for _, f := range tc.fronts {
		f.down.Store(true)
	}
	fc.onSleep = func(n int, d time.Duration) {
		if n == 2 {
			tc.fronts[1].down.Store(false)
		}
	}
	res, err := cl.Once(context.Background())
	if err != nil || res.Status != Claimed || res.Attempts != 3 {
		t.Fatalf("%v %+v\n%s", err, res, logs.String())
	}
	if fc.slept[0] != 2*time.Second || fc.slept[1] != 4*time.Second {
		t.Fatalf("backoff %v", fc.slept)
	}
	// A permanent failure is not retried.
	cl2 := newClaimer(tc, tkClaim, &logs)
	cl2.Account = "alice"
	if _, err := cl2.Once(context.Background()); !errors.Is(err, ErrNotProducer) || len(cl2.Clock.(*fakeClock).slept) != 0 {
		t.Fatalf("not a producer: %v", err)
	}
}

// flakySigner fails its first n signatures, like an HSM that hiccups.
type flakySigner struct {
	signer.Signer
	fails int
}

func (f *flakySigner) Sign(ctx context.Context, d [32]byte) (signer.Signature, error) {
	if f.fails > 0 {
		f.fails--
		return signer.Signature{}, errors.New("CKR_DEVICE_ERROR: the HSM hiccuped")
	}
	return f.Signer.Sign(ctx, d)
}

// TestDaemonThreeDays runs the daemon on a fake clock for three claims:
// day 2 with the first endpoint down (failover), day 3 with every endpoint
// down for a while and an HSM hiccup. It stops cleanly when the context is
// cancelled.
func TestDaemonThreeDays(t *testing.T) {
	tc := newTestChain(t, defaultKeys())
	var logs bytes.Buffer
	cl := newClaimer(tc, tkClaim, &logs)
	fs := &flakySigner{Signer: tkClaim}
	cl.OpenSigners = staticSigners(fs)
	cl.Metrics, _ = LoadMetrics(filepath.Join(t.TempDir(), "claim.prom"), team)
	fc := cl.Clock.(*fakeClock)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var claims []*ClaimResult
	runs := 0
	fc.onSleep = func(n int, d time.Duration) {
		// Restore the endpoints after an outage's first retry.
		if tc.fronts[0].down.Load() && tc.fronts[1].down.Load() && d == 2*time.Second {
			tc.fronts[1].down.Store(false)
		}
	}
	opts := DaemonOptions{Jitter: 10 * time.Minute, Rand: func() float64 { return 0.5 }, OnRun: func(r *ClaimResult, err error) {
		runs++
		if err != nil {
			t.Errorf("run %d failed: %v", runs, err)
			return
		}
		if r.Status == Claimed {
			claims = append(claims, r)
		}
		switch len(claims) {
		case 1:
			tc.fronts[0].down.Store(true) // day 2: first endpoint gone
		case 2:
			tc.fronts[1].down.Store(true) // day 3: total outage, then an HSM hiccup
			fs.fails = 1
		case 3:
			cancel()
		}
	}}
	if err := cl.Run(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if len(claims) != 3 || runs != 3 {
		t.Fatalf("%d claims in %d runs\n%s", len(claims), runs, logs.String())
	}
	for i := 1; i < 3; i++ {
		gap := claims[i].LastClaim.Sub(claims[i-1].LastClaim)
		if gap <= 24*time.Hour || gap > 24*time.Hour+10*time.Minute {
			t.Fatalf("claims %d and %d are %v apart", i-1, i, gap)
		}
	}
	// 24h + 5 s margin + half the jitter after the first claim.
	if w := fc.slept[0] - (24*time.Hour + 5*time.Second + 5*time.Minute); w < 0 || w > time.Second {
		t.Fatalf("first wait %v (sleeps %v)", fc.slept[0], fc.slept)
	}
	if tc.fronts[0].hits.Load() == 0 || tc.journalCount(t) != 4 {
		// 3 claims + the signature attempt that the HSM hiccup broke (journalled before signing).
		t.Fatalf("journal %d", tc.journalCount(t))
	}
	m := cl.Metrics
	if m.Claims != 3 || m.Failures[KindEndpoint] < 1 || m.Failures[KindSigner] != 1 {
		t.Fatalf("metrics %+v", m)
	}
	checkPromText(t, m.Path)
	for _, want := range []string{`"msg":"claim daemon started"`, `"msg":"claim attempt failed, retrying"`, `"kind":"endpoint"`, `"kind":"signer"`, `"msg":"claim daemon stopped"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s", want)
		}
	}
}

// checkPromText is a strict check of Prometheus's text exposition format
// (0.0.4): HELP and TYPE before a family's samples, each family once,
// samples grouped, valid names, label syntax and float values.
func checkPromText(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("metrics file mode %v", fi.Mode().Perm())
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(matches) > 0 {
		t.Errorf("temporary files left: %v", matches)
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		t.Fatal("metrics must end with a newline")
	}
	nameRE := regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	sampleRE := regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (\S+)( -?[0-9]+)?$`)
	types := map[string]string{}
	helps := map[string]bool{}
	done := map[string]bool{}
	current := ""
	series := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		fail := func(format string, args ...any) {
			t.Fatalf("metrics line %d %q: %s", line, s, fmt.Sprintf(format, args...))
		}
		switch {
		case strings.HasPrefix(s, "# HELP "):
			f := strings.SplitN(s[7:], " ", 2)
			if !nameRE.MatchString(f[0]) || helps[f[0]] {
				fail("bad or repeated HELP")
			}
			helps[f[0]] = true
		case strings.HasPrefix(s, "# TYPE "):
			f := strings.Fields(s[7:])
			if len(f) != 2 || !nameRE.MatchString(f[0]) || types[f[0]] != "" {
				fail("bad or repeated TYPE")
			}
			switch f[1] {
			case "counter", "gauge", "histogram", "summary", "untyped":
			default:
				fail("unknown type")
			}
			if done[f[0]] || current == f[0] {
				fail("TYPE after samples")
			}
			types[f[0]] = f[1]
		case strings.HasPrefix(s, "#") || s == "":
			fail("unexpected line")
		default:
			m := sampleRE.FindStringSubmatch(s)
			if m == nil {
				fail("not a sample")
			}
			name := m[1]
			if types[name] == "" {
				fail("sample before its TYPE")
			}
			if name != current {
				if done[name] {
					fail("family %s split in two", name)
				}
				if current != "" {
					done[current] = true
				}
				current = name
			}
			key := name + m[2]
			if series[key] {
				fail("duplicate series")
			}
			series[key] = true
			v, err := strconv.ParseFloat(m[len(m)-2], 64)
			if err != nil {
				fail("value: %v", err)
			}
			if types[name] == "counter" && (v < 0 || !strings.HasSuffix(name, "_total")) {
				fail("counter must be non-negative and end in _total")
			}
		}
	}
	for _, want := range []string{MetricLastSuccess, MetricNextAllowed, MetricFailures, MetricAmount} {
		if types[want] == "" {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// deterministicOnce stands in for an HSM with deterministic (RFC 6979)
// nonces whose signature over the first digest is not canonical: it answers
// that digest as signer.SignRaw would for such a device, then signs other
// digests with a real SoftHSM key. It is a stand-in because SoftHSM itself
// uses random nonces; no deterministic-nonce token can run here.
type deterministicOnce struct {
	signer.Signer
	digests [][32]byte
}

func (d *deterministicOnce) Sign(ctx context.Context, digest [32]byte) (signer.Signature, error) {
	d.digests = append(d.digests, digest)
	if len(d.digests) == 1 {
		return signer.Signature{}, &signer.NonCanonicalError{Attempts: 2, Deterministic: true}
	}
	return d.Signer.Sign(ctx, digest)
}

// TestClaimDeterministicHSM: the unattended claim moves the expiration one
// second earlier and signs again, instead of failing every day.
func TestClaimDeterministicHSM(t *testing.T) {
	claimKey := hsmKey(t, "prod", "claim-det", signer.CurveK1)
	k := defaultKeys()
	k.claim = claimKey.PublicKey()
	tc := newTestChain(t, k)
	dev := &deterministicOnce{Signer: claimKey}
	var logs bytes.Buffer
	cl := newClaimer(tc, dev, &logs)
	res, err := cl.Once(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != Claimed || len(dev.digests) != 2 || dev.digests[0] == dev.digests[1] {
		t.Fatalf("status %v after %d signatures (digests differ: %v)", res.Status, len(dev.digests), len(dev.digests) == 2 && dev.digests[0] != dev.digests[1])
	}
	if !strings.Contains(logs.String(), "signs deterministically") {
		t.Errorf("the retry was not logged:\n%s", logs.String())
	}
	if n := tc.journalCount(t); n != 2 {
		t.Fatalf("journal %d entries, want both attempts", n)
	}
}

// TestClaimBPayWhileEosioWaits: eosio was claimed an hour ago and eosio.bpay
// holds rewards: eosio.bpay's claimrewards has no 24-hour rule, so it is
// claimed alone.
func TestClaimBPayWhileEosioWaits(t *testing.T) {
	ctx := context.Background()
	tc := newTestChain(t, defaultKeys())
	var logs bytes.Buffer
	cl := newClaimer(tc, tkClaim, &logs)
	first, err := cl.Once(ctx)
	if err != nil || first.Status != Claimed {
		t.Fatalf("first claim: %v %+v", err, first)
	}
	if _, err := tc.dc.AdvanceTime(time.Hour); err != nil { // eosio.bpay accrues an hour's rewards
		t.Fatal(err)
	}
	r, err := cl.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != Claimed || strings.Join(r.Contracts, ",") != "eosio.bpay" || len(r.Amounts) != 1 || !strings.HasPrefix(r.Amounts[0], "4.16") {
		t.Fatalf("an hour later %+v", r)
	}
	if !r.LastClaim.Equal(first.LastClaim) || r.Activation == nil || !r.Activation.Activated {
		t.Fatalf("eosio's claim time moved or activation unread: %+v %+v", r, r.Activation)
	}
	// Nothing left anywhere: a polite no-op.
	if r, err := cl.Once(ctx); err != nil || r.Status != NotYet {
		t.Fatalf("third run %v %+v", err, r)
	}
}

// TestClaimOnChainNotActivated: under 15% of the supply voting eosio
// refuses every claim; eosio.bpay still pays, and then the run says why
// nothing is sent.
func TestClaimOnChainNotActivated(t *testing.T) {
	ctx := context.Background()
	g := strings.Replace(genesisJSON(defaultKeys()), `{"chain_id":`, `{"activated":false,"chain_id":`, 1)
	tc := newTestChainFrom(t, g)
	var logs bytes.Buffer
	cl := newClaimer(tc, tkClaim, &logs)
	info, err := Show(ctx, tc.client, team)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Activation.NotActivated() || info.ClaimAllowedNow {
		t.Fatalf("show: %+v", info)
	}
	r, err := cl.Once(ctx)
	if err != nil || r.Status != Claimed || strings.Join(r.Contracts, ",") != "eosio.bpay" {
		t.Fatalf("first run %v %+v", err, r)
	}
	r, err = cl.Once(ctx)
	if err != nil || r.Status != NotActivated || r.TrxID != "" {
		t.Fatalf("second run %v %+v", err, r)
	}
	if !strings.Contains(r.Activation.Explain(), "claims from eosio fail until 15% of the supply votes") {
		t.Fatalf("explain %q", r.Activation.Explain())
	}
}

// TestClaimLegacyChain: an older system contract has no eosio.bpay
// contract; the claim detects that and claims eosio alone, and an
// operator's --contracts naming eosio.bpay fails before signing (the chain
// would run nothing and report success).
func TestClaimLegacyChain(t *testing.T) {
	ctx := context.Background()
	g := strings.Replace(genesisJSON(defaultKeys()), `{"chain_id":`, `{"system_contract":"legacy","chain_id":`, 1)
	tc := newTestChainFrom(t, g)
	var logs bytes.Buffer
	forced := newClaimer(tc, tkClaim, &logs)
	forced.RewardContracts = []string{"eosio", "eosio.bpay"}
	if _, err := forced.Once(ctx); err == nil || !strings.Contains(err.Error(), "eosio.bpay") || tc.journalCount(t) != 0 {
		t.Fatalf("forced eosio.bpay: %v (journal %d)", err, tc.journalCount(t))
	}
	r, err := newClaimer(tc, tkClaim, &logs).Once(ctx)
	if err != nil || r.Status != Claimed || strings.Join(r.Contracts, ",") != "eosio" {
		t.Fatalf("detected: %v %+v", err, r)
	}
}
