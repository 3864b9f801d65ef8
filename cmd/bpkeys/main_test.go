package main

import (
	"os"
	"testing"
)

// TestMain keeps every command's state (the signing journal) in a temporary
// directory, never in the developer's home.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bpkeys-cli-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_STATE_HOME", dir)
	os.Setenv("XDG_CONFIG_HOME", dir)
	os.Unsetenv("BPKEYS_JOURNAL")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
