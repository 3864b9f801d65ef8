package tui

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
)

// These flows drive the real bubbletea program with fakeBackend's fixed
// data: they test navigation, the signing flow's order and guards, and the
// keys; the real flows behind the Backend are tested against the devchain
// in cmd/bpkeys.

// session is a running program and everything it printed so far.
type session struct {
	t  *testing.T
	tm *teatest.TestModel
	mu sync.Mutex
	tx bytes.Buffer
}

func start(t *testing.T, fb *fakeBackend, w, h int, opts Options) *session {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	tm := teatest.NewTestModel(t, New(ctx, fb, opts), teatest.WithInitialTermSize(w, h))
	return &session{t: t, tm: tm}
}

// waitFor waits until the output printed since the last wait holds every
// one of want.
func (s *session) waitFor(want ...string) {
	s.t.Helper()
	teatest.WaitFor(s.t, s.tm.Output(), func(b []byte) bool {
		for _, w := range want {
			if !bytes.Contains(b, []byte(w)) {
				return false
			}
		}
		s.mu.Lock()
		s.tx.Write(b)
		s.mu.Unlock()
		return true
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
}

func (s *session) keys(keys ...string) {
	for _, k := range keys {
		s.tm.Send(keyMsg(k))
	}
}

func (s *session) finish() Model {
	s.t.Helper()
	s.tm.WaitFinished(s.t, teatest.WithFinalTimeout(5*time.Second))
	return s.tm.FinalModel(s.t).(Model)
}

func TestFlowTreeToPlanRotateThenLockoutRefused(t *testing.T) {
	fb := &fakeBackend{}
	s := start(t, fb, 80, 24, Options{})
	s.waitFor("bpkeysdemo11", "Endpoints (2)")

	s.keys("enter") // the first account's tree
	s.waitFor("owner  threshold 2 of 3", "rotate  threshold 1 of 1")
	s.keys("G") // the last row: rotate's key
	s.waitFor("holder bob", "connected now")
	s.keys("enter")
	s.waitFor("Plan a change", "Rotate this key")
	s.keys("enter")
	s.waitFor("New key for rotate:", "keys on connected devices")
	s.keys("down", "down", "enter") // the spare key in slot 82
	s.waitFor("Diff", "- key "+keyRotate, "+ key "+keySpare, "updateauth bpkeysdemo11@rotate")

	// back to the tree, and try to remove rotate's only key
	s.keys("q")
	s.waitFor("bpkeysdemo11  4 permissions")
	s.keys("x")
	s.waitFor("REFUSED: rotate would have no key and no account left", "lockout")
	s.keys("s")
	s.waitFor("refused: rotate would have no key")

	s.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	m := s.finish()
	if _, ok := m.top().(*planScreen); !ok {
		t.Errorf("the flow ended on %T, want the plan screen", m.top())
	}

	if n, _ := fb.calls(); n != 0 {
		t.Fatalf("a refused plan reached Sign %d times", n)
	}
}

func TestFlowInboxReviewApproveSign(t *testing.T) {
	fb := &fakeBackend{signStarted: make(chan struct{}, 1), signGate: make(chan struct{})}
	s := start(t, fb, 80, 24, Options{})
	s.waitFor("Accounts (4)")

	s.keys("3")
	s.waitFor("alice/rotkey", "awaits you")
	s.keys("enter")
	s.waitFor("Approvals", "a: approve as bob@active")
	s.keys("a")
	s.waitFor("What will be signed", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "eosio.msig::approve alice/rotkey", "Press enter to sign")
	s.keys("enter")
	s.waitFor("PIN of", "bob's YubiKey 12345678 slot 9c")
	s.tm.Type("947261")
	s.waitFor("PIN: ••••••")
	if n, _ := fb.calls(); n != 0 {
		t.Fatalf("Sign was called before the PIN was submitted")
	}
	s.keys("enter")
	// "Touch your YubiKey" is on screen while the device call is held open.
	s.waitFor("Touch your YubiKey now")
	select {
	case <-fb.signStarted:
	case <-time.After(5 * time.Second):
		t.Fatal("Sign was never called")
	}
	// a second signature is refused while this one is in flight
	s.tm.Send(StartSignMsg{Request: SignRequest{Kind: SignApprove, Proposer: "alice", Proposal: "rotkey"}})
	s.waitFor("a signature is already in progress")
	s.keys("enter", "esc", "q") // ignored while the device works
	close(fb.signGate)
	s.waitFor("✓ Done.", "transaction 5c0ffee0d15ea5e5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718")

	s.keys("enter") // back to the review, refreshed
	s.waitFor("Verdict: can be executed now")
	s.keys("q", "q", "q")
	m := s.finish()
	if !m.quitting {
		t.Error("q on the first screen did not quit")
	}
	n, pins := fb.calls()
	if n != 1 || len(pins) != 1 || len(pins[0]) != 1 || pins[0][0] != "947261" {
		t.Fatalf("Sign calls = %d with pins %q, want one call with the typed PIN", n, pins)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := strings.Index(s.tx.String(), "947261"); i >= 0 {
		t.Fatalf("the PIN was printed on the screen: %q", s.tx.String()[max(0, i-80):i+20])
	}
}

func TestQuitCleanly(t *testing.T) {
	s := start(t, &fakeBackend{}, 80, 24, Options{})
	s.waitFor("Accounts (4)")
	s.keys("q")
	if m := s.finish(); !m.quitting || m.View() != "" {
		t.Fatal("q did not quit cleanly")
	}
}

func TestCtrlCQuitsWhileSigning(t *testing.T) {
	fb := &fakeBackend{signStarted: make(chan struct{}, 1), signGate: make(chan struct{})}
	s := start(t, fb, 80, 24, Options{Account: "bpkeysdemo11"})
	s.waitFor("bpkeysdemo11  4 permissions")
	s.tm.Send(StartSignMsg{Request: SignRequest{Kind: SignUnregister, Account: "bpkeysdemo11"}})
	s.waitFor("Press enter to sign")
	s.keys("enter")
	s.tm.Type("1")
	s.keys("enter")
	s.waitFor("Touch your YubiKey now")
	<-fb.signStarted
	s.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	s.finish()
}

func TestFlowHelpAndPanes(t *testing.T) {
	s := start(t, &fakeBackend{}, 120, 40, Options{})
	s.waitFor("Accounts (4)")
	s.keys("?")
	s.waitFor("Accounts: keys", "permission tree", "Everywhere", "ctrl+c")
	s.keys("?", "tab")
	s.waitFor("▸ Endpoints (2)")
	s.keys("2")
	s.waitFor("Devices connected (2)", "Keys on YubiKey 5 NFC")
	s.keys("j")
	s.waitFor("Keys on bp-hsm")
	s.keys("r") // a refresh of the same data leaves the frame as it was
	s.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	s.finish()
}
