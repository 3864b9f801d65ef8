package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/signer"
)

// permsDevices serves in-memory test keys as YubiKeys: the serial names
// the key.
type permsDevices struct{ keys map[string]*testsigner.Key }

func (permsDevices) Scheme() string { return "yubikey" }

func (permsDevices) Inventory(context.Context) (devices.Inventory, error) {
	return devices.Inventory{}, nil
}

func (d permsDevices) Open(_ context.Context, ref signer.Ref) (devices.Key, error) {
	k, ok := d.keys[ref.Get("serial")]
	if !ok {
		return nil, fmt.Errorf("test yubikey %s: not connected", ref.Get("serial"))
	}
	return permsKey{k}, nil
}

func (permsDevices) Generate(context.Context, signer.Ref, devices.GenerateOptions) (signer.PublicKey, error) {
	return signer.PublicKey{}, errors.New("test yubikey: read-only")
}

type permsKey struct{ *testsigner.Key }

func (permsKey) Close() error { return nil }

const permsAcct = "bpteam111111"

type permsEnv struct {
	t       *testing.T
	dc      *devchain.Chain
	url     string
	dir     string
	team    string
	devs    permsDevices
	journal string
}

var permsKeys = map[string]*testsigner.Key{
	"1001": testsigner.FromSeed(signer.CurveR1, "cli-alice-owner"),
	"2001": testsigner.FromSeed(signer.CurveR1, "cli-bob-owner"),
	"3001": testsigner.FromSeed(signer.CurveK1, "cli-carol-owner"),
	"1002": testsigner.FromSeed(signer.CurveR1, "cli-alice-active"),
	"4001": testsigner.FromSeed(signer.CurveR1, "cli-dave-claim"),
	"1003": testsigner.FromSeed(signer.CurveK1, "cli-alice-spare"),
}

func permsPub(serial string) string { return permsKeys[serial].PublicKey().String() }

