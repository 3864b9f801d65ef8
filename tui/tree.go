package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// treeMsg answers Backend.Tree.
type treeMsg struct {
	route
	view *TreeView
	err  error
}

type rowKind int

const (
	rowPerm rowKind = iota
	rowKey
	rowLevel
	rowWait
	rowFinding
)

// treeRow is one visible line of the tree.
type treeRow struct {
	kind    rowKind
	perm    int // index in Perms
	item    int // index in Keys/Accounts/Waits/Findings
	depth   int
	finding Finding
}

// menuItem is an entry of the plan menu a key opens.
type menuItem struct {
	label string
	req   PlanRequest
}

// treeScreen is an account's collapsible permission tree.
type treeScreen struct {
	common
	account   string
	seq       int
	loading   bool
	data      *TreeView
	err       error
	collapsed map[string]bool
	rows      []treeRow
	cur       int
	focus     int // 0 tree, 1 details
	menu      []menuItem
	menuCur   int
}

func newTree(c common, account string) *treeScreen {
	return &treeScreen{common: c, account: account, collapsed: map[string]bool{}}
}

func (s *treeScreen) title() string   { return s.account }
func (s *treeScreen) capturing() bool { return s.menu != nil }
func (s *treeScreen) init() tea.Cmd   { return s.refresh() }

func (s *treeScreen) help() []key.Binding {
	k := s.keys.Tree
	return append(k.bindings(), k.Toggle, k.Collapse, k.Rotate, k.Remove, k.Threshold, k.Template, k.Producer)
}

func (s *treeScreen) shortHelp() []key.Binding {
	k := s.keys.Tree
	if s.menu != nil {
		return []key.Binding{k.Up, k.Down, s.keys.Sign.Confirm, s.keys.Sign.Cancel}
	}
	return []key.Binding{k.Open, k.Toggle, k.Rotate, k.Remove, k.Threshold}
}

func (s *treeScreen) refresh() tea.Cmd {
	s.seq++
	s.loading = true
	r, b, acct := route{s.sid, s.seq}, s.backend, s.account
	return s.io(func(ctx context.Context) tea.Msg {
		v, err := b.Tree(ctx, acct)
		return treeMsg{r, v, err}
	})
}

// build lays out the visible rows from the data and the collapsed set.
func (s *treeScreen) build() {
	s.rows = s.rows[:0]
	if s.data == nil {
		return
	}
	hidden := -1 // depth under which rows are hidden
	for i, p := range s.data.Perms {
		if hidden >= 0 && p.Depth > hidden {
			continue
		}
		hidden = -1
		s.rows = append(s.rows, treeRow{kind: rowPerm, perm: i, depth: p.Depth})
		if s.collapsed[p.Name] {
			hidden = p.Depth
			continue
		}
		for j, f := range s.data.Findings {
			if f.Permission == p.Name {
				s.rows = append(s.rows, treeRow{kind: rowFinding, perm: i, item: j, depth: p.Depth + 1, finding: f})
			}
		}
		for j := range p.Keys {
			s.rows = append(s.rows, treeRow{kind: rowKey, perm: i, item: j, depth: p.Depth + 1})
		}
		for j := range p.Accounts {
			s.rows = append(s.rows, treeRow{kind: rowLevel, perm: i, item: j, depth: p.Depth + 1})
		}
		for j := range p.Waits {
			s.rows = append(s.rows, treeRow{kind: rowWait, perm: i, item: j, depth: p.Depth + 1})
		}
	}
	if s.cur >= len(s.rows) {
		s.cur = len(s.rows) - 1
	}
	if s.cur < 0 {
		s.cur = 0
	}
}

func (s *treeScreen) row() (treeRow, bool) {
	if s.cur < len(s.rows) {
		return s.rows[s.cur], true
	}
	return treeRow{}, false
}

// planFor builds a plan request from the row under the cursor.
func (s *treeScreen) planFor(kind PlanKind) (PlanRequest, bool) {
	r, ok := s.row()
	if !ok || s.data == nil {
		return PlanRequest{}, false
	}
	p := s.data.Perms[r.perm]
	req := PlanRequest{Account: s.account, Kind: kind, Permission: p.Name}
	switch kind {
	case PlanRotate, PlanRemoveKey:
		if r.kind != rowKey {
			return req, false
		}
		req.Key = p.Keys[r.item].Key
	case PlanTemplate:
		req.Permission = ""
	}
	return req, true
}

