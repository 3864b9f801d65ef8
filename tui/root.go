package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// Options configure the TUI.
type Options struct {
	// Account opens its permission tree on top of the Accounts screen
	// (the demo opens bpkeysdemo11).
	Account string
	// ReadTimeout bounds every read (default 15 s); SignTimeout bounds a
	// signature, PIN and touch included (default 2 minutes).
	ReadTimeout, SignTimeout time.Duration
	// Title is shown in the header (default "bpkeys").
	Title string
}

// Model is the root model: it routes between screens, keeps the back
// stack, shows errors and help, and owns the global keys.
type Model struct {
	ctx     context.Context
	backend Backend
	styles  *Styles
	keys    *KeyMap
	opts    *Options

	stack  []screen
	nextID int
	width  int
	height int

	showHelp   bool
	helpScroll int
	err        error
	quitting   bool
}

// New builds the root model over backend. ctx bounds every I/O the TUI
// starts; cancel it to abandon them.
func New(ctx context.Context, backend Backend, opts Options) Model {
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = 15 * time.Second
	}
	if opts.SignTimeout <= 0 {
		opts.SignTimeout = 2 * time.Minute
	}
	if opts.Title == "" {
		opts.Title = "bpkeys"
	}
	st := DefaultStyles()
	km := DefaultKeyMap()
	m := Model{ctx: ctx, backend: backend, styles: &st, keys: &km, opts: &opts, width: 80, height: 24}
	m.stack = []screen{newAccounts(m.common())}
	if opts.Account != "" {
		m.stack = append(m.stack, newTree(m.common(), opts.Account))
	}
	return m
}

func (m *Model) common() common {
	m.nextID++
	return common{ctx: m.ctx, backend: m.backend, styles: m.styles, keys: m.keys, opts: m.opts, sid: m.nextID}
}

// Init loads the screens of the start stack.
func (m Model) Init() tea.Cmd {
	var cmds []tea.Cmd
	for _, s := range m.stack {
		cmds = append(cmds, s.init())
	}
	return tea.Batch(cmds...)
}

func (m Model) top() screen { return m.stack[len(m.stack)-1] }

func (m *Model) push(s screen) tea.Cmd {
	m.stack = append(m.stack, s)
	m.showHelp = false
	return s.init()
}

func (m Model) signing() bool {
	for _, s := range m.stack {
		if _, ok := s.(*signScreen); ok {
			return true
		}
	}
	return false
}

// Update routes a message: global keys first, navigation messages, then
// results to the screen that asked and keys to the screen on top.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case tea.KeyMsg:
		return m.key(msg)
	case ErrorMsg:
		m.err = msg.Err
		return m, nil
	case BackMsg:
		return m.back()
	case ShowAccountsMsg:
		for i, s := range m.stack {
			if _, ok := s.(*accountsScreen); ok && i == 0 {
				m.stack = m.stack[:1]
				return m, s.refresh()
			}
		}
		return m, m.push(newAccounts(m.common()))
	case ShowTreeMsg:
		return m, m.push(newTree(m.common(), msg.Account))
	case ShowDevicesMsg:
		return m, m.push(newDevices(m.common()))
	case ShowPlanMsg:
		return m, m.push(newPlan(m.common(), msg.Request))
	case ShowInboxMsg:
		return m, m.push(newInbox(m.common()))
	case ShowReviewMsg:
		return m, m.push(newReview(m.common(), msg.Proposer, msg.Name))
	case ShowProducerMsg:
		return m, m.push(newProducer(m.common(), msg.Account))
	case StartSignMsg:
		if m.signing() {
			m.err = errors.New("a signature is already in progress: finish or cancel it first")
			return m, nil
		}
		return m, m.push(newSign(m.common(), msg.Request))
	case SignDoneMsg:
		var cmds []tea.Cmd
		for _, s := range m.stack {
			cmds = append(cmds, s.update(msg))
		}
		return m, tea.Batch(cmds...)
	case routed:
		for _, s := range m.stack {
			if s.id() == msg.target() {
				return m, s.update(msg)
			}
		}
		return m, nil // the screen was closed: drop its result
	}
	return m, m.top().update(msg)
}

func (m Model) back() (tea.Model, tea.Cmd) {
	if m.showHelp {
		m.showHelp = false
		return m, nil
	}
	if len(m.stack) == 1 {
		m.quitting = true
		return m, tea.Quit
	}
	m.stack = m.stack[:len(m.stack)-1]
	return m, nil
}

