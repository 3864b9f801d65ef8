package main

import (
	"fmt"

	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/hsm/piv"
)

// pivBackend builds the YubiKey PIV backend (hsm/piv), with operator
// messages such as "Touch your YubiKey" on stderr.
func (a *app) pivBackend() devices.Backend {
	return piv.New(piv.Options{Notify: func(msg string) { fmt.Fprintln(a.stderr, msg) }})
}