func newPermsEnv(t *testing.T) *permsEnv {
	t.Helper()
	auth := func(threshold uint32, serials ...string) string {
		au := permissions.Authority{Threshold: threshold}
		for _, s := range serials {
			au.Keys = append(au.Keys, permissions.KeyWeight{Key: permsKeys[s].PublicKey(), Weight: 1})
		}
		au.Normalize() // nodeos's order
		b, err := json.Marshal(au)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	g := `{"time":"2026-01-01T00:00:00.000","accounts":[{"name":"` + permsAcct + `","permissions":[
	  {"perm_name":"owner","parent":"","required_auth":` + auth(2, "1001", "2001", "3001") + `},
	  {"perm_name":"active","parent":"owner","required_auth":` + auth(1, "1002") + `},
	  {"perm_name":"claim","parent":"active","required_auth":` + auth(1, "4001") + `,"linked_actions":[{"account":"eosio","action":"claimrewards"}]}]}]}`
	gen, err := devchain.ParseGenesis([]byte(g))
	if err != nil {
		t.Fatal(err)
	}
	dc, err := devchain.New(gen, devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addr, err := dc.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &permsEnv{t: t, dc: dc, url: "http://" + addr.String(), dir: t.TempDir(), devs: permsDevices{keys: permsKeys}}
	e.journal = filepath.Join(e.dir, "journal.jsonl")
	var team strings.Builder
	team.WriteString("members:\n  - name: alice\n  - name: bob\n  - name: carol\n  - name: dave\nkeys:\n")
	for serial, holder := range map[string]string{"1001": "alice", "2001": "bob", "3001": "carol", "1002": "alice", "4001": "dave", "1003": "alice"} {
		fmt.Fprintf(&team, "  - key: %s\n    holder: %s\n    device: \"yubikey:serial=%s;slot=9c\"\n    hardware: true\n", permsPub(serial), holder, serial)
	}
	e.team = filepath.Join(e.dir, "team.yaml")
	if err := os.WriteFile(e.team, []byte(team.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// run executes bpkeys in-process against the devchain with the test
// devices, mapping errors to exit codes as run does.
func (e *permsEnv) run(stdin string, args ...string) (int, string, string) {
	e.t.Helper()
	// Each command is a new block: identical transactions get new ids.
	e.dc.ProduceBlocks(1)
	var stdout, stderr bytes.Buffer
	a := &app{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr}
	a.registry = devices.NewRegistry(e.devs)
	root := newRootCmd(a)
	root.SetArgs(append([]string{"--url", e.url, "--journal", e.journal}, args...))
	root.SetIn(a.stdin)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return exitOK, stdout.String(), stderr.String()
	}
	fmt.Fprintln(&stderr, "bpkeys: "+err.Error())
	return exitCode(context.Background(), err), stdout.String(), stderr.String()
}

func (e *permsEnv) account() *permissions.Account {
	e.t.Helper()
	info, err := e.dc.GetAccount(permsAcct)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := json.Marshal(info)
	a, err := permissions.ParseAccountJSON(b)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func TestPermsShow(t *testing.T) {
	e := newPermsEnv(t)
	code, out, errOut := e.run("", "perms", "show", permsAcct, "--team", e.team)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	t.Logf("perms show:\n%s", out)
	for _, want := range []string{
		"owner  threshold 2",
		"claim  threshold 1, parent active",
		"linked eosio::claimrewards",
		"(dave's YubiKey 4001 slot 9c)",
		"eosio::claimrewards (claim): {alice} or {dave} or {bob + carol}",
		"alice alone: active, eosio::claimrewards",
		"owner with {bob} or {carol}",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = e.run("", "perms", "show", permsAcct, "--json")
	var got struct {
		Account *permissions.Account `json:"account"`
		Powers  *permissions.Powers  `json:"who_can_do_what"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Account.Perm("claim") == nil || len(got.Powers.Capabilities) != 3 {
		t.Fatalf("json (exit %d): %s", code, out)
	}
	if code, _, errOut := e.run("", "perms", "show", "nosuchacct"); code != exitUsage || !strings.Contains(errOut, "does not exist") {
		t.Fatalf("unknown account: exit %d %s", code, errOut)
	}
}

func TestPermsPlanRefusesLockout(t *testing.T) {
	e := newPermsEnv(t)
	out := filepath.Join(e.dir, "plan.json")
	stranger := testsigner.FromSeed(signer.CurveK1, "stranger").PublicKey().String()
	for _, tc := range []struct {
		name string
		args []string
		rule string
	}{
		{"active to a key nobody holds", []string{"--rotate", permsPub("1002") + "=" + stranger}, "lockout"},
		{"owner threshold unreachable", []string{"--threshold", "owner=4"}, "unreachable-threshold"},
		{"native link", []string{"--link", "claim=eosio::updateauth"}, "native-link"},
		{"claim to software", []string{"--remove-key", "claim=" + permsPub("4001"), "--add-key", "claim=" + stranger}, "linked-unsatisfiable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"perms", "plan", permsAcct, "--team", e.team, "--out", out}, tc.args...)
			code, stdout, errOut := e.run("", args...)
			if code != exitRefused {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, exitRefused, stdout, errOut)
			}
			if !strings.Contains(stdout, "error ["+tc.rule+"]") || !strings.Contains(errOut, "refused") {
				t.Fatalf("output:\n%s\n%s", stdout, errOut)
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatal("a refused plan was written")
			}
		})
	}
}

func TestPermsPlanApply(t *testing.T) {
	e := newPermsEnv(t)
	planFile := filepath.Join(e.dir, "plan.json")
	code, out, errOut := e.run("", "perms", "plan", permsAcct, "--team", e.team, "--out", planFile,
		"--rotate", permsPub("1002")+"="+permsPub("1003"), "--template", "producer")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"~ active", "+ rotate  threshold 1, parent active", "eosio::updateauth by bpteam111111@active", "+ link eosio.bpay::claimrewards -> claim"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("plan output:\n%s", out)
	before := e.account()

	// No confirmation, no stdin: refused, nothing signed.
	code, _, errOut = e.run("", "perms", "apply", planFile, "--signer", "yubikey:serial=1002;slot=9c")
	if code != exitRefused || !strings.Contains(errOut, "nothing was signed") || !e.account().Equal(before) {
		t.Fatalf("without --yes: exit %d\n%s", code, errOut)
	}
	// Signers that cannot satisfy active.
	code, _, errOut = e.run("", "perms", "apply", planFile, "--yes", "--team", e.team, "--signer", "yubikey:serial=4001;slot=9c")
	if code != exitFailed || !strings.Contains(errOut, "cannot satisfy bpteam111111@active") || !strings.Contains(errOut, "{alice}") {
		t.Fatalf("short signers: exit %d\n%s", code, errOut)
	}
	// Confirmed on stdin.
	code, out, errOut = e.run("y\n", "perms", "apply", planFile, "--team", e.team, "--signer", "yubikey:serial=1002;slot=9c")
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"digest ", `"permission":"rotate"`, "now has the planned permissions"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("apply stderr lacks %q:\n%s", want, errOut)
		}
	}
	after := e.account()
	if after.Perm("rotate") == nil || !after.Perm("active").Auth.HasKey(permsKeys["1003"].PublicKey()) {
		t.Fatalf("chain not changed: %+v", after)
	}
	// The journal has the signature.
	if b, err := os.ReadFile(e.journal); err != nil || !bytes.Contains(b, []byte("perms apply")) {
		t.Fatalf("journal: %v %s", err, b)
	}
	// Applying the same plan again: the account drifted from its "before".
	code, _, errOut = e.run("", "perms", "apply", planFile, "--yes", "--signer", "yubikey:serial=1003;slot=9c")
	if code != exitRefused || !strings.Contains(errOut, "changed since the plan was made") {
		t.Fatalf("drift: exit %d\n%s", code, errOut)
	}
	// The new key controls the account: a further plan signed with it.
	code, _, errOut = e.run("", "perms", "plan", permsAcct, "--out", planFile, "--add-key", "claim="+permsPub("1001"))
	if code != 0 {
		t.Fatalf("second plan: %d %s", code, errOut)
	}
	if code, _, errOut = e.run("", "perms", "apply", planFile, "--yes", "--signer", "yubikey:serial=1003;slot=9c"); code != 0 {
		t.Fatalf("second apply: %d %s", code, errOut)
	}
}

func TestPermsApplyRefusesTamperedPlan(t *testing.T) {
	e := newPermsEnv(t)
	planFile := filepath.Join(e.dir, "plan.json")
	if code, _, errOut := e.run("", "perms", "plan", permsAcct, "--out", planFile, "--add-key", "claim="+permsPub("1001")); code != 0 {
		t.Fatalf("plan: %d %s", code, errOut)
	}
	b, _ := os.ReadFile(planFile)
	var p permissions.Plan
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	// Swap in an updateauth of owner.
	p.Actions[0].HexData = hex.EncodeToString(contracts.MustEncode(contracts.UpdateAuth{Account: permsAcct, Permission: "owner", Auth: permissions.Authority{Threshold: 1, Keys: []permissions.KeyWeight{{Key: permsKeys["1003"].PublicKey(), Weight: 1}}}.EOS()}))
	b, _ = json.Marshal(p)
	_ = os.WriteFile(planFile, b, 0o644)
	code, _, errOut := e.run("", "perms", "apply", planFile, "--yes", "--signer", "yubikey:serial=1002;slot=9c")
	if code != exitRefused || !strings.Contains(errOut, "not what its edits produce") {
		t.Fatalf("tampered: exit %d %s", code, errOut)
	}
}

func TestPolicyCheck(t *testing.T) {
	e := newPermsEnv(t)
	// active is alice's key alone: a condition of the account, listed as a
	// warning (no error).
	if code, out, errOut := e.run("", "policy", "check", permsAcct, "--team", e.team); code != exitPolicy || !strings.Contains(out, "warning [single-person-power] active") || strings.Contains(out, "error [") {
		t.Fatalf("single-key active: exit %d\n%s\n%s", code, out, errOut)
	}
	pol := filepath.Join(e.dir, "policy.yaml")
	_ = os.WriteFile(pol, []byte("permissions:\n  active:\n    min_holders: 2\n  claim:\n    allowed_links: [eosio.bpay::claimrewards]\n"), 0o644)
	code, out, _ := e.run("", "policy", "check", permsAcct, "--team", e.team, "--policy", pol)
	if code != exitPolicy || !strings.Contains(out, "[min-holders] active") || !strings.Contains(out, "[allowed-links] claim") {
		t.Fatalf("findings: exit %d\n%s", code, out)
	}
	_ = os.WriteFile(pol, []byte("permissions:\n  active:\n    min_holderz: 2\n"), 0o644)
	if code, _, errOut := e.run("", "policy", "check", permsAcct, "--policy", pol); code != exitUsage || !strings.Contains(errOut, "line 3") {
		t.Fatalf("bad policy: exit %d %s", code, errOut)
	}
}

func TestTxSignAndPush(t *testing.T) {
	e := newPermsEnv(t)
	h := e.dc.Head()
	claim := permissions.Authority{Threshold: 1, Keys: []permissions.KeyWeight{{Key: permsKeys["4001"].PublicKey(), Weight: 1}, {Key: permsKeys["1001"].PublicKey(), Weight: 1}}}
	claim.Normalize()
	data := contracts.MustEncode(contracts.UpdateAuth{Account: permsAcct, Permission: "claim", Parent: "active", Auth: claim.EOS()})
	tx := fmt.Sprintf(`{"expiration":%q,"ref_block_num":%d,"ref_block_prefix":%d,"max_net_usage_words":0,"max_cpu_usage_ms":0,"delay_sec":0,
	"context_free_actions":[],"actions":[{"account":"eosio","name":"updateauth","authorization":[{"actor":%q,"permission":"active"}],"data":%q}],"transaction_extensions":[]}`,
		h.Time.Add(time.Minute).Format("2006-01-02T15:04:05"), uint16(h.Num), h.RefBlockPrefix(), permsAcct, hex.EncodeToString(data))
	in := filepath.Join(e.dir, "tx.json")
	_ = os.WriteFile(in, []byte(tx), 0o644)
	if code, _, errOut := e.run("", "tx", "sign", "--yes", "--signer", "yubikey:serial=1002;slot=9c", in); code != exitUsage || !strings.Contains(errOut, "--chain-id") {
		t.Fatalf("no chain id: exit %d %s", code, errOut)
	}
	code, out, errOut := e.run("", "tx", "sign", "--yes", "--chain-id", e.dc.ChainID().String(), "--signer", "yubikey:serial=1002;slot=9c", in)
	if code != 0 || !strings.Contains(errOut, "eosio::updateauth by bpteam111111@active") {
		t.Fatalf("sign: exit %d\n%s", code, errOut)
	}
	signed := filepath.Join(e.dir, "signed.json")
	_ = os.WriteFile(signed, []byte(out), 0o644)
	code, out, errOut = e.run("", "tx", "push", signed)
	if code != 0 || len(strings.TrimSpace(out)) != 64 {
		t.Fatalf("push: exit %d\n%s\n%s", code, out, errOut)
	}
	if !e.account().Perm("claim").Auth.HasKey(permsKeys["1001"].PublicKey()) {
		t.Fatal("not applied")
	}
}

// TestTxSignAcceptsCleosOutput: 'cleos ... -s -d -j' writes the action data
// decoded with hex_data beside it, and signatures and context_free_data
// fields; tx sign and tx push take it as it is.
func TestTxSignAcceptsCleosOutput(t *testing.T) {
	e := newPermsEnv(t)
	h := e.dc.Head()
	claim := permissions.Authority{Threshold: 1, Keys: []permissions.KeyWeight{{Key: permsKeys["4001"].PublicKey(), Weight: 1}, {Key: permsKeys["1001"].PublicKey(), Weight: 1}}}
	claim.Normalize()
	data := contracts.MustEncode(contracts.UpdateAuth{Account: permsAcct, Permission: "claim", Parent: "active", Auth: claim.EOS()})
	tx := fmt.Sprintf(`{
  "expiration": %q,
  "ref_block_num": %d,
  "ref_block_prefix": %d,
  "max_net_usage_words": 0,
  "max_cpu_usage_ms": 0,
  "delay_sec": 0,
  "context_free_actions": [],
  "actions": [{
      "account": "eosio",
      "name": "updateauth",
      "authorization": [{"actor": %q, "permission": "active"}],
      "data": {"account": %q, "permission": "claim", "parent": "active", "auth": {"threshold": 1, "keys": [], "accounts": [], "waits": []}},
      "hex_data": %q
    }
  ],
  "transaction_extensions": [],
  "signatures": [],
  "context_free_data": []
}`, h.Time.Add(time.Minute).Format("2006-01-02T15:04:05"), uint16(h.Num), h.RefBlockPrefix(), permsAcct, permsAcct, hex.EncodeToString(data))
	in := filepath.Join(e.dir, "cleos.json")
	_ = os.WriteFile(in, []byte(tx), 0o644)
	code, out, errOut := e.run("", "tx", "sign", "--yes", "--chain-id", e.dc.ChainID().String(), "--signer", "yubikey:serial=1002;slot=9c", in)
	if code != 0 {
		t.Fatalf("sign: exit %d\n%s", code, errOut)
	}
	signed := filepath.Join(e.dir, "signed.json")
	_ = os.WriteFile(signed, []byte(out), 0o644)
	if code, out, errOut := e.run("", "tx", "push", signed); code != 0 || len(strings.TrimSpace(out)) != 64 {
		t.Fatalf("push: exit %d\n%s\n%s", code, out, errOut)
	}
	if !e.account().Perm("claim").Auth.HasKey(permsKeys["1001"].PublicKey()) {
		t.Fatal("not applied")
	}
	// Context-free data is kept: it is part of the signing digest.
	withCFD := strings.Replace(tx, `"context_free_data": []`, `"context_free_data": ["00ff"]`, 1)
	_ = os.WriteFile(in, []byte(withCFD), 0o644)
	f, st, err := readTxFile(in)
	if err != nil || len(st.ContextFreeData) != 1 || hex.EncodeToString(st.ContextFreeData[0]) != "00ff" || len(f.ContextFreeData) != 1 {
		t.Fatalf("context_free_data: %v %v", err, st.ContextFreeData)
	}
}
