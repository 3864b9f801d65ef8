package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sync"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/bpkeys/bpkeys/devchain/demokeys"
	"github.com/bpkeys/bpkeys/tui"
)

// tuiRun is what `bpkeys` with no arguments does: open the TUI on the
// endpoints of the global flags, or, when stdin or stdout is not a
// terminal (a script, a pipe), print the help and succeed.
func (a *app) tuiRun(cmd *cobra.Command) error {
	if !a.interactive() {
		return cmd.Help()
	}
	return a.runTUI(cmd.Context(), "", nil)
}

// interactive reports whether stdin and stdout are both terminals.
// stdinTerminal reports whether stdin is a terminal an operator types in.
func (a *app) stdinTerminal() bool {
	in, ok := a.stdin.(*os.File)
	return ok && term.IsTerminal(int(in.Fd()))
}

func (a *app) interactive() bool {
	in, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return false
	}
	out, ok := a.stdout.(*os.File)
	return ok && term.IsTerminal(int(out.Fd()))
}

// runTUI runs the TUI until the operator quits or ctx ends. A non-empty
// url is the demo's local chain: it replaces the endpoints, the demo team's
// accounts are watched and the producer account's tree opens first; demo
// is the demo team, whose in-memory keys are then offered as signers (in
// this process only, labelled as demo keys).
//
// While the TUI owns the terminal, whatever the packages would print on
// stderr (failovers, device notices) is kept and printed after it exits.
func (a *app) runTUI(ctx context.Context, url string, demo *demokeys.Team) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var extra []tuiAccount
	opts := tui.Options{}
	if url != "" {
		a.urls = []string{url}
		extra = append(extra, tuiAccount{demokeys.ProducerAccount, "demo"})
		for _, m := range []string{"alice", "bob", "carol"} {
			extra = append(extra, tuiAccount{m, "demo"})
		}
		opts.Account, opts.Title = demokeys.ProducerAccount, "bpkeys demo"
	}
	if url != "" && demo != nil {
		// The demo chain knows only the demo team's keys: the operator's
		// YubiKeys and HSMs are not listed there (nor offered as new keys).
		a.tuiDevices.none = true
	}
	b, err := a.newTUIBackend(extra...)
	if err != nil {
		return err
	}
	if url != "" && demo != nil {
		b.useDemo(demo)
	}
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // abandon the reads still in flight when the TUI quits

	logs := &lockedBuffer{}
	stderr := a.stderr
	a.stderr = logs
	defer func() {
		a.stderr = stderr
		if logs.Len() > 0 {
			_, _ = io.Copy(stderr, logs)
		}
	}()
	p := tea.NewProgram(tui.New(ctx, b, opts), tea.WithAltScreen(), tea.WithContext(ctx), tea.WithInput(a.stdin), tea.WithOutput(a.stdout))
	if _, err := p.Run(); err != nil {
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return nil
}

// lockedBuffer is a bytes.Buffer safe for the TUI's concurrent commands.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Read(p)
}

func (l *lockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}