func (s *treeScreen) openMenu() {
	r, ok := s.row()
	if !ok {
		return
	}
	p := s.data.Perms[r.perm]
	var items []menuItem
	if r.kind == rowKey {
		rot, _ := s.planFor(PlanRotate)
		rm, _ := s.planFor(PlanRemoveKey)
		items = append(items, menuItem{"Rotate this key (replace it with a new one)", rot}, menuItem{"Remove this key from " + p.Name, rm})
	}
	th, _ := s.planFor(PlanThreshold)
	tp, _ := s.planFor(PlanTemplate)
	items = append(items, menuItem{fmt.Sprintf("Change the threshold of %s (now %d)", p.Name, p.Threshold), th}, menuItem{"Apply the producer template (claim + rotate permissions)", tp})
	s.menu, s.menuCur = items, 0
}

func (s *treeScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case treeMsg:
		if msg.seq != s.seq {
			return nil
		}
		s.loading, s.err = false, msg.err
		if msg.err == nil {
			s.data = msg.view
			s.build()
		}
	case SignDoneMsg:
		if msg.Err == nil && msg.Request.Account == s.account {
			return s.refresh()
		}
	case tea.KeyMsg:
		return s.key(msg)
	}
	return nil
}

func (s *treeScreen) key(msg tea.KeyMsg) tea.Cmd {
	k := s.keys.Tree
	if s.menu != nil {
		switch {
		case key.Matches(msg, k.Up):
			s.menuCur = max(0, s.menuCur-1)
		case key.Matches(msg, k.Down):
			s.menuCur = min(len(s.menu)-1, s.menuCur+1)
		case key.Matches(msg, s.keys.Sign.Confirm):
			req := s.menu[s.menuCur].req
			s.menu = nil
			return msgCmd(ShowPlanMsg{Request: req})
		case msg.String() == "esc" || msg.String() == "q":
			s.menu = nil
		}
		return nil
	}
	if key.Matches(msg, s.keys.Global.Next) {
		s.focus = 1 - s.focus
		return nil
	}
	if s.data == nil {
		return nil
	}
	if c, ok := moveCursor(k.ListKeys, msg, s.cur, len(s.rows)); ok {
		s.cur = c
		return nil
	}
	r, ok := s.row()
	if !ok {
		return nil
	}
	name := s.data.Perms[r.perm].Name
	plan := func(kind PlanKind, what string) tea.Cmd {
		req, ok := s.planFor(kind)
		if !ok {
			return ErrorCmd(fmt.Errorf("move the cursor to a key to %s it", what))
		}
		return msgCmd(ShowPlanMsg{Request: req})
	}
	switch {
	case key.Matches(msg, k.Toggle):
		s.collapsed[name] = !s.collapsed[name]
		s.cursorTo(r.perm)
	case key.Matches(msg, k.Collapse):
		s.collapsed[name] = true
		s.cursorTo(r.perm)
	case key.Matches(msg, k.Open):
		if r.kind == rowPerm && s.collapsed[name] {
			s.collapsed[name] = false
			s.build()
			return nil
		}
		s.openMenu()
	case key.Matches(msg, k.Rotate):
		return plan(PlanRotate, "rotate")
	case key.Matches(msg, k.Remove):
		return plan(PlanRemoveKey, "remove")
	case key.Matches(msg, k.Threshold):
		return plan(PlanThreshold, "")
	case key.Matches(msg, k.Template):
		return plan(PlanTemplate, "")
	case key.Matches(msg, k.Producer):
		return msgCmd(ShowProducerMsg{Account: s.account})
	}
	return nil
}

// cursorTo rebuilds and puts the cursor on a permission's row.
func (s *treeScreen) cursorTo(perm int) {
	s.build()
	for i, r := range s.rows {
		if r.kind == rowPerm && r.perm == perm {
			s.cur = i
			return
		}
	}
}

