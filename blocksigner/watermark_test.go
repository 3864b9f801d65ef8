package blocksigner

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

// TestWatermark: heights in order, a retry of the same digest, a second
// digest at the same height, a lower height, and a restart that keeps the
// mark, all as nodeos would see them.
func TestWatermark(t *testing.T) {
	pub, ref := hsmKey(t, "mark-k1", signer.CurveK1)
	cfg := unixConfig(t, KeyConfig{Key: pub.String(), Device: ref, Role: RoleBlock})
	ts := startServer(t, cfg, Options{})
	c := newNodeosClient(t, ts.url)

	var last [32]byte
	var lastSig signer.Signature
	for h := uint32(500); h < 505; h++ {
		last = blockID(t, h)
		lastSig = mustSign(t, c, last, pub)
	}
	// nodeos retries the same block id: the same signature comes back.
	if again := mustSign(t, c, last, pub); again != lastSig {
		t.Fatalf("retry answered %s, first answer %s", again, lastSig)
	}
	// Another block at the same height: refused.
	_, err := c.signDigest(blockID(t, 504), pub)
	refusedFor(t, err, ReasonSameHeight)
	// Below the mark: refused.
	_, err = c.signDigest(blockID(t, 503), pub)
	refusedFor(t, err, ReasonLowerHeight)
	_, err = c.signDigest(blockID(t, 1), pub)
	refusedFor(t, err, ReasonLowerHeight)

	markPath := MarkPath(cfg.State, pub)
	fi, err := os.Stat(markPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mark file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	m, err := ReadMark(markPath)
	if err != nil || m.Height != 504 || m.Digest != hex.EncodeToString(last[:]) || m.Signature != lastSig.String() {
		t.Fatalf("mark %+v (%v)", m, err)
	}

	// Restart on the same state: the mark holds.
	ts.stop(t)
	ts = startServer(t, cfg, Options{})
	c = newNodeosClient(t, ts.url)
	if again := mustSign(t, c, last, pub); again != lastSig {
		t.Fatalf("retry after restart answered %s, want %s", again, lastSig)
	}
	_, err = c.signDigest(blockID(t, 504), pub)
	refusedFor(t, err, ReasonSameHeight)
	_, err = c.signDigest(blockID(t, 400), pub)
	refusedFor(t, err, ReasonLowerHeight)
	mustSign(t, c, blockID(t, 505), pub)
	ts.stop(t)

	sum, err := VerifyLog(cfg.State)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Signed != 8 || sum.Refused != 5 || sum.Last == nil || *sum.Last.Height != 505 {
		t.Fatalf("log summary %+v", sum)
	}
}

// TestTwoNodeosOneHeight: a primary and a backup nodeos ask for different
// blocks at the same heights at the same time; for each height exactly one
// gets a signature.
func TestTwoNodeosOneHeight(t *testing.T) {
	pub, ref := hsmKey(t, "mark-race", signer.CurveK1)
	cfg := unixConfig(t, KeyConfig{Key: pub.String(), Device: ref, Role: RoleBlock, Rate: 1000, Burst: 1000})
	ts := startServer(t, cfg, Options{})
	primary, backup := newNodeosClient(t, ts.url), newNodeosClient(t, ts.url)
	for h := uint32(10); h < 30; h++ {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, c := range []*nodeosClient{primary, backup} {
			wg.Add(1)
			d := blockID(t, h)
			go func() {
				defer wg.Done()
				_, errs[i] = c.signDigest(d, pub)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
				continue
			}
			refusedFor(t, err, ReasonSameHeight)
		}
		if ok != 1 {
			t.Fatalf("height %d: %d signatures (%v)", h, ok, errs)
		}
	}
}

// TestLegacyAndPeer: in legacy mode (no height in the digest) and for peer
// keys, the same height is signed again, and the rate limit refuses.
func TestLegacyAndPeer(t *testing.T) {
	pub, ref := hsmKey(t, "legacy-k1", signer.CurveK1)
	peer, peerRef := hsmKey(t, "legacy-peer", signer.CurveK1)
	cfg := unixConfig(t,
		KeyConfig{Key: pub.String(), Device: ref, Role: RoleBlock, Rate: 0.01, Burst: 3},
		KeyConfig{Key: peer.String(), Device: peerRef, Role: RolePeer, Rate: 0.01, Burst: 2})
	var logs syncBuffer
	ts := startServer(t, cfg, Options{Legacy: true, Logger: newTextLogger(&logs)})
	if !strings.Contains(logs.String(), "no double-sign check is possible") {
		t.Fatalf("legacy mode gave no warning: %s", logs.String())
	}
	c := newNodeosClient(t, ts.url)
	for range 3 {
		mustSign(t, c, blockID(t, 9), pub)
	}
	_, err := c.signDigest(blockID(t, 10), pub)
	refusedFor(t, err, ReasonRateLimit)
	for range 2 {
		mustSign(t, c, blockID(t, 9), peer)
	}
	_, err = c.signDigest(blockID(t, 9), peer)
	refusedFor(t, err, ReasonRateLimit)
	if _, err := os.Stat(MarkPath(cfg.State, pub)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("legacy mode wrote a mark: %v", err)
	}
}

// TestMarkCheck is the decision table of a block key's mark.
func TestMarkCheck(t *testing.T) {
	d := blockID(t, 100)
	sig, err := testsigner.FromSeed(signer.CurveK1, "mark").Sign(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	m := &Mark{Key: "K", Height: 100, Digest: hex.EncodeToString(d[:]), Signature: sig.String()}
	tests := []struct {
		name   string
		mark   *Mark
		digest [32]byte
		retry  bool
		reason string
	}{
		{"no mark yet", nil, blockID(t, 1), false, ""},
		{"higher", m, blockID(t, 101), false, ""},
		{"same digest", m, d, true, ""},
		{"same digest reserved, signature lost", &Mark{Key: "K", Height: 100, Digest: m.Digest}, d, false, ""},
		{"rolled back to nothing", &Mark{Key: "K"}, blockID(t, 1), false, ""},
		{"same height other digest", m, blockID(t, 100), false, ReasonSameHeight},
		{"lower", m, blockID(t, 99), false, ReasonLowerHeight},
		{"far lower", m, blockID(t, 0), false, ReasonLowerHeight},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prior, err := tc.mark.check(tc.digest)
			var r *RefusedError
			switch {
			case tc.reason != "":
				if !errors.As(err, &r) || r.Reason != tc.reason || !errors.Is(err, ErrRefused) {
					t.Fatalf("got %v, want %s", err, tc.reason)
				}
			case err != nil:
				t.Fatal(err)
			case tc.retry != (prior != nil):
				t.Fatalf("retry = %v", prior != nil)
			case prior != nil && *prior != sig:
				t.Fatalf("stored signature %s", prior)
			}
		})
	}
}

