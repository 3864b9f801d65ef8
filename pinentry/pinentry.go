// Package pinentry obtains a device PIN from where the operator said it is: an
// environment variable, a file only its owner can read, an inherited file
// descriptor, or a masked prompt on the terminal. It never takes a PIN from
// the command line, never writes one anywhere, and never puts one in an error.
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

// maxPIN bounds what is read from a file or descriptor.
const maxPIN = 256

// Parse reads a pin-source value: "env:NAME", "file:PATH", "fd:N", or "" for a prompt.
func Parse(s string) (Source, error) {
	if s == "" {
		return Source{Kind: Prompt}, nil
	}
	k, arg, ok := strings.Cut(s, ":")
	if !ok || arg == "" {
		// The value is not repeated: it may be a PIN typed in the wrong place.
		return Source{}, errors.New("pin-source: expected env:NAME, file:PATH or fd:N (a PIN itself is never accepted here)")
	}
	switch Kind(k) {
	case Env, File:
	case FD:
		if n, err := strconv.Atoi(arg); err != nil || n < 0 {
			return Source{}, errors.New("pin-source: fd: takes a file descriptor number")
		}
	default:
		return Source{}, errors.New("pin-source: unknown kind (use env:NAME, file:PATH or fd:N)")
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
	switch s.Kind {
	case Env:
		v, ok := os.LookupEnv(s.Arg)
		if !ok || v == "" {
			return nil, fmt.Errorf("pin-source env:%s: the environment variable is unset or empty", s.Arg)
		}
		pin = []byte(v)
	case File:
		fi, err := os.Stat(s.Arg)
		if err != nil {
			return nil, fmt.Errorf("pin-source file: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("pin-source file:%s: the file is accessible to group or others (mode %04o); run chmod 600 on it", s.Arg, fi.Mode().Perm())
		}
		f, err := os.Open(s.Arg)
		if err != nil {
			return nil, fmt.Errorf("pin-source file: %w", err)
		}
		defer f.Close()
		if pin, err = readBounded(f); err != nil {
			return nil, fmt.Errorf("pin-source file:%s: %w", s.Arg, err)
		}
	case FD:
		n, _ := strconv.Atoi(s.Arg)
		f := os.NewFile(uintptr(n), "pin-fd")
		if f == nil {
			return nil, fmt.Errorf("pin-source fd:%d: no such file descriptor", n)
		}
		var err error
		if pin, err = readBounded(f); err != nil {
			return nil, fmt.Errorf("pin-source fd:%d: %w", n, err)
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
		return nil, fmt.Errorf("pin-source %s: the PIN is empty", s)
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