func (s *treeScreen) view(w, h int) string {
	if s.data == nil {
		return s.loadState(s.loading, s.err, s.account+"'s permissions", w)
	}
	st := s.styles
	head := []string{fmt.Sprintf("%s  %d permissions", st.Title.Render(s.account), len(s.data.Perms))}
	nerr, nwarn := 0, 0
	for _, f := range s.data.Findings {
		if f.Severity == SeverityError {
			nerr++
		} else {
			nwarn++
		}
	}
	if nerr+nwarn == 0 {
		head[0] += "  " + st.OK.Render("✓ no findings")
	}
	if nerr > 0 {
		head[0] += "  " + st.Error.Render(fmt.Sprintf("✗ %d error%s", nerr, plural(nerr)))
	}
	if nwarn > 0 {
		head[0] += "  " + st.Warning.Render(fmt.Sprintf("! %d warning%s", nwarn, plural(nwarn)))
	}
	if s.err != nil {
		head = append(head, st.Error.Render("refresh failed: "+errText(s.err)))
	}
	for _, f := range s.data.Findings {
		if f.Permission == "" {
			head = append(head, s.findingLine(f))
		}
	}
	if s.menu != nil {
		return clip(strings.Join(append(head, s.menuView(w)...), "\n"), w, h)
	}
	wide := w >= 100
	treeW, detW := w, w
	if wide {
		detW = max(36, w/3)
		treeW = w - detW - 1
	}
	var lines []string
	for i, r := range s.rows {
		lines = append(lines, fitLine(s.rowLine(r, i == s.cur, treeW), treeW))
	}
	det, need := s.details(detW)
	if wide && need > detW && need <= w-50 { // the tree keeps 49 columns
		// a key shown whole beats a wider tree: the tree shortens its keys
		detW = need
		treeW = w - detW - 1
		det, _ = s.details(detW)
		lines = lines[:0]
		for i, r := range s.rows {
			lines = append(lines, fitLine(s.rowLine(r, i == s.cur, treeW), treeW))
		}
	}
	footer := s.footerLines(w)
	if wide {
		bodyH := h - len(head) - len(footer)
		left := window(lines, s.cur, bodyH)
		for i := range left {
			left[i] += strings.Repeat(" ", max(0, treeW-lipgloss.Width(left[i])))
		}
		var right []string
		right = append(right, s.section("Details", s.focus == 1))
		right = append(right, det...)
		var body []string
		for i := 0; i < bodyH; i++ {
			l := strings.Repeat(" ", treeW)
			if i < len(left) {
				l = left[i]
			}
			r := ""
			if i < len(right) {
				r = fitLine(right[i], detW)
			}
			body = append(body, l+" "+r)
		}
		return clip(strings.Join(append(append(head, body...), footer...), "\n"), w, h)
	}
	// narrow: the tree, then the details of the selected row below
	detH := min(len(det)+1, max(3, h/3))
	bodyH := h - len(head) - detH - len(footer)
	body := window(lines, s.cur, bodyH)
	for len(body) < bodyH {
		body = append(body, "")
	}
	out := append(head, body...)
	out = append(out, s.section("Details", s.focus == 1))
	out = append(out, window(det, 0, detH-1)...)
	return clip(strings.Join(append(out, footer...), "\n"), w, h)
}

func (s *treeScreen) footerLines(w int) []string {
	var out []string
	if len(s.data.AnyLinks) > 0 {
		out = append(out, fitLine("eosio.any: "+strings.Join(s.data.AnyLinks, ", "), w))
	}
	if s.data.LinksUnknown {
		out = append(out, s.styles.Warning.Render("the node did not report linked actions"))
	}
	return out
}

func (s *treeScreen) menuView(w int) []string {
	st := s.styles
	r, _ := s.row()
	p := s.data.Perms[r.perm]
	subject := p.Name
	if r.kind == rowKey {
		subject = shortKey(p.Keys[r.item].Key, 30) + " in " + p.Name
	}
	out := []string{"", st.Title.Render("Plan a change: " + subject), ""}
	for i, it := range s.menu {
		line := s.cursorMark(i == s.menuCur) + it.label
		if i == s.menuCur {
			line = st.Selected.Render(line)
		}
		out = append(out, line)
	}
	out = append(out, "", st.Subtle.Render("enter: preview the plan (nothing is signed yet) · esc: close"))
	return out
}

