package inputfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// /dev/zero never ends: Read stops after the limit with ErrTooLarge.
func TestReadBounded(t *testing.T) {
	_, err := Read("/dev/zero", "team file", MaxTeam)
	var tl *TooLargeError
	if !errors.As(err, &tl) || !errors.Is(err, ErrTooLarge) || tl.Max != MaxTeam {
		t.Fatalf("/dev/zero: %v", err)
	}
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("members: []\n"), 0o600)
	if b, err := Read(p, "team file", MaxTeam); err != nil || string(b) != "members: []\n" {
		t.Fatalf("%q %v", b, err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none"), "team file", MaxTeam); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
}
