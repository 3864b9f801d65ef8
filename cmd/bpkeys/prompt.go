package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bpkeys/bpkeys/signer"
)

// errNoSigner is the usage error of a signing command given no --signer.
var errNoSigner = errors.New("no --signer: name the YubiKey or HSM key that signs (see 'bpkeys keys list')")

// confirm asks question on stderr and reads the answer from stdin, unless
// --yes. Only "y" or "yes" goes on; anything else, or no answer at all (stdin
// closed, as under cron), refuses with exit 4 and nothing signed. It returns
// how long the operator took, so timings can leave human time out.
func (a *app) confirm(question string) (time.Duration, error) {
	if a.yes {
		return 0, nil
	}
	start := time.Now()
	fmt.Fprintf(a.stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	waited := time.Since(start)
	if err != nil && strings.TrimSpace(line) == "" {
		return waited, withCode(exitRefused, errors.New("no confirmation (stdin is closed or empty): nothing was signed; review the output above and pass --yes to sign without asking"))
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return waited, nil
	}
	return waited, withCode(exitRefused, errors.New("not confirmed: nothing was signed"))
}

// confirmTyped asks the operator to type want, for irreversible steps such
// as the kill switch; --yes skips it.
func (a *app) confirmTyped(question, want string) (time.Duration, error) {
	if a.yes {
		return 0, nil
	}
	start := time.Now()
	fmt.Fprintf(a.stderr, "%s\nType %q to confirm: ", question, want)
	line, _ := bufio.NewReader(a.stdin).ReadString('\n')
	waited := time.Since(start)
	if got := strings.TrimSpace(line); got != want {
		return waited, withCode(exitRefused, fmt.Errorf("you typed %q, not %q: nothing was signed", got, want))
	}
	return waited, nil
}

// openSigners opens every --signer reference; the returned function closes
// them (and forgets their PINs). A malformed reference is a usage error.
func (a *app) openSigners(ctx context.Context, refs []string) ([]signer.Signer, func(), error) {
	var closers []func() error
	closeAll := func() {
		for _, c := range closers {
			_ = c()
		}
	}
	var out []signer.Signer
	for _, r := range refs {
		if _, err := signer.ParseRef(r); err != nil {
			closeAll()
			return nil, func() {}, usageErr("--signer: %w", err)
		}
		k, err := a.registry.Open(ctx, r)
		if err != nil {
			closeAll()
			return nil, func() {}, fmt.Errorf("opening --signer %s: %w", r, err)
		}
		closers = append(closers, k.Close)
		out = append(out, k)
	}
	return out, closeAll, nil
}

// openRequiredSigners is openSigners for commands that cannot work without one.
func (a *app) openRequiredSigners(ctx context.Context, refs []string) ([]signer.Signer, func(), error) {
	if len(refs) == 0 {
		return nil, func() {}, &exitError{code: exitUsage, err: errNoSigner}
	}
	return a.openSigners(ctx, refs)
}
