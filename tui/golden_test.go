package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

// The golden files are the screens rendered straight from their models,
// fed the fixed data of fakeBackend (go test ./tui -update rewrites them).

// deliver loads a screen's data synchronously, as its tea.Cmd would.
func deliver(t testing.TB, fb *fakeBackend, s screen) {
	t.Helper()
	ctx := context.Background()
	switch s := s.(type) {
	case *accountsScreen:
		s.refresh()
		v, err := fb.Overview(ctx)
		s.update(overviewMsg{route{s.sid, s.seq}, v, err})
	case *treeScreen:
		s.refresh()
		v, err := fb.Tree(ctx, s.account)
		s.update(treeMsg{route{s.sid, s.seq}, v, err})
	case *devicesScreen:
		s.refresh()
		v, err := fb.Devices(ctx)
		s.update(devicesMsg{route{s.sid, s.seq}, v, err})
	case *planScreen:
		if s.state == planForm {
			s.init()
			v, err := fb.Devices(ctx)
			s.update(candidatesMsg{route{s.sid, s.seq}, v, err})
			return
		}
		s.preview()
		v, err := fb.Plan(ctx, s.req)
		s.update(planMsg{route{s.sid, s.seq}, v, err})
	case *inboxScreen:
		s.refresh()
		v, err := fb.Inbox(ctx)
		s.update(inboxMsg{route{s.sid, s.seq}, v, err})
	case *reviewScreen:
		s.refresh()
		v, err := fb.Review(ctx, s.proposer, s.name)
		s.update(reviewMsg{route{s.sid, s.seq}, v, err})
	case *producerScreen:
		s.refresh()
		v, err := fb.Producer(ctx, s.account)
		s.update(producerMsg{route{s.sid, s.seq}, v, err})
	case *signScreen:
		p, err := fb.PrepareSign(ctx, s.req)
		s.update(preparedMsg{route{s.sid, 0}, p, err})
	default:
		t.Fatalf("deliver: unknown screen %T", s)
	}
}

// withScreens builds a root model whose stack is the accounts screen and
// the screens make returns, each loaded with the fixed data.
func withScreens(t testing.TB, fb *fakeBackend, make func(m *Model) []screen) Model {
	t.Helper()
	m := New(context.Background(), fb, Options{})
	deliver(t, fb, m.stack[0])
	for _, s := range make(&m) {
		deliver(t, fb, s)
		m.stack = append(m.stack, s)
	}
	return m
}

func sized(m Model, w, h int) Model {
	next, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return next.(Model)
}

func keyMsg(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEscape}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case " ":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// press sends keys to a screen directly (commands are not run).
func press(s screen, keys ...string) {
	for _, k := range keys {
		s.update(keyMsg(k))
	}
}

// checkFrame asserts the frame fills exactly w x h and no line overflows.
func checkFrame(t *testing.T, frame string, w, h int) {
	t.Helper()
	lines := strings.Split(frame, "\n")
	if len(lines) != h {
		t.Errorf("frame has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("line %d is %d columns wide, more than %d: %q", i+1, lw, w, ansi.Strip(l))
		}
	}
}

type goldenCase struct {
	name  string
	sizes [][2]int
	build func(m *Model) []screen
	after func(t *testing.T, m *Model) // optional: keys pressed before rendering
}

var (
	std       = [][2]int{{80, 24}, {120, 40}}
	withNarow = [][2]int{{60, 24}, {80, 24}, {120, 40}}
)

