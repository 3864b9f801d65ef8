// Package hsm groups bpkeys' hardware backends: hsm/pkcs11 for PKCS#11
// HSMs (YubiHSM 2, cloud HSMs, SoftHSM2) and hsm/piv for YubiKey PIV. Each
// implements the devices.Backend contract on top of the signer core; private
// keys stay on the device.
package hsm
