package main

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
)

// The cases of issue 13 through the command: each is refused before
// anything is signed (exit 4), naming its rule; without a team file a plan
// says what could not be checked.
func TestPermsPlanRefusesDangerousPower(t *testing.T) {
	e := newPermsEnv(t)
	out := filepath.Join(e.dir, "plan.json")
	for _, tc := range []struct {
		name string
		args []string
		rule string
	}{
		{"contract-wide eosio link on claim", []string{"--link", "claim=eosio::"}, "contract-wide-link"},
		{"the tutorial key in owner", []string{"--add-key", "owner=EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"}, "known-key"},
		{"an account that does not exist", []string{"--add-account", "active=nosuchacct@active"}, "missing-account"},
		{"owner to one person", []string{"--threshold", "owner=1"}, "single-person-power"},
		{"delegatebw for dave's claim key alone", []string{"--link", "claim=eosio::delegatebw"}, "single-person-power"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"perms", "plan", permsAcct, "--team", e.team, "--out", out}, tc.args...)
			code, stdout, errOut := e.run("", args...)
			if code != exitRefused || !strings.Contains(stdout, "error ["+tc.rule+"]") {
				t.Fatalf("exit %d, want %d with [%s]\n%s\n%s", code, exitRefused, tc.rule, stdout, errOut)
			}
		})
	}
	code, stdout, errOut := e.run("", "perms", "plan", permsAcct, "--add-key", "claim="+permsPub("1001"))
	if code != 0 || !strings.Contains(stdout, "warning [no-team-file]") {
		t.Fatalf("without a team file: exit %d\n%s\n%s", code, stdout, errOut)
	}
}

// An account under limitauthchg: perms reads the setting, the plan's
// actions carry authorized_by, and the devchain (which implements
// check_auth_change as eosio.system does) accepts them.
func TestPermsApplyUnderLimitAuthChg(t *testing.T) {
	e := newPermsEnv(t)
	h := e.dc.Head()
	data := contracts.MustEncode(contracts.LimitAuthChg{Account: permsAcct, AllowPerms: []eos.Name{"owner", "active"}})
	tx := fmt.Sprintf(`{"expiration":%q,"ref_block_num":%d,"ref_block_prefix":%d,"max_net_usage_words":0,"max_cpu_usage_ms":0,"delay_sec":0,
	"context_free_actions":[],"actions":[{"account":"eosio","name":"limitauthchg","authorization":[{"actor":%q,"permission":"active"}],"data":%q}],"transaction_extensions":[]}`,
		h.Time.Add(time.Minute).Format("2006-01-02T15:04:05"), uint16(h.Num), h.RefBlockPrefix(), permsAcct, hex.EncodeToString(data))
	in := filepath.Join(e.dir, "tx.json")
	_ = os.WriteFile(in, []byte(tx), 0o644)
	code, out, errOut := e.run("", "tx", "sign", "--yes", "--chain-id", e.dc.ChainID().String(), "--signer", "yubikey:serial=1002;slot=9c", in)
	if code != 0 {
		t.Fatalf("sign limitauthchg: exit %d\n%s", code, errOut)
	}
	signed := filepath.Join(e.dir, "signed.json")
	_ = os.WriteFile(signed, []byte(out), 0o644)
	if code, out, errOut := e.run("", "tx", "push", signed); code != 0 {
		t.Fatalf("push limitauthchg: exit %d\n%s\n%s", code, out, errOut)
	}
	planFile := filepath.Join(e.dir, "plan.json")
	if code, out, errOut := e.run("", "perms", "plan", permsAcct, "--team", e.team, "--out", planFile, "--add-key", "claim="+permsPub("1001")); code != 0 {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	b, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"authorized_by": "active"`) {
		t.Fatalf("the plan has no authorized_by:\n%s", b)
	}
	if code, out, errOut := e.run("", "perms", "apply", planFile, "--yes", "--team", e.team, "--signer", "yubikey:serial=1002;slot=9c"); code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	if !e.account().Perm("claim").Auth.HasKey(permsKeys["1001"].PublicKey()) {
		t.Fatal("not applied")
	}
}
