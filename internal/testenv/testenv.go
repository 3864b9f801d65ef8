// Package testenv decides what a test does when a system component it needs
// (SoftHSM2, pcscd, node, ...) is missing: under CI=true the test fails, on a
// developer's machine it is skipped with a message saying how to enable it.
package testenv

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// InCI reports whether the tests run under continuous integration (CI set to a
// true value), where every component must be present.
func InCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// Missing ends the test because a component is unavailable: a failure in CI, a
// skip elsewhere. what names the component, hint says how to provide it.
func Missing(tb testing.TB, what, hint string) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("%s is required under CI=true but unavailable: %s", what, hint)
	}
	tb.Skipf("skipping: %s unavailable (%s)", what, hint)
}

// LookPath returns the path of an executable or ends the test through Missing.
func LookPath(tb testing.TB, name, hint string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(tb, name, hint)
	}
	return p
}

// Hint is the standard advice for installing the project's system packages.
const Hint = "run 'sudo scripts/deps.sh' to install the test dependencies"
