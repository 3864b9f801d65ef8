package tui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Model-level tests: Update and View called directly, commands inspected
// rather than run, with fakeBackend's fixed data.

func signModel(t *testing.T, fb *fakeBackend) (Model, *signScreen) {
	t.Helper()
	m := sized(withScreens(t, fb, func(m *Model) []screen {
		return []screen{newInbox(m.common()), newReview(m.common(), "alice", "rotkey"),
			newSign(m.common(), SignRequest{Kind: SignApprove, Proposer: "alice", Proposal: "rotkey"})}
	}), 80, 24)
	return m, m.top().(*signScreen)
}

func TestTouchShownBeforeDeviceCall(t *testing.T) {
	fb := &fakeBackend{}
	m, s := signModel(t, fb)
	if strings.Contains(m.View(), "Touch your YubiKey") {
		t.Fatal("touch asked for before the confirmation")
	}
	press(s, "enter", "9", "4", "7", "2", "6", "1")
	if v := m.View(); strings.Contains(v, "947261") || !strings.Contains(v, "PIN: ••••••") {
		t.Fatalf("the PIN field is not masked:\n%s", v)
	}
	cmd := s.update(keyMsg("enter"))
	if cmd == nil {
		t.Fatal("submitting the PIN started nothing")
	}
	// The state is signing and the frame asks for the touch, while the
	// command that calls the device has not run yet.
	if !strings.Contains(m.View(), "Touch your YubiKey now") {
		t.Fatalf("no touch prompt before the device call:\n%s", m.View())
	}
	if n, _ := fb.calls(); n != 0 {
		t.Fatal("the device was called from Update")
	}
	// More keys while signing start nothing more.
	for _, k := range []string{"enter", "enter", "a"} {
		if c := s.update(keyMsg(k)); c != nil {
			t.Fatalf("key %q during signing returned a command", k)
		}
	}
	if c := s.nextPIN(); c == nil {
		t.Fatal("a second start of the same signature was not refused")
	} else if msg, ok := c().(ErrorMsg); !ok || !strings.Contains(msg.Err.Error(), "already sent") {
		t.Fatalf("a second start gave %v", c())
	}
}

func TestSecondSigningRequestRefused(t *testing.T) {
	fb := &fakeBackend{}
	m := sized(New(context.Background(), fb, Options{}), 80, 24)
	req := SignRequest{Kind: SignApprove, Proposer: "alice", Proposal: "rotkey"}
	next, _ := m.Update(StartSignMsg{Request: req})
	m = next.(Model)
	if _, ok := m.top().(*signScreen); !ok {
		t.Fatalf("StartSignMsg opened %T", m.top())
	}
	depth := len(m.stack)
	next, _ = m.Update(StartSignMsg{Request: req})
	m = next.(Model)
	if len(m.stack) != depth || m.err == nil || !strings.Contains(m.err.Error(), "already in progress") {
		t.Fatalf("a second request was not refused: stack %d, err %v", len(m.stack), m.err)
	}
	// no jumping away from the signature either
	next, _ = m.Update(keyMsg("2"))
	if _, ok := next.(Model).top().(*signScreen); !ok {
		t.Fatal("the devices key left the signing flow")
	}
}

func TestRefusedPlanCannotBeSignedOrProposed(t *testing.T) {
	fb := &fakeBackend{}
	m := sized(withScreens(t, fb, func(m *Model) []screen {
		return []screen{newPlan(m.common(), PlanRequest{Account: "bpkeysdemo11", Kind: PlanRemoveKey, Permission: "rotate", Key: keyRotate})}
	}), 80, 24)
	for _, k := range []string{"s", "m"} {
		cmd := m.top().update(keyMsg(k))
		if cmd == nil {
			t.Fatalf("%s on a refused plan did nothing visible", k)
		}
		msg, ok := cmd().(ErrorMsg)
		if !ok || !strings.Contains(msg.Err.Error(), "refused: rotate would have no key and no account left") {
			t.Fatalf("%s on a refused plan gave %#v", k, cmd())
		}
	}
}

func TestPlanProposeWhenNotDirect(t *testing.T) {
	fb := &fakeBackend{}
	m := sized(withScreens(t, fb, func(m *Model) []screen {
		return []screen{newPlan(m.common(), PlanRequest{Account: "bpkeysdemo11", Kind: PlanRotate, Permission: "rotate", Key: keyRotate, NewKey: keySpare})}
	}), 80, 24)
	if _, ok := m.top().update(keyMsg("s"))().(ErrorMsg); !ok {
		t.Fatal("s signed a plan the connected keys cannot sign directly")
	}
	msg, ok := m.top().update(keyMsg("m"))().(StartSignMsg)
	if !ok || msg.Request.Kind != SignPlanPropose || msg.Request.Plan.NewKey != keySpare {
		t.Fatalf("m gave %#v", msg)
	}
}

