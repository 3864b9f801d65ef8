package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/hsm/pkcs11"
)

func TestConfig(t *testing.T) {
	id := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, yaml, wantErr string
	}{
		{"full", "urls: [http://a:8888, http://b:8888]\nchain_id: " + id + "\npkcs11_module: /usr/lib/softhsm/libsofthsm2.so\nteam: /ops/team.yaml\njournal: /var/lib/bpkeys/journal.jsonl\n", ""},
		{"empty", "", ""},
		{"unknown field", "urls: []\nendpoint: x\n", `line 2: unknown field "endpoint"`},
		{"misspelt field", "url: http://a:8888\n", `did you mean "urls"?`},
		{"list for a path", "team: [a, b]\n", "line 1: team: expected one value"},
		{"not a map", "- a\n- b\n", "expected fields"},
		{"bad yaml", "urls: [\n", "not valid YAML"},
		{"a PIN", "user_pin: 1234\n", "a PIN never goes in bpkeys' files"},
		{"bad chain id", "chain_id: abc\n", "chain_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig([]byte(tc.yaml))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "1234") {
					t.Fatalf("err = %v, want %q (and no PIN echoed)", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "full" && (len(c.URLs) != 2 || c.ChainID != id || c.Team != "/ops/team.yaml") {
				t.Fatalf("%+v", c)
			}
		})
	}
}

func TestConfigAppliesWhereFlagsDoNot(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	id := strings.Repeat("cd", 32)
	if err := os.WriteFile(path, []byte("urls: [http://127.0.0.1:1]\nchain_id: "+id+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &app{config: path}
	t.Setenv("BPKEYS_URL", "")
	if err := a.loadConfig(); err != nil {
		t.Fatal(err)
	}
	if len(a.urls) != 1 || a.urls[0] != "http://127.0.0.1:1" || a.chainID != id {
		t.Fatalf("config not applied: %+v", a)
	}
	b := &app{config: path, urls: []string{"http://flag:8888"}, chainID: strings.Repeat("ef", 32)}
	if err := b.loadConfig(); err != nil {
		t.Fatal(err)
	}
	if b.urls[0] != "http://flag:8888" || b.chainID != strings.Repeat("ef", 32) {
		t.Fatal("config overrode flags")
	}
	code, _, errOut := runCLI(t, "--config", filepath.Join(dir, "missing.yaml"), "perms", "show", "bpkeysdemo11")
	if code != exitUsage || !strings.Contains(errOut, "missing.yaml") {
		t.Fatalf("missing explicit config: exit %d, %s", code, errOut)
	}
}

// TestConfigErrorsReadWell: no Go type, no library prefix in a config
// error an operator sees.
func TestConfigErrorsReadWell(t *testing.T) {
	for _, y := range []string{"url: x\n", "urls: {a: b}\n", "team: [a]\n", "- a\n", "urls: [\n", "chain_id: 12\n"} {
		_, err := parseConfig([]byte(y))
		if err == nil {
			t.Fatalf("%q: no error", y)
		}
		for _, leak := range []string{"main.config", "!!", "yaml:", "type "} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("%q: error %q shows %q", y, err, leak)
			}
		}
	}
}

func TestConfigSingleURL(t *testing.T) {
	c, err := parseConfig([]byte("urls: http://127.0.0.1:8888\n"))
	if err != nil || len(c.URLs) != 1 || c.URLs[0] != "http://127.0.0.1:8888" {
		t.Fatalf("%+v, %v", c, err)
	}
}

// TestConfigPathsResolve: team and journal are relative to the config
// file's directory, whatever the working directory; ~ is the home.
func TestConfigPathsResolve(t *testing.T) {
	dir := t.TempDir()
	home := t.TempDir()
	t.Setenv("HOME", home)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte("team: team.yaml\njournal: ~/state/journal.jsonl\npkcs11_module: libsofthsm2.so\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	a := &app{config: path}
	if err := a.loadConfig(); err != nil {
		t.Fatal(err)
	}
	if a.team != filepath.Join(dir, "team.yaml") {
		t.Errorf("team = %q, want it beside the config file", a.team)
	}
	if a.journalPath != filepath.Join(home, "state", "journal.jsonl") {
		t.Errorf("journal = %q, want ~ expanded", a.journalPath)
	}
	c, _, _, err := a.readConfig()
	if err != nil || c.PKCS11Module != "libsofthsm2.so" {
		t.Errorf("a bare module name is for the loader's search path: %q, %v", c.PKCS11Module, err)
	}
}

// TestBadConfigSparesVersionAndCompletion: a broken config must not stop
// an operator from asking the version or installing completions.
func TestBadConfigSparesVersionAndCompletion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("url: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"version"}, {"completion", "bash"}, {"help"}} {
		code, out, errOut := runCLI(t, append([]string{"--config", path}, args...)...)
		if code != 0 || out == "" {
			t.Errorf("bpkeys %v with a bad config: exit %d, stderr %s", args, code, errOut)
		}
	}
	code, _, errOut := runCLI(t, "--config", path, "perms", "show", "bpkeysdemo11")
	if code != exitUsage || !strings.Contains(errOut, "line 1") {
		t.Errorf("other commands still refuse it: exit %d, %s", code, errOut)
	}
}

// TestConfigCheck runs bpkeys config check on the documented example
// (docs/config.example.yaml, its team file beside it) and on files with
// problems.
func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	example, err := os.ReadFile(filepath.Join("..", "..", "docs", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	teamFile := "members:\n  - name: alice\n    account: alice@active\nkeys: []\n"
	for name, body := range map[string]string{"config.yaml": string(example), "team.yaml": teamFile} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HOME", dir)
	if err := os.MkdirAll(filepath.Join(dir, ".local", "state", "bpkeys"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv(pkcs11.ModuleEnv, "")
	code, out, errOut := runCLI(t, "--config", filepath.Join(dir, "config.yaml"), "config", "check")
	if code != 0 || !strings.Contains(out, "ok") || !strings.Contains(out, filepath.Join(dir, "team.yaml")) {
		t.Fatalf("the documented example: exit %d\n%s%s", code, out, errOut)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("urls: ftp://x\nteam: nowhere.yaml\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, "--config", bad, "config", "check", "--json")
	var r configReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if code != exitFailed || len(r.Problems) != 2 {
		t.Fatalf("exit %d, problems %q", code, r.Problems)
	}

	code, out, _ = runCLI(t, "--config", filepath.Join(dir, "none.yaml"), "config", "check")
	if code != exitUsage {
		t.Fatalf("an explicit config that does not exist: exit %d %s", code, out)
	}
}
