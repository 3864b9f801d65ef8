package main

import "github.com/bpkeys/bpkeys/devices"

// backends lists the device backends bpkeys can use. Each is built in its
// own file (backend_pkcs11.go, backend_piv.go); a nil backend is left out.
func (a *app) backends() []devices.Backend {
	var out []devices.Backend
	for _, b := range []devices.Backend{a.pkcs11Backend(), a.pivBackend()} {
		if b != nil {
			out = append(out, b)
		}
	}
	return out
}
