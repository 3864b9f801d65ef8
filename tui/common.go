package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// screen is one screen's model. Screens are pointers updated in place by
// the root model; Update stays fast: I/O goes to tea.Cmds.
type screen interface {
	// id is the screen's routing id, given by the root.
	id() int
	// init starts the screen's first load.
	init() tea.Cmd
	// update handles a message meant for this screen.
	update(msg tea.Msg) tea.Cmd
	// view renders the body in exactly w columns and at most h lines.
	view(w, h int) string
	// title names the screen in the breadcrumb.
	title() string
	// help lists every key of the screen.
	help() []key.Binding
	// shortHelp lists the few keys the footer shows.
	shortHelp() []key.Binding
	// refresh reloads the screen's data.
	refresh() tea.Cmd
	// capturing is true while a text field has the keyboard: the root then
	// leaves q, r, ?, the number keys and tab to the screen.
	capturing() bool
}

// routed messages are results meant for one screen instance.
type routed interface{ target() int }

// route addresses a result to the screen that asked, and to the load it
// answers (an older load's answer is dropped).
type route struct{ to, seq int }

func (r route) target() int { return r.to }

// common is what every screen shares.
type common struct {
	ctx     context.Context
	backend Backend
	styles  *Styles
	keys    *KeyMap
	opts    *Options
	sid     int
}

func (c *common) id() int { return c.sid }

// io runs f in a tea.Cmd with the read timeout.
func (c *common) io(f func(ctx context.Context) tea.Msg) tea.Cmd {
	return c.ioTimeout(c.opts.ReadTimeout, f)
}

func (c *common) ioTimeout(d time.Duration, f func(ctx context.Context) tea.Msg) tea.Cmd {
	parent := c.ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, d)
		defer cancel()
		return f(ctx)
	}
}

// clip fits every line of s into w columns and at most h lines.
func clip(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if h >= 0 && len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = fitLine(l, w)
	}
	return strings.Join(lines, "\n")
}

// fitLine truncates one line to w columns with an ellipsis.
func fitLine(l string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(l) <= w {
		return l
	}
	return ansi.Truncate(l, w, "…")
}

// window returns the lines of a list that fit in h lines, scrolled so
// that line cur is visible.
func window(lines []string, cur, h int) []string {
	if h <= 0 {
		return nil
	}
	if len(lines) <= h {
		return lines
	}
	start := 0
	if cur >= h {
		start = cur - h + 1
	}
	if start+h > len(lines) {
		start = len(lines) - h
	}
	return lines[start : start+h]
}

// shortKey abbreviates a public key to fit narrow screens:
// PUB_R1_6FPFZq…Xy2k.
func shortKey(k string, w int) string {
	if len(k) <= w || w < 16 {
		return k
	}
	head := w - 5
	return k[:head] + "…" + k[len(k)-4:]
}

// age writes a duration for an operator: "0.4s", "12s", "3m", "2h", "4d".
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future"
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// stamp writes a chain time as bpkeys writes every time, on screen, in
// text and in JSON: RFC 3339 in UTC, to the second; "never" when unset.
func stamp(t time.Time) string {
	if t.IsZero() || t.Unix() <= 0 {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// errText is an error for the screen, with advice on what to do next.
func errText(err error) string {
	switch {
	case errors.Is(err, ErrNotAvailable):
		return err.Error() + " (the command line may already do it: bpkeys --help)"
	case errors.Is(err, context.DeadlineExceeded):
		return err.Error() + ": no answer in time; check the endpoint or device, then press r to retry"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return err.Error()
}

// cursorMark is the mark before the row under the cursor.
func (c *common) cursorMark(on bool) string {
	if on {
		return c.styles.Cursor.Render("›") + " "
	}
	return "  "
}

// section renders a section title, focused or not.
func (c *common) section(name string, focused bool) string {
	if focused {
		return c.styles.Selected.Render("▸ " + name)
	}
	return c.styles.Title.Render("  " + name)
}

// findingLine renders a finding with its severity in words.
func (c *common) findingLine(f Finding) string {
	st := c.styles.Warning
	mark := "! warning"
	if f.Severity == SeverityError {
		st, mark = c.styles.Error, "✗ error"
	}
	where := ""
	if f.Permission != "" {
		where = " " + f.Permission + ":"
	}
	return st.Render(fmt.Sprintf("%s [%s]%s %s", mark, f.Rule, where, f.Message))
}

// moveCursor applies list keys to a cursor over n rows.
func moveCursor(k ListKeys, msg tea.KeyMsg, cur, n int) (int, bool) {
	switch {
	case key.Matches(msg, k.Up):
		cur--
	case key.Matches(msg, k.Down):
		cur++
	case key.Matches(msg, k.Top):
		cur = 0
	case key.Matches(msg, k.Bottom):
		cur = n - 1
	default:
		return cur, false
	}
	if cur >= n {
		cur = n - 1
	}
	if cur < 0 {
		cur = 0
	}
	return cur, true
}

// loadState is what a screen shows while it has no data.
func (c *common) loadState(loading bool, err error, what string, w int) string {
	if err != nil {
		return strings.Join(wrap(c.styles.Error.Render(errText(err)), w, 2), "\n")
	}
	if loading {
		return c.styles.Subtle.Render("loading " + what + "…")
	}
	return ""
}

// diffLine colours a diff line by its mark: + added, - removed, ~ changed.
func (c *common) diffLine(l string) string {
	t := strings.TrimLeft(l, " ")
	switch {
	case strings.HasPrefix(t, "+"):
		return c.styles.Added.Render(l)
	case strings.HasPrefix(t, "-"):
		return c.styles.Removed.Render(l)
	case strings.HasPrefix(t, "~"):
		return c.styles.Changed.Render(l)
	}
	return l
}
