package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/hsm/pkcs11"
	"github.com/bpkeys/bpkeys/internal/softhsmtest"
	"github.com/bpkeys/bpkeys/internal/testenv"
)

// TestKeysListWithoutModule: with no module named anywhere, keys list finds
// a SoftHSM2 token through p11-kit's proxy or the usual module paths, lists
// its key once, says "unknown without login" rather than "no", and --json
// gives lists, never null. Runs in a child process: SoftHSM2 reads its
// token directory once per process.
func TestKeysListWithoutModule(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process with SoftHSM2")
	}
	softhsmtest.InChildProcess(t, "TestKeysListWithoutModule", func(t *testing.T) {
		toks := softhsmtest.Setup("4321", "found-me")
		defer toks.Close()
		toks.Require(t)
		if found, _ := pkcs11.Discover(); len(found) == 0 {
			testenv.Missing(t, "p11-kit or SoftHSM2 in the usual library directories", testenv.Hint)
		}
		t.Setenv(p11PINEnv, "4321")
		t.Setenv(pkcs11.ModuleEnv, "")
		ref := "pkcs11:token=found-me;object=disc?module-path=" + softhsmtest.Module + "&pin-source=env:" + p11PINEnv
		if code, _, errOut := runP11(t, "keys", "generate", ref, "--curve", "k1"); code != exitOK {
			t.Fatalf("keys generate: exit %d: %s", code, errOut)
		}
		code, out, errOut := runP11(t, "--json", "keys", "list")
		if code != exitOK {
			t.Fatalf("keys list: exit %d: %s", code, errOut)
		}
		var l keyListing
		if err := json.Unmarshal([]byte(out), &l); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, k := range l.Keys {
			if k.Label == "disc" {
				n++
			}
		}
		if n != 1 || len(l.ModulesTried) == 0 || len(l.ModulesSearched) == 0 {
			t.Fatalf("the key listed %d times; tried %v, searched %d paths:\n%s", n, l.ModulesTried, len(l.ModulesSearched), out)
		}
		code, out, _ = runP11(t, "keys", "list")
		if code != exitOK || !strings.Contains(out, "can sign: unknown without login") || strings.Contains(out, "SIGN") {
			t.Fatalf("keys list: exit %d\n%s", code, out)
		}
		for _, line := range strings.Split(out, "\n") {
			// a key, a reference or a module path is never cut; the rest fits
			if w := strings.TrimSpace(line); len(line) > 100 && !strings.HasPrefix(w, "pkcs11:") && !strings.HasPrefix(w, "module ") && strings.Contains(w, " ") {
				t.Errorf("line of %d columns: %q", len(line), line)
			}
		}
	})
}

// TestKeysListEmptyJSON: nothing connected gives [] and [], never null.
func TestKeysListEmptyJSON(t *testing.T) {
	a := &app{registry: devices.NewRegistry()}
	l := a.listKeys(context.Background(), false)
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "null") {
		t.Fatalf("%s", b)
	}
}
