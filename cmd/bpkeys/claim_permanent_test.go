package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/bpkeys/bpkeys/hsm/piv"
	"github.com/bpkeys/bpkeys/hsm/pkcs11"
	"github.com/bpkeys/bpkeys/pinentry"
)

// The claim daemon's retry decision is made by type, never by text: a
// reworded wrong-PIN message still stops retries, and a transient error
// that happens to say "wrong PIN" is still retried.
func TestPermanentDeviceErrorByType(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("opening: %w", &piv.PINError{Retries: 2}), true},
		{fmt.Errorf("opening: %w", &pkcs11.PINError{Token: "t"}), true},
		{fmt.Errorf("reading: %w", &pinentry.SourceError{Kind: pinentry.FD, Reason: "x"}), true},
		{pkcs11.ErrPINLocked, true},
		{errors.New("the network said: wrong PIN"), false},
		{fmt.Errorf("%w", pkcs11.ErrTokenRemoved), false},
	} {
		if got := permanentDeviceError(tc.err); got != tc.want {
			t.Errorf("%v: permanent = %v, want %v", tc.err, got, tc.want)
		}
	}
}
