package piv

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/signer"
)

// fakeCards stands in for PC/SC at the backend's seam. It is a fake because
// the condition it produces, the PC/SC daemon being down, cannot be made
// with the shared pcscd the other tests use; every other error is tested
// through the real pcscd and the emulated YubiKey in piv_test.go.
type fakeCards struct{ err error }

func (f fakeCards) Cards() ([]string, error)     { return nil, f.err }
func (f fakeCards) Open(string) (yubikey, error) { return nil, f.err }

func pcscError(msg string) error { return errors.New("connecting to pcsc: " + msg) }
func refOf(t *testing.T, s string) (r signer.Ref) {
	r, err := signer.ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPCSCDaemonDown(t *testing.T) {
	for _, msg := range []string{"the Smart card resource manager is not running", "the Smart card resource manager has shut down"} {
		b := New(Options{cards: fakeCards{err: pcscError(msg)}})
		_, err := b.Open(context.Background(), refOf(t, "yubikey:slot=9c"))
		if !errors.Is(err, ErrPCSCD) || !strings.Contains(err.Error(), "pcscd") {
			t.Errorf("%s: Open: %v", msg, err)
		}
		if _, err := b.Inventory(context.Background()); !errors.Is(err, ErrPCSCD) {
			t.Errorf("%s: Inventory: %v", msg, err)
		}
	}
	// No reader at all is not an error for Inventory, and "no YubiKey" for Open.
	b := New(Options{cards: fakeCards{err: pcscError("cannot find a smart card reader")}})
	if inv, err := b.Inventory(context.Background()); err != nil || len(inv.Devices) != 0 {
		t.Fatalf("no reader: %+v, %v", inv, err)
	}
	if _, err := b.Open(context.Background(), refOf(t, "yubikey:slot=9c")); !errors.Is(err, ErrNoYubiKey) {
		t.Fatalf("no reader: Open: %v", err)
	}
}