func goldenCases() []goldenCase {
	tree := func(m *Model) []screen { return []screen{newTree(m.common(), "bpkeysdemo11")} }
	sign := func(kind SignKind) func(m *Model) []screen {
		return func(m *Model) []screen {
			return []screen{newInbox(m.common()), newReview(m.common(), "alice", "rotkey"),
				newSign(m.common(), SignRequest{Kind: kind, Proposer: "alice", Proposal: "rotkey"})}
		}
	}
	top := func(m *Model) screen { return m.stack[len(m.stack)-1] }
	return []goldenCase{
		{name: "accounts", sizes: std, build: func(*Model) []screen { return nil }},
		{name: "tree", sizes: withNarow, build: tree},
		{name: "tree_key_selected", sizes: withNarow, build: tree, after: func(_ *testing.T, m *Model) { press(top(m), "G") }},
		{name: "tree_collapsed", sizes: std, build: tree, after: func(_ *testing.T, m *Model) { press(top(m), "j", "j", "j", "j", " ") }},
		{name: "tree_plan_menu", sizes: std, build: tree, after: func(_ *testing.T, m *Model) { press(top(m), "G", "enter") }},
		{name: "devices", sizes: std, build: func(m *Model) []screen { return []screen{newDevices(m.common())} }},
		{name: "plan_rotate_form", sizes: std, build: func(m *Model) []screen {
			return []screen{newPlan(m.common(), PlanRequest{Account: "bpkeysdemo11", Kind: PlanRotate, Permission: "rotate", Key: keyRotate})}
		}, after: func(_ *testing.T, m *Model) { press(top(m), "down") }},
		{name: "plan_rotate_preview", sizes: std, build: func(m *Model) []screen {
			return []screen{newPlan(m.common(), PlanRequest{Account: "bpkeysdemo11", Kind: PlanRotate, Permission: "rotate", Key: keyRotate, NewKey: keySpare})}
		}},
		{name: "plan_refused", sizes: std, build: func(m *Model) []screen {
			return []screen{newPlan(m.common(), PlanRequest{Account: "bpkeysdemo11", Kind: PlanRemoveKey, Permission: "rotate", Key: keyRotate})}
		}},
		{name: "plan_not_available", sizes: std, build: func(m *Model) []screen {
			return []screen{newPlan(m.common(), PlanRequest{Account: "bpkeysdemo11", Kind: PlanTemplate})}
		}},
		{name: "inbox", sizes: std, build: func(m *Model) []screen { return []screen{newInbox(m.common())} }},
		{name: "review", sizes: std, build: func(m *Model) []screen {
			return []screen{newInbox(m.common()), newReview(m.common(), "alice", "rotkey")}
		}},
		{name: "producer", sizes: std, build: func(m *Model) []screen { return []screen{newProducer(m.common(), "bpkeysdemo11")} }},
		{name: "producer_unregister_confirm", sizes: std, build: func(m *Model) []screen { return []screen{newProducer(m.common(), "bpkeysdemo11")} },
			after: func(_ *testing.T, m *Model) { press(top(m), "U", "b", "p") }},
		{name: "sign_review", sizes: std, build: sign(SignApprove)},
		{name: "sign_review_cut", sizes: [][2]int{{80, 11}}, build: sign(SignApprove), after: func(t *testing.T, m *Model) {
			s := top(m).(*signScreen)
			v := m.View()
			cut := s.cut
			press(s, "enter")
			if cut && s.state != signReview {
				t.Fatalf("a summary cut by the terminal was confirmed (state %v):\n%s", s.state, v)
			}
		}},
		{name: "sign_review_scrolled", sizes: [][2]int{{80, 11}}, build: sign(SignApprove), after: func(t *testing.T, m *Model) {
			s := top(m).(*signScreen)
			for range 10 {
				m.View()
				press(s, "j")
			}
		}},
		{name: "sign_review_narrow", sizes: [][2]int{{60, 24}}, build: sign(SignApprove), after: func(t *testing.T, m *Model) {
			// the chain id does not fit 60 columns: shortened visibly, so the
			// summary is not whole and cannot be confirmed
			s := top(m).(*signScreen)
			v := m.View()
			whole := strings.Contains(ansi.Strip(v), chainID)
			press(s, "enter")
			if !whole && (!s.cut || s.state != signReview) {
				t.Fatalf("a summary with a shortened hash was confirmed (cut %v, state %v):\n%s", s.cut, s.state, v)
			}
		}},
		{name: "sign_pin", sizes: std, build: sign(SignApprove), after: func(_ *testing.T, m *Model) { press(top(m), "enter", "1", "2", "3", "4", "5", "6") }},
		{name: "sign_touch", sizes: std, build: sign(SignApprove), after: func(_ *testing.T, m *Model) {
			press(top(m), "enter", "1", "2", "3", "4", "5", "6", "enter")
		}},
		{name: "sign_done", sizes: std, build: sign(SignApprove), after: func(t *testing.T, m *Model) {
			s := top(m).(*signScreen)
			press(s, "enter", "1", "2", "3", "4", "5", "6", "enter")
			s.update(signedMsg{route{s.sid, 0}, &SignResult{TxID: "5c0ffee0d15ea5e5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718", Notes: []string{"alice/rotkey: 2 of 3 approvals, can be executed"}}, nil})
		}},
		{name: "sign_failed", sizes: std, build: sign(SignApprove), after: func(t *testing.T, m *Model) {
			s := top(m).(*signScreen)
			press(s, "enter", "1", "2", "3", "4", "5", "6", "enter")
			s.update(signedMsg{route{s.sid, 0}, nil, fmt.Errorf("yubikey 12345678: verifying the PIN: wrong PIN, 2 retries left")})
		}},
		{name: "review_executed", sizes: std, build: func(m *Model) []screen {
			return []screen{newInbox(m.common()), newReview(m.common(), "alice", "rotkey")}
		}, after: func(t *testing.T, m *Model) {
			// executed from this screen: the refresh finds no proposal
			s := top(m).(*reviewScreen)
			fb := s.backend.(*fakeBackend)
			fb.approved = true
			deliver(t, fb, s)
			fb.executed = true
			s.update(SignDoneMsg{Request: SignRequest{Kind: SignExec, Proposer: "alice", Proposal: "rotkey"}})
			v, err := fb.Review(context.Background(), "alice", "rotkey")
			s.update(reviewMsg{route{s.sid, s.seq}, v, err})
		}},
		{name: "review_approvals", sizes: [][2]int{{80, 40}}, build: func(m *Model) []screen {
			return []screen{newInbox(m.common()), newReview(m.common(), "alice", "rotkey")}
		}, after: func(_ *testing.T, m *Model) { press(top(m), "tab") }},
		{name: "sign_already_proposed", sizes: std, build: func(m *Model) []screen {
			m.backend.(*fakeBackend).proposed = true
			req := PlanRequest{Account: "bpkeysdemo11", Kind: PlanRotate, Permission: "rotate", Key: keyRotate, NewKey: keySpare}
			return []screen{newSign(m.common(), SignRequest{Kind: SignPlanPropose, Account: "bpkeysdemo11", Plan: &req})}
		}},
		{name: "help_tree", sizes: std, build: tree, after: func(_ *testing.T, m *Model) {
			next, _ := m.Update(keyMsg("?"))
			*m = next.(Model)
		}},
	}
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases() {
		for _, sz := range c.sizes {
			w, h := sz[0], sz[1]
			t.Run(fmt.Sprintf("%s_%dx%d", c.name, w, h), func(t *testing.T) {
				fb := &fakeBackend{}
				m := sized(withScreens(t, fb, c.build), w, h)
				if c.after != nil {
					c.after(t, &m)
				}
				frame := m.View()
				checkFrame(t, frame, w, h)
				golden.RequireEqual(t, []byte(frame))
				if n, _ := fb.calls(); n != 0 {
					t.Errorf("rendering called Sign %d times", n)
				}
			})
		}
	}
}

// TestNoLineOverflows renders every golden case at many widths, not only
// the golden sizes.
func TestNoLineOverflows(t *testing.T) {
	for _, c := range goldenCases() {
		for _, w := range []int{40, 60, 72, 80, 100, 132, 200} {
			for _, h := range []int{12, 24, 50} {
				fb := &fakeBackend{}
				m := sized(withScreens(t, fb, c.build), w, h)
				if c.after != nil {
					c.after(t, &m)
				}
				t.Run(fmt.Sprintf("%s_%dx%d", c.name, w, h), func(t *testing.T) { checkFrame(t, m.View(), w, h) })
			}
		}
	}
}
