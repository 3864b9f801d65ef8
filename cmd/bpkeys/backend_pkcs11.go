package main

import "github.com/bpkeys/bpkeys/devices"

// pkcs11Backend builds the PKCS#11 backend (hsm/pkcs11).
func (a *app) pkcs11Backend() devices.Backend { return nil }
