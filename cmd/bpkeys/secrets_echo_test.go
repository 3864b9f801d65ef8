package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/internal/redact"
)

// secretShapes are things an operator may paste by mistake where a public
// key, a reference or a name is expected: none may come back, even in
// part.
var secretShapes = map[string]string{
	// the well-known EOSIO development key with its 20th character removed
	"WIF missing a character": "5KQwrPbwdL6PhXujxW37SSQZ1JiwsST4cqQzDeyXtP79zkvFD3",
	"lowercase PVT_K1":        "pvt_k1_2bfgi9rysxqsxxtvjbdaphhlquojjanlomdm3cej1xtzmqut3v",
	"64 hex characters":       "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
	"6-digit number":          "482913",
}

// TestSecretsNeverEchoed feeds every reader of operator input with each
// secret shape and checks that no 6-character fragment of it appears in
// stdout or stderr, and that the reader was reached (its context is in
// the message).
func TestSecretsNeverEchoed(t *testing.T) {
	dead := "http://127.0.0.1:1"
	for shape, secret := range secretShapes {
		t.Run(shape, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, body string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			good := "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63"
			teamKey := write("team-key.yaml", "members:\n  - name: alice\nkeys:\n  - key: "+secret+"\n    holder: alice\n")
			teamAcct := write("team-acct.yaml", "members:\n  - name: alice\n    account: "+secret+"@active\nkeys: []\n")
			teamHolder := write("team-holder.yaml", "members:\n  - name: alice\nkeys:\n  - key: "+good+"\n    holder: \""+secret+"\"\n")
			teamDevice := write("team-device.yaml", "members:\n  - name: alice\nkeys:\n  - key: "+good+"\n    holder: alice\n    device: \"yubikey:serial=1;slot=9c?pin-source=env:"+secret+"\"\n")
			teamType := write("team-type.yaml", "members:\n  - name: alice\nkeys:\n  - key: "+good+"\n    holder: alice\n    hardware: \""+secret+"\"\n")
			polKey := write("policy-key.yaml", "desired:\n  - permission: owner\n    threshold: 1\n    keys:\n      - key: "+secret+"\n")
			polName := write("policy-name.yaml", "permissions:\n  \""+secret+"\":\n    min_threshold: 1\n")
			config := write("config.yaml", "urls: [\"http://u:"+secret+"@127.0.0.1:1\"]\n")
			for _, tc := range []struct {
				name    string
				args    []string
				context string // the message shows the reader was reached
			}{
				{"key inspect", []string{"key", "inspect", secret}, ""},
				{"--add-key", []string{"--url", dead, "perms", "plan", "bpteam111111", "--add-key", "active=" + secret}, "--add-key"},
				{"--add-key no =", []string{"--url", dead, "perms", "plan", "bpteam111111", "--add-key", secret}, "--add-key"},
				{"--rotate old", []string{"--url", dead, "perms", "plan", "bpteam111111", "--rotate", secret + "=" + good}, "--rotate"},
				{"--rotate new", []string{"--url", dead, "perms", "plan", "bpteam111111", "--rotate", good + "=" + secret}, "--rotate"},
				{"--new-key", []string{"--url", dead, "producer", "rotate-key", "bpteam111111", "--new-key", secret}, "--new-key"},
				{"--signer", []string{"--url", dead, "claim", "bpteam111111", "--signer", secret}, "--signer"},
				{"--signer scheme", []string{"--url", dead, "claim", "bpteam111111", "--signer", "yubikey:" + secret}, "--signer"},
				{"pin-source bare", []string{"--url", dead, "claim", "bpteam111111", "--signer", "yubikey:slot=9c?pin-source=" + secret}, "pin-source"},
				{"pin-source env", []string{"--url", dead, "claim", "bpteam111111", "--signer", "yubikey:slot=9c?pin-source=env:" + secret}, "pin-source"},
				{"pin-source file", []string{"--url", dead, "claim", "bpteam111111", "--signer", "yubikey:slot=9c?pin-source=file:" + secret}, "pin-source"},
				{"team key", []string{"--url", dead, "--team", teamKey, "policy", "check", "bpteam111111"}, "team"},
				{"team account", []string{"--url", dead, "--team", teamAcct, "policy", "check", "bpteam111111"}, "team"},
				{"team holder", []string{"--url", dead, "--team", teamHolder, "policy", "check", "bpteam111111"}, "team"},
				{"team device", []string{"--url", dead, "--team", teamDevice, "policy", "check", "bpteam111111"}, "team"},
				{"team field type", []string{"--url", dead, "--team", teamType, "policy", "check", "bpteam111111"}, "team"},
				{"policy key", []string{"--url", dead, "policy", "check", "bpteam111111", "--policy", polKey}, "policy"},
				{"policy name", []string{"--url", dead, "policy", "check", "bpteam111111", "--policy", polName}, "policy"},
				{"url password", []string{"--url", "http://operator:" + secret + "@127.0.0.1:1", "perms", "show", "bpteam111111"}, "127.0.0.1:1"},
				{"url bad", []string{"--url", "ftp://operator:" + secret + "@127.0.0.1:1", "perms", "show", "bpteam111111"}, "endpoint"},
				{"config", []string{"--config", config, "perms", "show", "bpteam111111"}, "127.0.0.1:1"},
				{"--chain-id", []string{"--url", dead, "--chain-id", secret, "perms", "show", "bpteam111111"}, ""}, // 64 hex is a valid chain id: no context
			} {
				code, out, errOut := runCLI(t, tc.args...)
				all := out + errOut
				if code == 0 {
					t.Errorf("%s: exit 0", tc.name)
				}
				for _, f := range redact.Fragments(secret, 6) {
					if strings.Contains(all, f) {
						t.Errorf("%s: %q of the input is echoed:\n%s", tc.name, f, all)
						break
					}
				}
				if !strings.Contains(strings.ToLower(all), strings.ToLower(tc.context)) {
					t.Errorf("%s: the reader was not reached (no %q in the message):\n%s", tc.name, tc.context, all)
				}
			}
		})
	}
}
