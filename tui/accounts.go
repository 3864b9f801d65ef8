package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// overviewMsg answers Backend.Overview.
type overviewMsg struct {
	route
	view *Overview
	err  error
}

// accountsScreen lists the team's accounts and the endpoints' health.
type accountsScreen struct {
	common
	seq     int
	loading bool
	data    *Overview
	err     error
	cur     int // account cursor
	ecur    int // endpoint cursor
	focus   int // 0 accounts, 1 endpoints
}

func newAccounts(c common) *accountsScreen { return &accountsScreen{common: c} }

func (s *accountsScreen) title() string   { return "Accounts" }
func (s *accountsScreen) capturing() bool { return false }
func (s *accountsScreen) init() tea.Cmd   { return s.refresh() }
func (s *accountsScreen) help() []key.Binding {
	k := s.keys.Accounts
	return append(k.bindings(), k.Tree, k.Producer)
}

func (s *accountsScreen) shortHelp() []key.Binding {
	k := s.keys.Accounts
	return []key.Binding{k.Open, k.Producer, s.keys.Global.Devices, s.keys.Global.Inbox, s.keys.Global.Refresh}
}

func (s *accountsScreen) refresh() tea.Cmd {
	s.seq++
	s.loading = true
	r := route{s.sid, s.seq}
	b := s.backend
	return s.io(func(ctx context.Context) tea.Msg {
		v, err := b.Overview(ctx)
		return overviewMsg{r, v, err}
	})
}

func (s *accountsScreen) selected() (AccountRow, bool) {
	if s.data == nil || s.cur >= len(s.data.Accounts) {
		return AccountRow{}, false
	}
	return s.data.Accounts[s.cur], true
}

func (s *accountsScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case overviewMsg:
		if msg.seq != s.seq {
			return nil
		}
		s.loading = false
		s.err = msg.err
		if msg.err == nil {
			s.data = msg.view
			if s.cur >= len(s.data.Accounts) {
				s.cur = 0
			}
		}
	case tea.KeyMsg:
		k := s.keys.Accounts
		if key.Matches(msg, s.keys.Global.Next) {
			s.focus = 1 - s.focus
			return nil
		}
		if s.data == nil {
			return nil
		}
		if s.focus == 1 {
			s.ecur, _ = moveCursor(k.ListKeys, msg, s.ecur, len(s.data.Endpoints))
			return nil
		}
		if c, ok := moveCursor(k.ListKeys, msg, s.cur, len(s.data.Accounts)); ok {
			s.cur = c
			return nil
		}
		a, ok := s.selected()
		if !ok {
			return nil
		}
		switch {
		case key.Matches(msg, k.Open, k.Tree):
			return msgCmd(ShowTreeMsg{Account: a.Name})
		case key.Matches(msg, k.Producer):
			return msgCmd(ShowProducerMsg{Account: a.Name})
		}
	}
	return nil
}

func (s *accountsScreen) view(w, h int) string {
	if s.data == nil {
		return s.loadState(s.loading, s.err, "accounts and endpoints", w)
	}
	st := s.styles
	var out []string
	d := s.data
	chainLine := "chain " + st.Error.Render("no endpoint answers")
	for _, e := range d.Endpoints {
		if e.InUse {
			chainLine = fmt.Sprintf("chain %s  via %s  head #%d, %s old", shortID(d.ChainID), e.URL, e.HeadBlock, age(e.HeadAge))
			break
		}
	}
	out = append(out, chainLine)
	if s.err != nil {
		out = append(out, st.Error.Render("refresh failed: "+errText(s.err)))
	}
	out = append(out, "", s.section(fmt.Sprintf("Accounts (%d)", len(d.Accounts)), s.focus == 0))
	nameW := 12
	for _, a := range d.Accounts {
		if len(a.Name) > nameW {
			nameW = len(a.Name)
		}
	}
	var rows []string
	for i, a := range d.Accounts {
		line := s.cursorMark(i == s.cur && s.focus == 0) + fmt.Sprintf("%-*s  %-9s  ", nameW, a.Name, a.Source)
		if a.Error != "" {
			line += st.Error.Render("✗ " + a.Error)
			rows = append(rows, line)
			continue
		}
		prod := a.Producer
		if prod == "" {
			prod = "producer status unknown"
		}
		if strings.HasPrefix(prod, "active") {
			prod = st.OK.Render(prod)
		} else {
			prod = st.Subtle.Render(prod)
		}
		line += prod
		switch {
		case a.Errors > 0:
			line += "  " + st.Error.Render(fmt.Sprintf("✗ %d error%s", a.Errors, plural(a.Errors)))
		case a.Warnings > 0:
			line += "  " + st.Warning.Render(fmt.Sprintf("! %d warning%s", a.Warnings, plural(a.Warnings)))
		default:
			line += "  " + st.OK.Render("✓ no findings")
		}
		if i == s.cur && s.focus == 0 {
			line = st.Selected.Render(line)
		}
		rows = append(rows, line)
	}
	if len(rows) == 0 {
		rows = append(rows, st.Subtle.Render("  no accounts: give --team FILE, or run bpkeys demo"))
	}
	var eps []string
	for i, e := range d.Endpoints {
		mark := st.OK.Render("●")
		state := fmt.Sprintf("head #%d  %s old  %s", e.HeadBlock, age(e.HeadAge), e.ServerVersion)
		if e.InUse {
			state = "in use  " + state
		}
		if !e.Answers {
			mark = st.Error.Render("✗")
			state = st.Error.Render(e.Error)
		}
		eps = append(eps, s.cursorMark(i == s.ecur && s.focus == 1)+mark+" "+e.URL+"  "+state)
	}
	// accounts get what the endpoints leave
	fixed := len(out) + 2 + len(eps)
	avail := h - fixed
	if avail < 3 {
		avail = 3
	}
	out = append(out, window(rows, s.cur, avail)...)
	out = append(out, "", s.section(fmt.Sprintf("Endpoints (%d)", len(d.Endpoints)), s.focus == 1))
	out = append(out, eps...)
	return clip(strings.Join(out, "\n"), w, h)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// shortID abbreviates a chain id: 8 hex digits and an ellipsis.
func shortID(id string) string {
	if id == "" {
		return "(unknown)"
	}
	if len(id) > 8 {
		return id[:8] + "…"
	}
	return id
}