func TestEmergencyNeedsTheAccountNameTyped(t *testing.T) {
	fb := &fakeBackend{}
	m := sized(withScreens(t, fb, func(m *Model) []screen { return []screen{newProducer(m.common(), "bpkeysdemo11")} }), 80, 24)
	s := m.top().(*producerScreen)
	press(s, "U")
	if !s.capturing() {
		t.Fatal("U did not ask for the confirmation")
	}
	// q types into the field instead of leaving
	next, _ := m.Update(keyMsg("q"))
	m = next.(Model)
	if m.top() != screen(s) || s.input.Value() != "q" {
		t.Fatalf("q left the confirmation (value %q)", s.input.Value())
	}
	s.input.SetValue("bpkeysdemo1")
	if _, ok := s.update(keyMsg("enter"))().(ErrorMsg); !ok {
		t.Fatal("a wrong name was accepted")
	}
	s.input.SetValue("bpkeysdemo11")
	msg, ok := s.update(keyMsg("enter"))().(StartSignMsg)
	if !ok || msg.Request.Kind != SignUnregister || msg.Request.Account != "bpkeysdemo11" {
		t.Fatalf("the confirmed name gave %#v", msg)
	}
}

func TestStaleAndOrphanResultsDropped(t *testing.T) {
	fb := &fakeBackend{}
	m := sized(New(context.Background(), fb, Options{}), 80, 24)
	a := m.stack[0].(*accountsScreen)
	a.refresh()
	old := a.seq
	a.refresh()
	next, _ := m.Update(overviewMsg{route{a.sid, old}, &Overview{Accounts: []AccountRow{{Name: "stale"}}}, nil})
	m = next.(Model)
	if a.data != nil {
		t.Fatal("an older load's answer was shown")
	}
	// an answer for a screen that was closed goes nowhere
	next, _ = m.Update(treeMsg{route{999, 1}, &TreeView{Account: "gone"}, nil})
	m = next.(Model)
	if strings.Contains(m.View(), "gone") {
		t.Fatal("an orphan answer was shown")
	}
}

func TestHelpListsEveryKey(t *testing.T) {
	fb := &fakeBackend{}
	for _, c := range goldenCases() {
		m := sized(withScreens(t, fb, c.build), 200, 60)
		top := m.top()
		if top.capturing() {
			continue
		}
		next, _ := m.Update(keyMsg("?"))
		v := next.(Model).View()
		for _, b := range append(top.help(), m.keys.Global.bindings()...) {
			if !strings.Contains(v, b.Help().Key) || !strings.Contains(v, b.Help().Desc) {
				t.Errorf("%s: help lacks %q %q", c.name, b.Help().Key, b.Help().Desc)
			}
		}
	}
}

// blockingBackend never answers before its context ends.
type blockingBackend struct{ fakeBackend }

func (b *blockingBackend) Overview(ctx context.Context) (*Overview, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestReadsHaveATimeout(t *testing.T) {
	m := New(context.Background(), &blockingBackend{}, Options{ReadTimeout: 20 * time.Millisecond})
	a := m.stack[0].(*accountsScreen)
	msg := a.refresh()()
	om, ok := msg.(overviewMsg)
	if !ok || !errors.Is(om.err, context.DeadlineExceeded) {
		t.Fatalf("a read without an answer gave %#v", msg)
	}
	a.update(om)
	v := sized(m, 80, 24).View()
	if !strings.Contains(v, "no answer in time") || !strings.Contains(v, "press r to retry") {
		t.Fatalf("the timeout is not explained:\n%s", v)
	}
}

func TestNotAvailableIsShownNotFaked(t *testing.T) {
	fb := &fakeBackend{}
	m := sized(withScreens(t, fb, func(m *Model) []screen {
		return []screen{newPlan(m.common(), PlanRequest{Account: "bpkeysdemo11", Kind: PlanTemplate})}
	}), 80, 24)
	if v := m.View(); !strings.Contains(v, "not available yet") {
		t.Fatalf("ErrNotAvailable not shown:\n%s", v)
	}
}

func TestPlainWithoutColour(t *testing.T) {
	fb := &fakeBackend{}
	for _, c := range goldenCases() {
		m := sized(withScreens(t, fb, c.build), 80, 24)
		if c.after != nil {
			c.after(t, &m)
		}
		if v := m.View(); strings.Contains(v, "\x1b[") {
			t.Errorf("%s: escape sequences with the Ascii profile: %q", c.name, v)
		}
	}
}

func TestTinyTerminal(t *testing.T) {
	m := sized(New(context.Background(), &fakeBackend{}, Options{}), 10, 3)
	checkFrame(t, m.View(), 10, 3)
}