func TestHeight(t *testing.T) {
	var d [32]byte
	copy(d[:], []byte{0x01, 0x02, 0x03, 0x04, 0xff})
	if Height(d) != 0x01020304 {
		t.Fatalf("height %x", Height(d))
	}
}

func TestBucket(t *testing.T) {
	b := newBucket(2, 3)
	now := time.Unix(1000, 0)
	for i := range 3 {
		if !b.take(now) {
			t.Fatalf("burst token %d refused", i)
		}
	}
	if b.take(now) || b.take(now.Add(400*time.Millisecond)) {
		t.Fatal("a fourth signature within 0.5 s passed a 2/s limit")
	}
	if !b.take(now.Add(time.Second)) {
		t.Fatal("a token did not come back after 0.5 s")
	}
}

// TestLogChain: editing, removing or reordering a line is detected.
func TestLogChain(t *testing.T) {
	dir := t.TempDir()
	l, err := openSignLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		h := uint32(i)
		if err := l.append(LogEntry{Key: "K", Height: &h, Digest: "aa", Client: "c", Outcome: "signed"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.close(); err != nil {
		t.Fatal(err)
	}
	// Reopening continues the chain.
	l, err = openSignLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.append(LogEntry{Key: "K", Digest: "bb", Outcome: "refused: rate_limit"}); err != nil {
		t.Fatal(err)
	}
	l.close()
	sum, err := VerifyLog(dir)
	if err != nil || sum.Entries != 5 || sum.Signed != 4 || sum.Refused != 1 {
		t.Fatalf("%+v %v", sum, err)
	}
	path := filepath.Join(dir, LogFile)
	orig, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(orig), "\n")
	for name, edited := range map[string]string{
		"edited":    strings.Replace(string(orig), `"digest":"aa"`, `"digest":"ab"`, 1),
		"removed":   lines[0] + strings.Join(lines[2:], ""),
		"reordered": lines[1] + lines[0] + strings.Join(lines[2:], ""),
	} {
		os.WriteFile(path, []byte(edited), 0o600)
		if _, err := VerifyLog(dir); !errors.Is(err, ErrLogBroken) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestConfig(t *testing.T) {
	const key = "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63"
	dev := "pkcs11:token=bp;object=block1?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/bpkeys/pin"
	good := "listen: unix:///run/bpkeys/signer.sock\nstate: /var/lib/bpkeys/signer\nkeys:\n  - key: " + key + "\n    device: " + dev + "\n    role: block\n"
	if _, err := ParseConfig([]byte(good)); err != nil {
		t.Fatalf("good config: %v", err)
	}
	tests := map[string]string{
		"unknown field":  good + "legasy: true\n",
		"public listen":  strings.Replace(good, "unix:///run/bpkeys/signer.sock", "0.0.0.0:8900", 1),
		"no state":       strings.Replace(good, "state: /var/lib/bpkeys/signer\n", "", 1),
		"bad role":       strings.Replace(good, "role: block", "role: finalizer", 1),
		"bad key":        strings.Replace(good, key, "PUB_K1_nope", 1),
		"pin in ref":     strings.Replace(good, "pin-source=file:/etc/bpkeys/pin", "pin-value=1234", 1),
		"world socket":   good + "socket-mode: \"0666\"\n",
		"public metrics": good + "metrics: 10.0.0.1:9108\n",
		"duplicate key":  good + "  - key: " + key + "\n    device: " + dev + "\n    role: peer\n",
	}
	// The documented example parses.
	example, err := os.ReadFile("../docs/systemd/signer.yaml.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseConfig(example); err != nil {
		t.Fatalf("docs/systemd/signer.yaml.example: %v", err)
	}
	for name, y := range tests {
		if _, err := ParseConfig([]byte(y)); !errors.Is(err, ErrConfig) && !errors.Is(err, signer.ErrPINInRef) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestMetrics: the text exposition counts signatures and refusals by reason.
func TestMetrics(t *testing.T) {
	pub, ref := hsmKey(t, "metrics-k1", signer.CurveK1)
	cfg := unixConfig(t, KeyConfig{Key: pub.String(), Device: ref, Role: RoleBlock})
	ts := startServer(t, cfg, Options{})
	c := newNodeosClient(t, ts.url)
	mustSign(t, c, blockID(t, 5), pub)
	c.signDigest(blockID(t, 5), pub)
	c.signDigest(blockID(t, 4), pub)
	var buf bytes.Buffer
	ts.srv.m.write(&buf)
	out := buf.String()
	for _, want := range []string{
		MetricSignatures + `{key="` + pub.String() + `",role="block"} 1`,
		MetricRefusals + `{reason="` + ReasonSameHeight + `"} 1`,
		MetricRefusals + `{reason="` + ReasonLowerHeight + `"} 1`,
		MetricHighWater + `{key="` + pub.String() + `"} 5`,
		MetricDeviceSeconds + `_count{key="` + pub.String() + `"} 1`,
		"# TYPE " + MetricDeviceSeconds + " histogram",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q:\n%s", want, out)
		}
	}
	// Served on the socket too.
	c.path = PathMetrics
	raw, err := c.post(nil)
	if err != nil || !strings.Contains(string(raw), MetricSignatures) {
		t.Fatalf("GET /metrics: %v %s", err, raw)
	}
}

// TestMarkSlots: a save torn by a crash falls back to the previous mark
// (whose signature was the last one returned); a file with no intact slot
// stops the service from starting.
func TestMarkSlots(t *testing.T) {
	pub := testsigner.FromSeed(signer.CurveK1, "slots").PublicKey()
	state := t.TempDir()
	st, err := newMarkStore(state)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := st.load(pub); err != nil || m != nil {
		t.Fatalf("fresh mark %v %v", m, err)
	}
	for h := uint32(1); h <= 3; h++ {
		if err := st.save(pub, Mark{Key: pub.String(), Height: h, Digest: "d"}, true); err != nil {
			t.Fatal(err)
		}
	}
	st.close()
	path := MarkPath(state, pub)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mark file %v %v", fi, err)
	}
	if m, err := ReadMark(path); err != nil || m.Height != 3 {
		t.Fatalf("mark %+v %v", m, err)
	}
	// Height 3 went to slot 1 (seq 3): tear it.
	f, _ := os.OpenFile(path, os.O_RDWR, 0)
	f.WriteAt([]byte("torn"), slotSize+40)
	f.Close()
	if m, err := ReadMark(path); err != nil || m.Height != 2 {
		t.Fatalf("after a torn write: %+v %v, want height 2", m, err)
	}
	// Reopened, the store continues from the intact slot and overwrites the torn one.
	st, _ = newMarkStore(state)
	if m, err := st.load(pub); err != nil || m.Height != 2 {
		t.Fatalf("load %+v %v", m, err)
	}
	if err := st.save(pub, Mark{Key: pub.String(), Height: 4, Digest: "d"}, true); err != nil {
		t.Fatal(err)
	}
	st.close()
	if m, err := ReadMark(path); err != nil || m.Height != 4 {
		t.Fatalf("mark %+v %v", m, err)
	}
	// Both slots damaged: refuse.
	os.WriteFile(path, bytes.Repeat([]byte{0xff}, 2*slotSize), 0o600)
	if _, err := ReadMark(path); err == nil {
		t.Fatal("a mark file with no intact slot was accepted")
	}
	st, _ = newMarkStore(state)
	if _, err := st.load(pub); err == nil {
		t.Fatal("the store loaded a mark file with no intact slot")
	}
	st.close()
}
