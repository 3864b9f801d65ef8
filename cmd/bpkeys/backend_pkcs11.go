package main

import (
	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/hsm/pkcs11"
)

// pkcs11Backend builds the PKCS#11 backend (hsm/pkcs11). The default module
// comes from BPKEYS_PKCS11_MODULE; a reference's module-path overrides it.
func (a *app) pkcs11Backend() devices.Backend { return pkcs11.New() }
