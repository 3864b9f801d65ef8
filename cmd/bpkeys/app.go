package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/txflow"
)

// Exit codes, as documented in the README.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitPolicy      = 3   // a policy violation, or a check found problems
	exitRefused     = 4   // refused for safety: a lockout, a hash mismatch
	exitInterrupted = 130 // SIGINT/SIGTERM
)

// app carries what every command needs: its streams, the global flags and the
// device backends. Commands are built from it by functions, never globals.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	urls    []string
	chainID string
	// endpointDown: endpoints an earlier run found down (claim).
	endpointDown []chain.EndpointHealth
	config       string
	team         string
	json         bool
	yes          bool

	journalPath string
	quorum      int

	registry *devices.Registry
	// tuiDevices chooses the TUI's own device backends (tests only).
	tuiDevices tuiDeviceOptions
}

// exitError attaches an exit code to an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// run executes bpkeys with args and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	a.registry = devices.NewRegistry(a.backends()...)
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(ctx, err)
	if code == exitInterrupted {
		fmt.Fprintln(stderr, "bpkeys: interrupted") // not "context canceled"
		return code
	}
	fmt.Fprintln(stderr, "bpkeys: "+err.Error())
	return code
}

// exitCode maps an error to the process exit code the README documents.
func exitCode(ctx context.Context, err error) int {
	var ee *exitError
	var disagree *chain.DisagreementError
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil: // SIGINT/SIGTERM, whatever was running said
		return exitInterrupted
	case errors.As(err, &ee):
		return ee.code
	case txflow.IsRefused(err):
		return exitRefused // the signing gate refused: nothing was signed
	case errors.As(err, &disagree):
		return exitRefused // endpoints disagree about what would be signed
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitFailed
}

// printJSON writes v as indented JSON on stdout.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// out writes a line of human output on stdout.
func (a *app) out(format string, args ...any) { fmt.Fprintf(a.stdout, format+"\n", args...) }

// info writes progress or advice on stderr, keeping stdout for results.
func (a *app) info(format string, args ...any) { fmt.Fprintf(a.stderr, format+"\n", args...) }

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "bpkeys",
		Short:         "Keys, permissions, multisig and producer operations for EOSIO block producers, signed on YubiKeys and HSMs",
		Long:          "Keys, permissions, multisig and producer operations for EOSIO block producers, signed on YubiKeys and HSMs.\n\nRun bare, bpkeys opens the TUI (the same actions on one screen; ? lists its keys). Try it on a local\nchain with a sample team: bpkeys demo.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	f := root.PersistentFlags()
	f.StringArrayVar(&a.urls, "url", nil, "nodeos endpoint (repeatable, tried in order; env BPKEYS_URL; no default: name the chain you mean)")
	f.StringVar(&a.chainID, "chain-id", "", "refuse endpoints on any other chain (64 hex digits)")
	a.quorum = 1
	f.Var(atLeastOne{&a.quorum}, "quorum", "endpoints that must give the same answer for reads that decide what gets signed")
	f.StringVar(&a.config, "config", "", "config file (default $XDG_CONFIG_HOME/bpkeys/config.yaml)")
	f.StringVar(&a.team, "team", "", "team file naming who holds each key")
	f.BoolVar(&a.json, "json", false, "print results as JSON")
	f.BoolVar(&a.yes, "yes", false, "do not ask for confirmation before signing")
	f.StringVar(&a.journalPath, "journal", os.Getenv("BPKEYS_JOURNAL"), "signing journal (env BPKEYS_JOURNAL; default $XDG_STATE_HOME/bpkeys/journal.jsonl)")
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error { return a.loadConfigFor(c) }
	root.RunE = func(cmd *cobra.Command, _ []string) error { return a.tuiRun(cmd) }
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr("%w (see '%s --help')", err, c.CommandPath())
	})
	root.AddCommand(
		newVersionCmd(a),
		newKeyCmd(a),
		newSigCmd(a),
		newKeysCmd(a),
		newSignDigestCmd(a),
		newAuditCmd(a),
		newSignerCmd(a),
		newConfigCmd(a),
	)
	root.AddCommand(a.chainCommands()...)
	root.AddCommand(a.permsCommands()...)
	root.AddCommand(a.msigCommands()...)
	root.AddCommand(a.producerCommands()...)
	root.AddCommand(a.finalizerCommands()...)
	root.SetOut(a.stdout) // before strictUsage: the completion commands keep it
	root.SetErr(a.stderr)
	strictUsage(root)
	return root
}
