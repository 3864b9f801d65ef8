// Package pinentry obtains a device PIN from where the operator said it is: an
// environment variable, a file only its owner controls, a file descriptor
// the caller passed, or a masked prompt on the terminal. It never takes a PIN
// from the command line, never writes one anywhere, and never puts one in an
// error.
//
// It refuses sources that could send the wrong PIN and burn an attempt:
// fd:N for a descriptor the process opened itself (close-on-exec set: the Go
// runtime keeps a cgroup file open on fd 3), stdout and stderr, anything but
// a pipe, socket or regular file, anything under /proc or /sys; a PIN file
// that is a symbolic link, belongs to another user, is accessible to group or
// others, or sits in a directory group or others can write to. Every refusal
// is a *SourceError, permanent (signer.IsPermanent), raised before any
// device is asked.
//
//	src, err := pinentry.Parse(ref.Get("pin-source")) // "env:BPKEYS_PIN", "file:/run/pin", "fd:3" or ""
//	pin, err := src.Read("PIN for YubiKey 12345678")
//	defer pinentry.Wipe(pin)
package pinentry

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/manifoldco/promptui"
	"golang.org/x/term"
)

// Kind says where a PIN comes from.
type Kind string

// The PIN sources.
const (
	Prompt Kind = ""     // masked prompt on the terminal
	Env    Kind = "env"  // environment variable
	File   Kind = "file" // file readable by its owner only
	FD     Kind = "fd"   // inherited file descriptor
)

// Source is a parsed pin-source value.
type Source struct {
	Kind Kind
	Arg  string // variable name, path, or descriptor number
}

// ErrNoTerminal is returned when a prompt is needed but stdin is not a terminal.
var ErrNoTerminal = errors.New("a PIN is needed but there is no terminal to ask on: add pin-source=env:NAME, pin-source=file:PATH or pin-source=fd:N to the key reference")

// SourceError reports a pin-source that cannot give a PIN. Nothing was
// sent to any device. It never holds the value read, and names the
// variable, path or descriptor only when that cannot be a PIN typed in the
// wrong place. It is permanent: retrying reads the same thing.
type SourceError struct {
	Kind   Kind
	Arg    string // "" when it must not be repeated
	Reason string
	Err    error
}

func (e *SourceError) Error() string {
	s := "pin-source " + string(e.Kind)
	if e.Kind == Prompt {
		s = "pin-source"
	}
	if e.Arg != "" {
		s += ":" + e.Arg
	}
	s += ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s + " (no PIN was sent to the device)"
}

// Unwrap returns the cause.
func (e *SourceError) Unwrap() error { return e.Err }

// Permanent says a retry reads the same source and fails the same way.
func (e *SourceError) Permanent() bool { return true }

// maxPIN bounds what is read from a file or descriptor.
const maxPIN = 256

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Parse reads a pin-source value: "env:NAME", "file:PATH", "fd:N", or "" for a prompt.
// The value is never repeated in an error: it may be a PIN typed in the
// wrong place.
func Parse(s string) (Source, error) {
	if s == "" {
		return Source{Kind: Prompt}, nil
	}
	k, arg, ok := strings.Cut(s, ":")
	if !ok || arg == "" {
		return Source{}, &SourceError{Kind: Prompt, Reason: "expected env:NAME, file:PATH or fd:N (a PIN itself is never accepted here)"}
	}
	switch Kind(k) {
	case Env:
		if !envName.MatchString(arg) {
			return Source{}, &SourceError{Kind: Env, Reason: "expected an environment variable name (letters, digits and _, not starting with a digit; a PIN itself is never accepted here)"}
		}
	case File:
		if !filepath.IsAbs(arg) {
			return Source{}, &SourceError{Kind: File, Reason: "expected an absolute path (a PIN itself is never accepted here)"}
		}
	case FD:
		if n, err := strconv.Atoi(arg); err != nil || n < 0 || n > 1<<20 {
			return Source{}, &SourceError{Kind: FD, Reason: "takes a file descriptor number"}
		}
	default:
		return Source{}, &SourceError{Kind: Prompt, Reason: "unknown kind (use env:NAME, file:PATH or fd:N)"}
	}
	return Source{Kind: Kind(k), Arg: arg}, nil
}

// String writes the source back as pin-source takes it.
func (s Source) String() string {
	if s.Kind == Prompt {
		return "prompt"
	}
	return string(s.Kind) + ":" + s.Arg
}

// Read returns the PIN; label says what it is for when prompting. The caller
// should Wipe the result after use.
func (s Source) Read(label string) ([]byte, error) {
	var pin []byte
	var err error
	switch s.Kind {
	case Env:
		v, ok := os.LookupEnv(s.Arg)
		if !ok || v == "" {
			return nil, &SourceError{Kind: Env, Arg: s.Arg, Reason: "the environment variable is unset or empty"}
		}
		pin = []byte(v)
	case File:
		if pin, err = readFile(s.Arg); err != nil {
			return nil, err
		}
	case FD:
		n, _ := strconv.Atoi(s.Arg)
		if pin, err = readFD(n); err != nil {
			return nil, err
		}
	default:
		if !term.IsTerminal(int(os.Stdin.Fd())) {
			return nil, ErrNoTerminal
		}
		p := promptui.Prompt{Label: label, Mask: '*', Stdout: nopCloser{os.Stderr}}
		v, err := p.Run()
		if err != nil {
			return nil, fmt.Errorf("reading the PIN: %w", err)
		}
		pin = []byte(v)
	}
	pin = bytes.TrimRight(pin, "\r\n")
	if len(pin) == 0 {
		return nil, &SourceError{Kind: s.Kind, Arg: s.Arg, Reason: "the PIN is empty"}
	}
	return pin, nil
}

func readBounded(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPIN+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPIN {
		Wipe(b)
		return nil, fmt.Errorf("more than %d bytes: that is not a PIN", maxPIN)
	}
	return b, nil
}

// Wipe overwrites a PIN buffer with zeros, as far as Go allows.
func Wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