func (m Model) key(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	g := m.keys.Global
	if key.Matches(msg, g.Quit) {
		m.quitting = true
		return m, tea.Quit
	}
	m.err = nil
	top := m.top()
	if top.capturing() {
		return m, top.update(msg)
	}
	switch {
	case key.Matches(msg, g.Help):
		m.showHelp, m.helpScroll = !m.showHelp, 0
		return m, nil
	case m.showHelp && key.Matches(msg, m.keys.Devices.Up):
		m.helpScroll = max(0, m.helpScroll-1)
		return m, nil
	case m.showHelp && key.Matches(msg, m.keys.Devices.Down):
		m.helpScroll++
		return m, nil
	case m.showHelp && key.Matches(msg, g.Back):
		m.showHelp = false
		return m, nil
	case key.Matches(msg, g.Back):
		if s, ok := top.(*signScreen); ok && s.busy() {
			m.err = errors.New("the device is signing: wait for it (or ctrl+c to quit)")
			return m, nil
		}
		return m.back()
	case key.Matches(msg, g.Refresh):
		return m, top.refresh()
	}
	if _, ok := top.(*signScreen); ok {
		// no jumping away from a signature: finish or cancel it (esc)
		return m, top.update(msg)
	}
	switch {
	case key.Matches(msg, g.Accounts):
		return m.Update(ShowAccountsMsg{})
	case key.Matches(msg, g.Devices):
		if _, ok := top.(*devicesScreen); ok {
			return m, nil
		}
		return m.Update(ShowDevicesMsg{})
	case key.Matches(msg, g.Inbox):
		if _, ok := top.(*inboxScreen); ok {
			return m, nil
		}
		return m.Update(ShowInboxMsg{})
	}
	return m, top.update(msg)
}

// View renders the whole screen in exactly the terminal's size: a header
// with the breadcrumb, the screen (or its help), a status line and the
// footer's keys. No line is wider than the terminal.
func (m Model) View() string {
	if m.quitting {
		return ""
	}
	w, h := m.width, m.height
	if w < 20 || h < 6 {
		lines := strings.Split(clip(strings.Join(wrap("bpkeys: the terminal is too small (20x6 at least)", max(w, 1), 0), "\n"), w, h), "\n")
		for len(lines) < h {
			lines = append(lines, "")
		}
		return strings.Join(lines, "\n")
	}
	bodyH := h - 3
	var body string
	if m.showHelp {
		body = m.helpView(w, bodyH)
	} else {
		body = clip(m.top().view(w, bodyH), w, bodyH)
	}
	lines := strings.Split(body, "\n")
	for len(lines) < bodyH {
		lines = append(lines, "")
	}
	out := []string{fitLine(m.header(w), w)}
	out = append(out, lines...)
	out = append(out, fitLine(m.status(), w), fitLine(m.footer(w), w))
	for i, l := range out {
		out[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(out, "\n")
}

func (m Model) header(w int) string {
	var crumbs []string
	for _, s := range m.stack {
		crumbs = append(crumbs, s.title())
	}
	left := m.styles.Header.Render(m.opts.Title) + m.styles.Subtle.Render(" › ") + strings.Join(crumbs, m.styles.Subtle.Render(" › "))
	right := ""
	if m.signing() {
		right = m.styles.Touch.Render("signing")
	}
	gap := w - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return fitLine(left, w)
	}
	return left + strings.Repeat(" ", gap) + right
}

func (m Model) status() string {
	if m.err != nil {
		return m.styles.Error.Render("✗ " + errText(m.err))
	}
	return ""
}

func (m Model) footer(w int) string {
	render := func(b key.Binding) string {
		h := b.Help()
		return m.styles.HelpKey.Render(h.Key) + " " + m.styles.HelpDesc.Render(h.Desc)
	}
	sep := m.styles.Subtle.Render(" · ")
	// ? and q always show; the screen's keys fill the room left
	tail := render(m.keys.Global.Help) + sep + render(m.keys.Global.Back)
	if m.top().capturing() {
		tail = render(m.keys.Global.Quit)
	}
	used := lipgloss.Width(tail)
	var parts []string
	for _, b := range m.top().shortHelp() {
		p := render(b)
		if used+lipgloss.Width(p)+3 > w {
			break
		}
		used += lipgloss.Width(p) + 3
		parts = append(parts, p)
	}
	return strings.Join(append(parts, tail), sep)
}

func (m Model) helpView(w, h int) string {
	top := m.top()
	list := func(title string, bs []key.Binding) []string {
		rows := []string{m.styles.Title.Render(title), ""}
		for _, b := range bs {
			if !b.Enabled() {
				continue
			}
			hp := b.Help()
			rows = append(rows, fmt.Sprintf("  %s %s", m.styles.HelpKey.Render(fmt.Sprintf("%-10s", hp.Key)), m.styles.HelpDesc.Render(hp.Desc)))
		}
		return rows
	}
	left := list(top.title()+": keys", top.help())
	right := append(list("Everywhere", m.keys.Global.bindings()), "", m.styles.Subtle.Render("press ? or esc to close"))
	var rows []string
	if len(left)+1+len(right) > h && w >= 60 {
		// side by side when stacked does not fit
		col := w / 2
		for i := 0; i < max(len(left), len(right)); i++ {
			l := ""
			if i < len(left) {
				l = fitLine(left[i], col-1)
			}
			l += strings.Repeat(" ", col-lipgloss.Width(l))
			if i < len(right) {
				l += right[i]
			}
			rows = append(rows, l)
		}
	} else {
		rows = append(append(left, ""), right...)
	}
	// still too long: ↑/↓ scroll
	start := min(m.helpScroll, max(0, len(rows)-h))
	return clip(strings.Join(rows[start:], "\n"), w, h)
}
