package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// inboxMsg answers Backend.Inbox.
type inboxMsg struct {
	route
	view *InboxView
	err  error
}

// reviewMsg answers Backend.Review.
type reviewMsg struct {
	route
	view *ReviewView
	err  error
}

// inboxScreen lists the proposals that concern the team, those awaiting
// the operator first.
type inboxScreen struct {
	common
	seq     int
	loading bool
	data    *InboxView
	err     error
	cur     int
}

func newInbox(c common) *inboxScreen { return &inboxScreen{common: c} }

func (s *inboxScreen) title() string       { return "Inbox" }
func (s *inboxScreen) capturing() bool     { return false }
func (s *inboxScreen) init() tea.Cmd       { return s.refresh() }
func (s *inboxScreen) help() []key.Binding { return s.keys.Inbox.bindings() }
func (s *inboxScreen) shortHelp() []key.Binding {
	k := s.keys.Inbox
	return []key.Binding{k.Open, k.Up, k.Down, s.keys.Global.Refresh}
}

func (s *inboxScreen) refresh() tea.Cmd {
	s.seq++
	s.loading = true
	r, b := route{s.sid, s.seq}, s.backend
	return s.io(func(ctx context.Context) tea.Msg {
		v, err := b.Inbox(ctx)
		return inboxMsg{r, v, err}
	})
}

func (s *inboxScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case inboxMsg:
		if msg.seq != s.seq {
			return nil
		}
		s.loading, s.err = false, msg.err
		if msg.err == nil {
			s.data = msg.view
			if s.cur >= len(s.data.Proposals) {
				s.cur = 0
			}
		}
	case SignDoneMsg:
		if msg.Err == nil {
			return s.refresh()
		}
	case tea.KeyMsg:
		if s.data == nil || len(s.data.Proposals) == 0 {
			return nil
		}
		k := s.keys.Inbox
		if c, ok := moveCursor(k.ListKeys, msg, s.cur, len(s.data.Proposals)); ok {
			s.cur = c
			return nil
		}
		if key.Matches(msg, k.Open) {
			p := s.data.Proposals[s.cur]
			return msgCmd(ShowReviewMsg{Proposer: p.Proposer, Name: p.Name})
		}
	}
	return nil
}

func (s *inboxScreen) view(w, h int) string {
	if s.data == nil {
		return s.loadState(s.loading, s.err, "proposals", w)
	}
	st := s.styles
	out := []string{s.section(fmt.Sprintf("Proposals (%d)", len(s.data.Proposals)), true)}
	if s.err != nil {
		out = append(out, st.Error.Render("refresh failed: "+errText(s.err)))
	}
	for _, e := range s.data.DeviceErrors {
		out = append(out, wrap(st.Error.Render("⚠ device not read: "+e), w, 2)...)
	}
	if len(s.data.Proposals) == 0 {
		out = append(out, st.Subtle.Render("  nothing awaits the team"))
	}
	var rows []string
	for i, p := range s.data.Proposals {
		state := fmt.Sprintf("%d/%d approved", p.Approved, p.Requested)
		switch {
		case p.Executable:
			state = st.OK.Render("ready to execute")
		case p.AwaitsYou:
			state += "  " + st.Touch.Render("awaits you")
		}
		head := s.cursorMark(i == s.cur) + fmt.Sprintf("%s/%s  %s", p.Proposer, p.Name, state)
		if i == s.cur {
			head = st.Selected.Render(head)
		}
		does := p.Does
		if does == "" {
			does = st.Subtle.Render("(what it does is unknown: open it to review)")
		}
		rows = append(rows, head, "    "+does, "    "+st.Subtle.Render(p.Summary+" · expires "+stamp(p.Expires)))
	}
	out = append(out, window(rows, s.cur*3+2, h-len(out))...)
	return clip(strings.Join(out, "\n"), w, h)
}

