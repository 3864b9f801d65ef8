package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bpkeys/bpkeys/devchain/demokeys"
	"github.com/bpkeys/bpkeys/internal/testenv"
	"github.com/bpkeys/bpkeys/signer"
)

// tmuxTUI drives the real binary in a real terminal of a fixed size.
type tmuxTUI struct {
	t       *testing.T
	tmux    string
	sock    string
	session string
	logf    string
}

func (m *tmuxTUI) cmd(args ...string) (string, error) {
	out, err := exec.Command(m.tmux, append([]string{"-S", m.sock}, args...)...).CombinedOutput()
	return string(out), err
}

// screen is the pane as text, as an operator would copy it.
func (m *tmuxTUI) screen() string {
	out, _ := m.cmd("capture-pane", "-p", "-t", m.session)
	return out
}

func (m *tmuxTUI) send(keys ...string) {
	m.t.Helper()
	for _, k := range keys {
		if out, err := m.cmd("send-keys", "-t", m.session, k); err != nil {
			m.t.Fatalf("tmux send-keys %s: %v: %s", k, err, out)
		}
	}
}

// waitFor polls the pane until every want is on it.
func (m *tmuxTUI) waitFor(what string, want ...string) string {
	m.t.Helper()
	deadline := time.Now().Add(90 * time.Second) // 2 cores shared with other tests
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		s := m.screen()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
		<-tick.C
	}
	errOut, _ := os.ReadFile(m.logf)
	m.t.Fatalf("%s: %q not on screen after 90s:\n%s\nstderr:\n%s", what, want, m.screen(), errOut)
	return ""
}

// changed waits until the pane differs from before (or the deadline).
func (m *tmuxTUI) changed(before string) string {
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		if s := m.screen(); s != before {
			return s
		}
		<-tick.C
	}
	return before
}

// sign reads the whole signing summary (↓ until the screen allows it, as
// an operator in a small terminal must), signs with enter, waits for the
// result and goes back.
func (m *tmuxTUI) sign(what string) string {
	m.t.Helper()
	s := m.waitFor(what+": the summary", "What will be signed")
	for i := 0; i < 200 && !strings.Contains(s, "Press enter to sign this"); i++ {
		m.send("j")
		s = m.changed(s)
	}
	m.send("Enter")
	done := m.waitFor(what+": signed", "✓ Done.")
	m.send("Enter")
	return done
}

// keyRE finds public keys on a screen, whole or visibly shortened.
var keyRE = regexp.MustCompile(`(?:PUB_[KR]1_|EOS)[1-9A-HJ-NP-Za-km-z]{6,}(?:…[1-9A-HJ-NP-Za-km-z]*)?`)

// TestDemoTourInTmux follows the README's demo flow to the end in the real
// binary, at 80x24 and at 120x40, with the keys the README and the footer
// document: on the tree, G selects the rotate key, enter plans a change,
// enter picks "rotate this key", ↓ picks the demo device's spare key,
// enter previews, m proposes; 3 opens the inbox, enter the proposal, a
// approves (twice: alice, then bob), e executes; 1 and enter open the tree
// again. Every signing summary is read to its end with ↓ before enter.
// Then every key on the tree and its Details pane is copied off the
// captured pane and parsed: a whole one must parse, a shortened one must
// show an ellipsis and match a whole one; and the rotate key is the spare
// key, as the chain says.
func TestDemoTourInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds bpkeys and drives it in tmux")
	}
	tmux := testenv.LookPath(t, "tmux", testenv.Hint)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bpkeys-tour")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			demoTour(t, tmux, bin, size[0], size[1])
		})
	}
}

