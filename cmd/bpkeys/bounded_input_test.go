package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBoundedInput: files are read with a limit, numeric flags are
// checked, names in team files are chain names, and plans name their chain.
func TestBoundedInput(t *testing.T) {
	dead := "http://127.0.0.1:1"
	dir := t.TempDir()
	upper := filepath.Join(dir, "team.yaml")
	os.WriteFile(upper, []byte("members:\n  - name: alice\n    account: ALICE@active\nkeys: []\n"), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"team /dev/zero", []string{"--url", dead, "--team", "/dev/zero", "policy", "check", "bpteam111111"}, exitUsage, "larger than"},
		{"policy /dev/zero", []string{"--url", dead, "policy", "check", "bpteam111111", "--policy", "/dev/zero"}, exitUsage, "larger than"},
		{"config /dev/zero", []string{"--config", "/dev/zero", "perms", "show", "bpteam111111"}, exitUsage, "larger than"},
		{"plan /dev/zero", []string{"--url", dead, "perms", "apply", "/dev/zero", "--signer", "yubikey:slot=9c"}, exitUsage, "larger than"},
		{"actions /dev/zero", []string{"--url", dead, "msig", "propose", "--proposer", "alice", "--actions", "/dev/zero"}, exitUsage, "larger than"},
		{"tx /dev/zero", []string{"--url", dead, "--chain-id", strings.Repeat("ab", 32), "tx", "sign", "/dev/zero", "--signer", "yubikey:slot=9c"}, exitUsage, "larger than"},
		{"quorum 0", []string{"--url", dead, "--quorum", "0", "perms", "show", "bpteam111111"}, exitUsage, `"0" for "--quorum"`},
		{"quorum -3", []string{"--url", dead, "--quorum", "-3", "perms", "show", "bpteam111111"}, exitUsage, `"-3" for "--quorum"`},
		{"retries -1", []string{"--url", dead, "claim", "bpteam111111", "--signer", "yubikey:slot=9c", "--retries", "-1"}, exitUsage, "--retries"},
		{"team ALICE@active", []string{"--url", dead, "--team", upper, "policy", "check", "bpteam111111"}, exitUsage, "chain names"},
	} {
		code, out, errOut := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d (want %d), want %q:\n%s%s", tc.name, code, tc.code, tc.want, out, errOut)
		}
	}
}

// A plan without a chain id is refused before any endpoint is asked.
func TestPlanWithoutChainID(t *testing.T) {
	e := newPermsEnv(t)
	planFile := filepath.Join(e.dir, "plan.json")
	if code, out, errOut := e.run("", "perms", "plan", permsAcct, "--team", e.team, "--out", planFile, "--add-key", "claim="+permsPub("1001")); code != 0 {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	b, _ := os.ReadFile(planFile)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m["chain_id"] == nil {
		t.Fatalf("the plan has no chain id: %v", err)
	}
	delete(m, "chain_id")
	b, _ = json.Marshal(m)
	os.WriteFile(planFile, b, 0o600)
	code, _, errOut := e.run("", "perms", "apply", planFile, "--signer", "yubikey:serial=1001;slot=9c", "--yes")
	if code != exitRefused || !strings.Contains(errOut, "names no chain") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