// reviewScreen shows one proposal: what it does, who approved, the verdict.
type reviewScreen struct {
	common
	proposer, name string
	seq            int
	loading        bool
	data           *ReviewView
	err            error
	scroll         int
	focus          int // 0 actions, 1 approvals
	// gone: the proposal is no longer on chain; done says why when this
	// screen's own signature ended it ("executed", "cancelled").
	gone bool
	done string
}

func newReview(c common, proposer, name string) *reviewScreen {
	return &reviewScreen{common: c, proposer: proposer, name: name}
}

func (s *reviewScreen) title() string   { return s.proposer + "/" + s.name }
func (s *reviewScreen) capturing() bool { return false }
func (s *reviewScreen) init() tea.Cmd   { return s.refresh() }
func (s *reviewScreen) help() []key.Binding {
	k := s.keys.Review
	return []key.Binding{k.Up, k.Down, k.Approve, k.Unapprove, k.Exec, k.Cancel}
}

func (s *reviewScreen) shortHelp() []key.Binding {
	k := s.keys.Review
	if s.gone {
		return []key.Binding{s.keys.Global.Next} // nothing left to sign
	}
	return []key.Binding{k.Approve, k.Unapprove, k.Exec, k.Cancel, s.keys.Global.Next}
}

func (s *reviewScreen) refresh() tea.Cmd {
	s.seq++
	s.loading = true
	r, b, p, n := route{s.sid, s.seq}, s.backend, s.proposer, s.name
	return s.io(func(ctx context.Context) tea.Msg {
		v, err := b.Review(ctx, p, n)
		return reviewMsg{r, v, err}
	})
}

func (s *reviewScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reviewMsg:
		if msg.seq != s.seq {
			return nil
		}
		s.loading, s.err = false, msg.err
		s.gone = errors.Is(msg.err, ErrProposalGone)
		if msg.err == nil {
			s.data = msg.view
		}
	case SignDoneMsg:
		if msg.Err == nil && msg.Request.Proposer == s.proposer && msg.Request.Proposal == s.name {
			switch msg.Request.Kind {
			case SignExec:
				s.done = "executed"
			case SignCancel:
				s.done = "cancelled"
			}
			return s.refresh()
		}
	case tea.KeyMsg:
		return s.key(msg)
	}
	return nil
}

func (s *reviewScreen) key(msg tea.KeyMsg) tea.Cmd {
	k := s.keys.Review
	sign := func(kind SignKind) tea.Cmd {
		req := SignRequest{Kind: kind, Proposer: s.proposer, Proposal: s.name}
		if s.data != nil {
			req.Hash = s.data.Hash
		}
		return msgCmd(StartSignMsg{Request: req})
	}
	switch {
	case key.Matches(msg, s.keys.Global.Next):
		s.focus = 1 - s.focus
		s.scroll = -1 // jump to the focused section at the next view
	case key.Matches(msg, k.Up):
		s.scroll = max(0, s.scroll-1)
	case key.Matches(msg, k.Down):
		s.scroll++
	case s.data == nil:
		return nil
	case s.gone && (key.Matches(msg, k.Approve) || key.Matches(msg, k.Unapprove) || key.Matches(msg, k.Exec) || key.Matches(msg, k.Cancel)):
		return ErrorCmd(fmt.Errorf("%s/%s is no longer on chain: there is nothing left to sign for it", s.proposer, s.name))
	case key.Matches(msg, k.Approve):
		if !s.data.CanApprove {
			return ErrorCmd(fmt.Errorf("no connected key can approve %s/%s: connect your YubiKey and press r", s.proposer, s.name))
		}
		return sign(SignApprove)
	case key.Matches(msg, k.Unapprove):
		if !s.data.CanUnapprove {
			return ErrorCmd(fmt.Errorf("there is no approval of yours to withdraw"))
		}
		return sign(SignUnapprove)
	case key.Matches(msg, k.Exec):
		if !s.data.Verdict.Executable {
			return ErrorCmd(fmt.Errorf("cannot execute yet: %s", strings.Join(s.data.Verdict.Reasons, "; ")))
		}
		return sign(SignExec)
	case key.Matches(msg, k.Cancel):
		return sign(SignCancel)
	}
	return nil
}