func demoTour(t *testing.T, tmux, bin string, w, h int) {
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	m := &tmuxTUI{t: t, tmux: tmux, sock: filepath.Join(dir, "tmux.sock"), session: "tour", logf: filepath.Join(dir, "stderr.log")}
	command := fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s NO_COLOR=1 %s demo --listen %s 2>%s", dir, dir, bin, addr, m.logf)
	if out, err := m.cmd("new-session", "-d", "-s", m.session, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), command); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { _, _ = m.cmd("kill-server") })
	var screens []string

	// plan a key rotation: the rotate key, enter, "rotate this key"
	screens = append(screens, m.waitFor("the producer's tree", "owner", "active", "claim", "rotate"))
	m.send("G")
	screens = append(screens, m.waitFor("the rotate key selected", "Details", "weight 1 of threshold 1 in rotate"))
	m.send("Enter")
	m.waitFor("the plan menu", "Rotate this key")
	m.send("Enter")
	form := m.waitFor("the new-key form", "demo device (in memory, DEMO ONLY)")
	if strings.Contains(form, "no other key on a connected device") {
		t.Fatalf("the demo offers no spare key:\n%s", form)
	}
	m.send("Down")
	picked := regexp.MustCompile(`> (PUB_R1_[1-9A-HJ-NP-Za-km-z]{40,})`)
	var spare []string
	for i := 0; i < 100 && spare == nil; i++ {
		form = m.changed(form)
		spare = picked.FindStringSubmatch(form)
	}
	if spare == nil {
		t.Fatalf("no whole key in the input:\n%s", form)
	}
	spareKey, err := signer.ParsePublicKey(spare[1])
	if err != nil {
		t.Fatalf("the picked key %q does not parse: %v", spare[1], err)
	}
	m.send("Enter")
	m.waitFor("the plan preview", "Diff", "propose to eosio.msig")
	m.send("m")
	proposed := m.sign("propose")
	if !strings.Contains(proposed, "proposed as ") {
		t.Fatalf("no proposal:\n%s", proposed)
	}

	// approve it as two members from the inbox, then execute it
	m.send("3")
	m.waitFor("the inbox", "Proposals (1)", "awaits you")
	m.send("Enter")
	m.waitFor("the review", "a: approve as alice@active")
	m.send("a")
	m.sign("approve as alice")
	m.waitFor("the review after alice", "a: approve as bob@active")
	m.send("a")
	m.sign("approve as bob")
	m.waitFor("the review after bob", "can be executed now (e)")
	m.send("e")
	m.sign("execute")
	m.waitFor("the review after execution", "is no longer on chain")

	// the tree shows the new key: copy every key off the tree and Details
	m.send("1")
	m.waitFor("the accounts", "Accounts (4)")
	m.send("Enter")
	before := m.waitFor("the tree again", "owner", "rotate")
	m.send("g")
	s := m.changed(before)
	for i := 0; i < 30; i++ {
		screens = append(screens, s)
		m.send("j")
		next := m.changed(s)
		if next == s {
			break // the last row
		}
		s = next
	}

	whole := map[string]signer.PublicKey{}
	var short []string
	for _, sc := range screens {
		for _, k := range keyRE.FindAllString(sc, -1) {
			if strings.Contains(k, "…") {
				short = append(short, k)
				continue
			}
			pub, err := signer.ParsePublicKey(k)
			if err != nil {
				t.Errorf("%q copied off the screen does not parse: %v\n%s", k, err, sc)
				continue
			}
			whole[k] = pub
		}
	}
	for _, k := range short {
		head, tail, _ := strings.Cut(k, "…")
		found := false
		for wk := range whole {
			found = found || strings.HasPrefix(wk, head) && strings.HasSuffix(wk, tail)
		}
		if !found {
			t.Errorf("%q on screen is no visible shortening of a key shown whole", k)
		}
	}

	// the chain's keys are the ones copied off the screens; rotate's is the spare
	onChain := demoAccountKeys(t, "http://"+addr)
	for perm, keys := range onChain {
		for _, k := range keys {
			if _, ok := whole[k.String()]; !ok {
				t.Errorf("%s's key %s was not shown whole on the tree or its Details", perm, k)
			}
		}
	}
	if r := onChain["rotate"]; len(r) != 1 || r[0] != spareKey {
		t.Errorf("rotate after the tour: %v, want the spare key %s", r, spareKey)
	}
	if len(whole) < 3 {
		t.Errorf("only %d whole keys copied", len(whole))
	}
}

// demoAccountKeys reads the demo producer's keys per permission from the
// chain.
func demoAccountKeys(t *testing.T, url string) map[string][]signer.PublicKey {
	t.Helper()
	resp, err := http.Post(url+"/v1/chain/get_account", "application/json", strings.NewReader(`{"account_name":"`+demokeys.ProducerAccount+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var acct struct {
		Permissions []struct {
			PermName     string `json:"perm_name"`
			RequiredAuth struct {
				Keys []struct {
					Key string `json:"key"`
				} `json:"keys"`
			} `json:"required_auth"`
		} `json:"permissions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&acct); err != nil {
		t.Fatal(err)
	}
	out := map[string][]signer.PublicKey{}
	for _, p := range acct.Permissions {
		for _, k := range p.RequiredAuth.Keys {
			pub, err := signer.ParsePublicKey(k.Key)
			if err != nil {
				t.Fatalf("the chain's key %q: %v", k.Key, err)
			}
			out[p.PermName] = append(out[p.PermName], pub)
		}
	}
	return out
}
