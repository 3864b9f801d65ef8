package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfig(t *testing.T) {
	id := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, yaml, wantErr string
	}{
		{"full", "urls: [http://a:8888, http://b:8888]\nchain_id: " + id + "\npkcs11_module: /usr/lib/softhsm/libsofthsm2.so\nteam: /ops/team.yaml\njournal: /var/lib/bpkeys/journal.jsonl\n", ""},
		{"empty", "", ""},
		{"unknown field", "urls: []\nendpoint: x\n", "field endpoint not found"},
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
	code, _, errOut := runCLI(t, "--config", filepath.Join(dir, "missing.yaml"), "version")
	if code != exitUsage || !strings.Contains(errOut, "missing.yaml") {
		t.Fatalf("missing explicit config: exit %d, %s", code, errOut)
	}
}