func (s *reviewScreen) view(w, h int) string {
	if s.data == nil {
		return s.loadState(s.loading, s.err, "the proposal", w)
	}
	st := s.styles
	d := s.data
	out := []string{
		fmt.Sprintf("%s  proposed by %s", st.Title.Render(d.Proposer+"/"+d.Name), d.Proposer),
		st.Subtle.Render("hash " + d.Hash),
		st.Subtle.Render("expires " + stamp(d.Expiration)),
	}
	switch {
	case s.gone:
		what := "executed or cancelled"
		if s.done != "" {
			what = s.done + " from this screen"
		}
		out = append(out, "")
		out = append(out, wrap(st.OK.Render(fmt.Sprintf("✓ %s/%s is no longer on chain: %s.", d.Proposer, d.Name, what))+" What follows is how it stood before; nothing is left to approve or execute.", w, 2)...)
	case s.err != nil:
		out = append(out, st.Error.Render("refresh failed: "+errText(s.err)))
	}
	for _, e := range d.DeviceErrors {
		out = append(out, wrap(st.Error.Render("⚠ device not read: "+e), w, 2)...)
	}
	var acts []string
	acts = append(acts, s.section(fmt.Sprintf("What it does (%d action%s)", len(d.Actions), plural(len(d.Actions))), s.focus == 0))
	for i, a := range d.Actions {
		acts = append(acts, wrap(fmt.Sprintf("  %d. %s", i+1, a.Text), w, 5)...)
		if len(a.Authorization) > 0 {
			acts = append(acts, st.Subtle.Render("     as "+strings.Join(a.Authorization, ", ")))
		}
		for _, l := range a.Diff {
			acts = append(acts, wrap("     "+s.diffLine(l), w, 9)...)
		}
	}
	var apps []string
	apps = append(apps, s.section("Approvals", s.focus == 1))
	for _, l := range d.Levels {
		mark := st.Subtle.Render("○")
		if l.Satisfied {
			mark = st.OK.Render("✓")
		}
		line := fmt.Sprintf("%s%s %s", strings.Repeat("  ", l.Depth+1), mark, l.Level)
		if l.Depth > 0 {
			line += fmt.Sprintf(" w%d", l.Weight)
		}
		switch {
		case l.Approved: // the approval itself satisfies the level
			line += "  " + st.OK.Render("approved")
		case l.Requested:
			line += "  " + st.Subtle.Render("requested, not approved yet")
		case l.Threshold > 0:
			line += fmt.Sprintf("  %d/%d", l.Have, l.Threshold)
		}
		apps = append(apps, line)
	}
	verdict := []string{""}
	switch {
	case s.gone:
		verdict = nil
	case d.Verdict.Executable:
		verdict = append(verdict, st.OK.Render("✓ Verdict: can be executed now (e)"))
	default:
		verdict = append(verdict, st.Warning.Render("Verdict: not executable yet"))
		for _, r := range d.Verdict.Reasons {
			verdict = append(verdict, wrap("  - "+r, w, 4)...)
		}
	}
	if d.CanApprove && !s.gone {
		verdict = append(verdict, st.Touch.Render("a: approve as "+d.ApproveAs))
	}
	body := append(append(acts, apps...), verdict...)
	avail := h - len(out)
	if s.scroll < 0 { // jump to the focused section
		s.scroll = 0
		if s.focus == 1 {
			s.scroll = len(acts)
		}
	}
	s.scroll = min(s.scroll, max(0, len(body)-avail))
	out = append(out, body[s.scroll:min(len(body), s.scroll+avail)]...)
	return clip(strings.Join(out, "\n"), w, h)
}
