// Package tui is bpkeys' interactive terminal interface: the whole team
// workflow on one screen. Accounts and endpoint health, an account's
// permission tree with who holds each key, the devices connected now, plans
// (rotate, remove, change a threshold, the producer template) with their
// diff and findings, the eosio.msig inbox and review, the producer row, and
// one signing flow shared by all of them.
//
// # What it refuses to do
//
// The TUI computes nothing a command cannot: every screen renders view
// models a Backend returns, and every action calls the Backend, which in
// bpkeys is an adapter over the same package functions the CLI uses
// (chain, devices, permissions, proposals, producer). It never reads the
// terminal behind bubbletea's back: PINs are typed into its own masked
// input. It never starts a second signature while one is in flight, and it
// shows what will be signed (digest, expiration, actions, devices) and asks
// for confirmation before every signature. "Touch your YubiKey" is shown
// before the device is asked, when the key's policy needs a touch. It never
// splits or alters a key, signature, hash or account name on screen: one
// that does not fit moves to a line of its own, or is shortened visibly
// (head…tail) where the screen also says how to see it whole (wrap.go).
//
// # Shape
//
// One model per screen (accounts, tree, devices, plan, inbox, review,
// producer, signing); a root Model routes between them with exported
// navigation messages (ShowTreeMsg, ShowPlanMsg, StartSignMsg, BackMsg...)
// and shows one ErrorMsg at a time. Keys live in KeyMap structs of
// key.Binding with help text (press ? on any screen); styles live in one
// Styles struct. All I/O runs in tea.Cmds with timeouts, one message type
// per result carrying its own error, so the screen never freezes.
//
// # Typical use
//
//	m := tui.New(ctx, backend, tui.Options{Account: "bpkeysdemo11"})
//	_, err := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx)).Run()
package tui
