package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/bpkeys/bpkeys/devchain/demokeys"
	"github.com/bpkeys/bpkeys/team"
)

// lineWatcher collects output and signals when a pattern appears.
type lineWatcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	re   *regexp.Regexp
	hit  chan string
	done bool
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.done {
		if m := w.re.FindStringSubmatch(w.buf.String()); m != nil {
			w.done = true
			w.hit <- m[1]
		}
	}
	return len(p), nil
}

func startCmd(t *testing.T, pattern string, args ...string) (string, *lineWatcher, func() int) {
	t.Helper()
	w := &lineWatcher{re: regexp.MustCompile(pattern), hit: make(chan string, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- run(ctx, args, strings.NewReader(""), w, w) }()
	var url string
	select {
	case url = <-w.hit:
	case c := <-code:
		cancel()
		t.Fatalf("exited %d before serving: %s", c, w.buf.String())
	}
	return url, w, func() int { cancel(); return <-code }
}

func TestDevchainCommandServes(t *testing.T) {
	url, _, stop := startCmd(t, `serving (http://[0-9.:]+)`, "devchain", "--listen", "127.0.0.1:0", "--state", t.TempDir())
	resp, err := http.Get(url + "/v1/devchain/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("health %d", resp.StatusCode)
	}
	busy := strings.TrimPrefix(url, "http://")
	code, _, errOut := runCLI(t, "devchain", "--listen", busy)
	if code != exitFailed || !strings.Contains(errOut, "--listen "+busy) || !strings.Contains(errOut, "in use") {
		t.Errorf("a busy port: exit %d, %s", code, errOut)
	}
	if code := stop(); code != exitInterrupted {
		t.Fatalf("exit code %d after interrupt", code)
	}
}

// TestInterruptSaysInterrupted: Ctrl-C ends with exit 130 and
// "interrupted", not Go's "context canceled".
func TestInterruptSaysInterrupted(t *testing.T) {
	_, w, stop := startCmd(t, `serving (http://[0-9.:]+)`, "devchain", "--listen", "127.0.0.1:0")
	if code := stop(); code != exitInterrupted {
		t.Fatalf("exit %d", code)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if out := w.buf.String(); strings.Contains(out, "context canceled") || !strings.Contains(out, "bpkeys: interrupted") {
		t.Fatalf("output after Ctrl-C:\n%s", out)
	}
}

func TestDemoCommandPrintsPublicKeysOnly(t *testing.T) {
	url, w, stop := startCmd(t, `endpoint +(http://[0-9.:]+)`, "demo", "--no-tui", "--listen", "127.0.0.1:0")
	resp, err := http.Post(url+"/v1/chain/get_account", "application/json", strings.NewReader(`{"account_name":"bpkeysdemo11"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`"perm_name":"claim"`, `"perm_name":"rotate"`, `"action":"regproducer2"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("get_account lacks %s", want)
		}
	}
	stop()
	out := w.buf.String()
	if strings.Contains(out, "PVT_") || !strings.Contains(out, "PUB_R1_") {
		t.Fatalf("demo output:\n%s", out)
	}
	// Demo signatures go to the demo's own journal, not the operator's.
	if !strings.Contains(out, demoJournalPath()) || strings.Contains(demoJournalPath(), "/journal.jsonl") {
		t.Fatalf("the demo does not name its own journal:\n%s", out)
	}
}

func TestDemoTeamFile(t *testing.T) {
	dt, err := demokeys.NewTeam()
	if err != nil {
		t.Fatal(err)
	}
	path, cleanup, err := writeDemoTeamFile(dt)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := team.Load(path)
	if err != nil {
		t.Fatalf("the demo's team file does not parse: %v", err)
	}
	if got := tm.Label(dt.Alice.PublicKey()); got != "alice's software key" {
		t.Errorf("alice's key is labelled %q", got)
	}
	if acct, ok := tm.Account(dt.Bob.PublicKey()); !ok || acct != "bob@active" {
		t.Errorf("bob's account %q", acct)
	}
	if h, ok := tm.Holder(dt.Claim.PublicKey()); !ok || h != "ops" {
		t.Errorf("claim key holder %q", h)
	}
	cleanup()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("the demo team file outlived the demo")
	}
}
