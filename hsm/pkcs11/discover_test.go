package pkcs11

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestDiscover(t *testing.T) {
	touch := func(p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, b := t.TempDir(), t.TempDir()

	found, searched := discover([]string{a, b})
	if len(found) != 0 || !slices.Contains(searched, filepath.Join(b, "softhsm", "libsofthsm2.so")) || !slices.Contains(searched, filepath.Join(a, "p11-kit-proxy.so")) {
		t.Fatalf("nothing there: found %v, searched %v", found, searched)
	}

	// without p11-kit: each usual module present, a symlinked one once
	touch(filepath.Join(b, "softhsm", "libsofthsm2.so"))
	if err := os.Symlink(filepath.Join(b, "softhsm", "libsofthsm2.so"), filepath.Join(b, "libsofthsm2.so")); err != nil {
		t.Fatal(err)
	}
	found, _ = discover([]string{a, b})
	if !slices.Equal(found, []string{filepath.Join(b, "softhsm", "libsofthsm2.so")}) {
		t.Fatalf("found %v", found)
	}

	// with p11-kit's proxy: the proxy alone, it reaches the others
	touch(filepath.Join(a, "p11-kit-proxy.so"))
	found, _ = discover([]string{a, b})
	if !slices.Equal(found, []string{filepath.Join(a, "p11-kit-proxy.so")}) {
		t.Fatalf("found %v", found)
	}
}
