package main

import "github.com/bpkeys/bpkeys/devices"

// pivBackend builds the YubiKey PIV backend (hsm/piv).
func (a *app) pivBackend() devices.Backend { return nil }