func (s *treeScreen) rowLine(r treeRow, on bool, w int) string {
	st := s.styles
	p := s.data.Perms[r.perm]
	indent := strings.Repeat("  ", r.depth)
	var line string
	switch r.kind {
	case rowPerm:
		arrow := "▾"
		if s.collapsed[p.Name] {
			arrow = "▸"
		}
		total := 0
		for _, k := range p.Keys {
			total += int(k.Weight)
		}
		for _, a := range p.Accounts {
			total += int(a.Weight)
		}
		line = fmt.Sprintf("%s%s %s  %s", indent, arrow, st.Title.Render(p.Name), fmt.Sprintf("threshold %d of %d", p.Threshold, total))
		if len(p.Links) > 0 {
			line += "  " + st.Subtle.Render("⇢ "+strings.Join(p.Links, ", "))
		}
	case rowKey:
		k := p.Keys[r.item]
		mark := st.Subtle.Render("○")
		if k.Connected {
			mark = st.Connected.Render("●")
		}
		who := k.Holder
		if who == "" {
			who = st.Warning.Render("nobody in the team file")
		} else {
			who = st.Holder.Render(who)
		}
		if k.Device != "" {
			who += st.Subtle.Render(" · " + k.Device)
		}
		kw := max(20, w-len(indent)-2-2-len(fmt.Sprint(k.Weight))-4-lipgloss.Width(who))
		line = fmt.Sprintf("%s%s %s w%d  %s", indent, mark, st.Key.Render(shortKey(k.Key, kw)), k.Weight, who)
	case rowLevel:
		a := p.Accounts[r.item]
		line = fmt.Sprintf("%s◇ %s w%d", indent, a.Level, a.Weight)
	case rowWait:
		wt := p.Waits[r.item]
		line = fmt.Sprintf("%s◷ wait %ds w%d %s", indent, wt.Seconds, wt.Weight, st.Subtle.Render("(never counts)"))
	case rowFinding:
		line = indent + s.findingLine(r.finding)
	}
	return s.cursorMark(on) + line
}

// details describes the row under the cursor in full, in w columns. A
// value too long for w is shortened visibly, with a line saying how wide
// the pane must be to show it whole; need is that width (0: all whole).
func (s *treeScreen) details(w int) (out []string, need int) {
	r, ok := s.row()
	if !ok {
		return nil, 0
	}
	st := s.styles
	p := s.data.Perms[r.perm]
	defer func() {
		if need > w {
			out = append(out, wrap("  "+st.Subtle.Render(fmt.Sprintf("(shortened: %d columns show it whole; so does bpkeys perms show %s)", need, s.account)), w, 4)...)
		}
	}()
	add := func(label, v string) {
		lines, n := wrapFit("  "+st.Subtle.Render(label)+" "+v, w, 4)
		out = append(out, lines...)
		need = max(need, n)
	}
	switch r.kind {
	case rowPerm, rowFinding, rowLevel, rowWait:
		parent := p.Parent
		if parent == "" {
			parent = "(none)"
		}
		add("permission", fmt.Sprintf("%s@%s  parent %s  threshold %d", s.account, p.Name, parent, p.Threshold))
		links := "none"
		if len(p.Links) > 0 {
			links = strings.Join(p.Links, ", ")
		}
		add("linked", links)
		for _, f := range s.data.Findings {
			if f.Permission == p.Name {
				out = append(out, wrap("  "+s.findingLine(f), w, 4)...)
			}
		}
	case rowKey:
		k := p.Keys[r.item]
		add("key", k.Key)
		holder := k.Holder
		if holder == "" {
			holder = "nobody in the team file"
		}
		add("holder", holder)
		dev := k.Device
		if dev == "" {
			dev = "unknown"
		}
		if !k.Hardware {
			dev += " (not marked as hardware)"
		}
		add("device", dev)
		conn := "not connected"
		if k.Connected {
			conn = st.Connected.Render("connected now")
		}
		add("status", conn+fmt.Sprintf(", weight %d of threshold %d in %s", k.Weight, p.Threshold, p.Name))
	}
	return out, need
}
