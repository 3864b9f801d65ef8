package tui

import "github.com/charmbracelet/bubbles/key"

// GlobalKeys work on every screen (except that q, r, ? and the number keys
// type into a focused text field).
type GlobalKeys struct {
	Quit, Back, Help, Refresh      key.Binding
	Accounts, Devices, Inbox, Next key.Binding
}

// DefaultGlobalKeys are the keys every screen shares.
func DefaultGlobalKeys() GlobalKeys {
	return GlobalKeys{
		Quit:     key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit now")),
		Back:     key.NewBinding(key.WithKeys("q", "esc"), key.WithHelp("q/esc", "back/quit")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "this help")),
		Refresh:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Accounts: key.NewBinding(key.WithKeys("1"), key.WithHelp("1", "accounts")),
		Devices:  key.NewBinding(key.WithKeys("2"), key.WithHelp("2", "devices")),
		Inbox:    key.NewBinding(key.WithKeys("3"), key.WithHelp("3", "proposals inbox")),
		Next:     key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "next pane")),
	}
}

func (g GlobalKeys) bindings() []key.Binding {
	return []key.Binding{g.Next, g.Refresh, g.Accounts, g.Devices, g.Inbox, g.Help, g.Back, g.Quit}
}

// ListKeys move a cursor.
type ListKeys struct {
	Up, Down, Top, Bottom, Open key.Binding
}

// DefaultListKeys are arrows and vim keys.
func DefaultListKeys() ListKeys {
	return ListKeys{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Top:    key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
		Bottom: key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last")),
		Open:   key.NewBinding(key.WithKeys("enter", "l", "right"), key.WithHelp("enter/l", "open")),
	}
}

func (l ListKeys) bindings() []key.Binding {
	return []key.Binding{l.Up, l.Down, l.Top, l.Bottom, l.Open}
}

// AccountsKeys are the Accounts screen's keys.
type AccountsKeys struct {
	ListKeys
	Tree, Producer key.Binding
}

// TreeKeys are the Permission tree's keys.
type TreeKeys struct {
	ListKeys
	Toggle, Collapse, Rotate, Remove, Threshold, Template, Producer key.Binding
}

// PlanKeys are the Plan screen's keys.
type PlanKeys struct {
	Up, Down, Preview, Direct, Propose key.Binding
}

// InboxKeys are the inbox's keys.
type InboxKeys struct {
	ListKeys
}

// ReviewKeys are the review's keys.
type ReviewKeys struct {
	Up, Down, Approve, Unapprove, Exec, Cancel key.Binding
}

// ProducerKeys are the Producer screen's keys.
type ProducerKeys struct {
	Rotate, Unregister, Failover, Tree key.Binding
}

// SignKeys are the signing flow's keys.
type SignKeys struct {
	Confirm, Cancel key.Binding
	// Up and Down scroll a summary taller than the terminal: it can be
	// confirmed once every line of it has been shown.
	Up, Down key.Binding
}

// KeyMap holds every screen's keys.
type KeyMap struct {
	Global   GlobalKeys
	Accounts AccountsKeys
	Tree     TreeKeys
	Plan     PlanKeys
	Devices  ListKeys
	Inbox    InboxKeys
	Review   ReviewKeys
	Producer ProducerKeys
	Sign     SignKeys
}

// DefaultKeyMap is bpkeys' keymap.
func DefaultKeyMap() KeyMap {
	l := DefaultListKeys()
	up, down := l.Up, l.Down
	return KeyMap{
		Global: DefaultGlobalKeys(),
		Accounts: AccountsKeys{ListKeys: withOpen(l, "open tree"),
			Tree:     key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "permission tree")),
			Producer: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "producer")),
		},
		Tree: TreeKeys{ListKeys: withOpen(l, "plan a change"),
			Toggle:    key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "collapse/expand")),
			Collapse:  key.NewBinding(key.WithKeys("h", "left"), key.WithHelp("h/←", "collapse")),
			Rotate:    key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "plan: rotate this key")),
			Remove:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "plan: remove this key")),
			Threshold: key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "plan: change threshold")),
			Template:  key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "plan: producer template")),
			Producer:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "producer")),
		},
		Plan: PlanKeys{Up: up, Down: down,
			Preview: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "preview the plan")),
			Direct:  key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sign directly")),
			Propose: key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "propose (eosio.msig)")),
		},
		Devices: withOpen(l, "keys"),
		Inbox:   InboxKeys{ListKeys: withOpen(l, "review")},
		Review: ReviewKeys{Up: up, Down: down,
			Approve:   key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "approve")),
			Unapprove: key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "unapprove")),
			Exec:      key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "execute")),
			Cancel:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "cancel the proposal")),
		},
		Producer: ProducerKeys{
			Rotate:     key.NewBinding(key.WithKeys("K"), key.WithHelp("K", "EMERGENCY: rotate the signing key")),
			Unregister: key.NewBinding(key.WithKeys("U"), key.WithHelp("U", "EMERGENCY: unregister (unregprod)")),
			Failover:   key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "fail over to another host (actfinkey + regproducer2)")),
			Tree:       key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "permission tree")),
		},
		Sign: SignKeys{
			Confirm: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "confirm / submit")),
			Cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel (before the device is asked)")),
			Up:      key.NewBinding(key.WithKeys("up", "k", "pgup"), key.WithHelp("↑/k", "scroll the summary up")),
			Down:    key.NewBinding(key.WithKeys("down", "j", "pgdown", " "), key.WithHelp("↓/j", "read the rest of the summary")),
		},
	}
}

func withOpen(l ListKeys, what string) ListKeys {
	l.Open.SetHelp("enter/l", what)
	return l
}
