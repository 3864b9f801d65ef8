package piv

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-piv/piv-go/v2/piv"
)

// Errors an operator can act on.
var (
	ErrNoYubiKey     = errors.New("no YubiKey found: plug one in (and check that it shows up in 'pcsc_scan')")
	ErrPCSCD         = errors.New("cannot reach the PC/SC daemon: start it with 'sudo systemctl start pcscd' (or 'sudo pcscd')")
	ErrEmptySlot     = errors.New("the slot holds no key")
	ErrPINBlocked    = errors.New("the PIN is blocked after too many wrong tries: unblock it with the PUK ('ykman piv access unblock-pin' or 'yubico-piv-tool -a unblock-pin'), then try again")
	ErrK1Unsupported = errors.New("a YubiKey cannot hold secp256k1 (K1) keys: PIV supports P-256, which EOSIO calls R1; use --curve r1, or a PKCS#11 HSM for a K1 key")
	ErrCardRemoved   = errors.New("the YubiKey was removed during the operation: plug it back in and try again (nothing was signed)")
	ErrTouchTimeout  = errors.New("the YubiKey was not touched in time: run the command again and touch the key when it blinks")
	ErrSlotOccupied  = errors.New("the slot already holds a key")
	ErrNotAttestable = errors.New("the key was imported, not generated on this YubiKey, so it cannot be attested")
	ErrKeyChanged    = errors.New("the key in the slot changed since it was opened")
	ErrBusy          = errors.New("the YubiKey is in use by another program (gpg-agent's scdaemon, a browser, another bpkeys): close it or wait, then try again")
)

// PINError reports a wrong PIN and the tries left.
type PINError struct{ Retries int }

func (e *PINError) Error() string {
	switch e.Retries {
	case 0:
		return ErrPINBlocked.Error()
	case 1:
		return "wrong PIN: 1 try left before the PIN is blocked"
	}
	return fmt.Sprintf("wrong PIN: %d tries left", e.Retries)
}

// Is makes a PINError with no tries left match ErrPINBlocked.
func (e *PINError) Is(target error) bool { return target == ErrPINBlocked && e.Retries == 0 }

// SeveralError lists the YubiKeys present when a reference names none.
type SeveralError struct{ Serials []uint32 }

func (e *SeveralError) Error() string {
	s := make([]string, len(e.Serials))
	for i, n := range e.Serials {
		s[i] = fmt.Sprint(n)
	}
	return "several YubiKeys are present (serials " + strings.Join(s, ", ") + "): add serial=N to the reference"
}

// NotFoundError names a serial that is not present and those that are.
type NotFoundError struct {
	Serial  uint32
	Present []uint32
}

func (e *NotFoundError) Error() string {
	if len(e.Present) == 0 {
		return fmt.Sprintf("YubiKey %d not found: no YubiKey is present", e.Serial)
	}
	s := make([]string, len(e.Present))
	for i, n := range e.Present {
		s[i] = fmt.Sprint(n)
	}
	return fmt.Sprintf("YubiKey %d not found (present: %s)", e.Serial, strings.Join(s, ", "))
}

// statusError is implemented by piv-go's APDU errors.
type statusError interface{ Status() uint16 }

// cardStatus returns the status word of a card error, or 0.
func cardStatus(err error) uint16 {
	var se statusError
	if errors.As(err, &se) {
		return se.Status()
	}
	return 0
}

// classify turns piv-go and PC/SC errors into the errors above where it can.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ae piv.AuthErr
	if errors.As(err, &ae) {
		return &PINError{Retries: ae.Retries}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "has been removed"), strings.Contains(msg, "power has been removed"),
		strings.Contains(msg, "no Smart Card is currently in the device"), strings.Contains(msg, "has been reset"):
		return fmt.Errorf("%w: %v", ErrCardRemoved, err)
	case strings.Contains(msg, "resource manager is not running"), strings.Contains(msg, "resource manager has shut down"),
		strings.Contains(msg, "no such file or directory") && strings.Contains(msg, "pcsc"):
		return fmt.Errorf("%w: %v", ErrPCSCD, err)
	}
	return err
}

// Permanent: a wrong PIN is never retried (signer.IsPermanent).
func (e *PINError) Permanent() bool { return true }
