package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bpkeys/bpkeys/internal/testenv"
)

// TestDemoInTmux drives the real binary in a real terminal: `bpkeys demo`
// opens the producer's tree (owner, active, claim, rotate), key 3 opens the
// inbox, q goes back and quits, and the session ends.
func TestDemoInTmux(t *testing.T) {
	tmux := testenv.LookPath(t, "tmux", testenv.Hint)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bpkeys-demo") // not "bpkeys": that is the config directory
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	sock := filepath.Join(dir, "tmux.sock") // a server of our own
	session := "bpkeysdemo"
	tm := func(args ...string) (string, error) {
		out, err := exec.Command(tmux, append([]string{"-S", sock}, args...)...).CombinedOutput()
		return string(out), err
	}
	logf := filepath.Join(dir, "stderr.log")
	command := fmt.Sprintf("env XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s NO_COLOR=1 %s demo --listen %s 2>%s", dir, dir, bin, addr, logf)
	if out, err := tm("new-session", "-d", "-s", session, "-x", "100", "-y", "30", command); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { _, _ = tm("kill-server") })

	screen := func() string {
		out, _ := tm("capture-pane", "-p", "-t", session)
		return out
	}
	waitFor := func(what string, ok func(string) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for time.Now().Before(deadline) {
			if ok(screen()) {
				return
			}
			<-tick.C
		}
		errOut, _ := os.ReadFile(logf)
		t.Fatalf("%s: not on screen after 30s:\n%s\nstderr:\n%s", what, screen(), errOut)
	}
	contains := func(want ...string) func(string) bool {
		return func(s string) bool {
			for _, w := range want {
				if !strings.Contains(s, w) {
					return false
				}
			}
			return true
		}
	}
	waitFor("the producer's tree", contains("owner", "active", "claim", "rotate"))
	if _, err := tm("send-keys", "-t", session, "3"); err != nil {
		t.Fatal(err)
	}
	waitFor("the inbox", contains("Proposals (0)"))
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for i := 0; i < 10; i++ { // q goes back screen by screen, then quits
		if _, err := tm("has-session", "-t", session); err != nil {
			return // the session ended: bpkeys exited
		}
		if _, err := tm("send-keys", "-t", session, "q"); err != nil {
			if _, err := tm("has-session", "-t", session); err != nil {
				return // bpkeys exited (and the tmux server with it) meanwhile
			}
			break
		}
		deadline := time.Now().Add(5 * time.Second)
		before := screen()
		for time.Now().Before(deadline) {
			if _, err := tm("has-session", "-t", session); err != nil {
				return
			}
			if screen() != before {
				break
			}
			<-poll.C
		}
	}
	t.Fatalf("the session did not end after q:\n%s", screen())
}
