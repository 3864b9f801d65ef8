package pkcs11

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cki "github.com/miekg/pkcs11"

	"github.com/bpkeys/bpkeys/pinentry"
	"github.com/bpkeys/bpkeys/signer"
)

// Real module: pin-source=fd:3 with no descriptor passed, and fd:N for a
// file this process opened itself (holding a wrong PIN), are refused
// before any login: the token's failed-login flag stays clear and no
// C_Login is made. A wrong PIN afterwards does raise the flag, so the flag
// is a working witness.
func TestFDPINRefusedBeforeLogin(t *testing.T) {
	generate(t, "pinfd", "k", signer.CurveK1)
	pinFile := filepath.Join(t.TempDir(), "pin")
	os.WriteFile(pinFile, []byte("9999\n"), 0o600)
	own, err := os.Open(pinFile)
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	countLow := func() bool {
		return slotOf(t, rawModule(t), "pinfd").Flags&cki.CKF_USER_PIN_COUNT_LOW != 0
	}
	if countLow() {
		t.Fatal("the token starts with a failed login")
	}
	for _, fd := range []uintptr{3, own.Fd()} {
		r, err := signer.ParseRef(fmt.Sprintf("pkcs11:token=pinfd;object=k?module-path=%s&pin-source=fd:%d", softhsmModule, fd))
		if err != nil {
			t.Fatal(err)
		}
		f := newFaulty()
		_, err = f.backend(t).Open(context.Background(), r)
		var se *pinentry.SourceError
		if !errors.As(err, &se) || !signer.IsPermanent(err) {
			t.Fatalf("fd:%d: err = %v, want a pinentry.SourceError", fd, err)
		}
		if f.n("Login") != 0 {
			t.Fatalf("fd:%d: %d logins", fd, f.n("Login"))
		}
		if countLow() {
			t.Fatalf("fd:%d: the token's failed-login flag was raised: a PIN was sent", fd)
		}
	}
	bad := func(src pinentry.Source, prompt string) ([]byte, error) { return []byte("9999"), nil }
	if _, err := New(WithPINReader(bad)).Open(context.Background(), ref(t, "pinfd", "k")); !errors.Is(err, ErrPINIncorrect) {
		t.Fatalf("wrong PIN: %v", err)
	}
	if !countLow() {
		t.Fatal("the failed-login flag is no witness: a wrong PIN did not raise it")
	}
}

// Seam: a token whose object search fails (CKR_DEVICE_ERROR) is listed with
// the error, not as a token without keys.
func TestInventoryTokenErrorNotNoKeys(t *testing.T) {
	generate(t, "pinfd", "k", signer.CurveK1)
	f := newFaulty()
	f.findInit = func() error { return cki.Error(cki.CKR_DEVICE_ERROR) }
	inv, err := f.backend(t, WithModule(softhsmModule)).Inventory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range inv.Devices {
		if d.Details["label"] != "pinfd" {
			continue
		}
		found = true
		if e := d.Details["error"]; e == "" || !strings.Contains(e, "listing the public keys") {
			t.Fatalf("token error not reported: %+v", d.Details)
		}
	}
	if !found {
		t.Fatal("the token is not listed")
	}
}
