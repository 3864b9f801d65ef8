package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/internal/oracle"
	"github.com/bpkeys/bpkeys/internal/softhsmtest"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/tui"
	"github.com/bpkeys/bpkeys/txflow"
)

// TestGateHazards runs every hazard of issue 12 through each entry path
// that signs (the CLI commands and the TUI backend), against the devchain
// with SoftHSM and emulated-YubiKey signers: each is refused before any
// signature (exit 4 where the README says so) and the journal gains no line.
func TestGateHazards(t *testing.T) {
	if testing.Short() {
		t.Skip("system test: SoftHSM2, pcscd and the node oracle")
	}
	softhsmtest.InChildProcess(t, "TestGateHazards", gateHazardsChild)
}

// gateTeamFile names who holds the members' keys: mallory is not in it.
func (e *msigEnv) gateTeamFile() string {
	var b strings.Builder
	b.WriteString("members:\n  - name: alice\n    account: alice@active\n  - name: bob\n    account: bob@active\n  - name: carol\n    account: carol@active\nkeys:\n")
	for _, who := range []string{"alice", "bob", "carol"} {
		fmt.Fprintf(&b, "  - key: %s\n    holder: %s\n    hardware: true\n", e.pubs[who], who)
	}
	p := filepath.Join(e.t.TempDir(), "team.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// lockoutAuth is bpteam111111@owner given to a key nobody on the team holds.
func lockoutUpdateauth() []byte {
	return contracts.MustEncode(contracts.UpdateAuth{Account: "bpteam111111", Permission: "owner", Parent: "",
		Auth: eos.Authority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: malloryKey.PublicKey().ECC(), Weight: 1}}}})
}

// oracleLockoutProposal has wharfkit serialise a proposal that hands
// bpteam111111@owner to mallory's key, and mallory proposes it, signing
// with her own key: a proposal built with another tool.
func (e *msigEnv) oracleLockoutProposal(name string) {
	t := e.t
	msigABI, err := contracts.ABIJSON("eosio.msig")
	if err != nil {
		t.Fatal(err)
	}
	inner := map[string]any{
		"expiration": "2026-06-01T00:00:00", "ref_block_num": 0, "ref_block_prefix": 0,
		"max_net_usage_words": 0, "max_cpu_usage_ms": 0, "delay_sec": 0, "context_free_actions": []any{},
		"actions": []any{map[string]any{"account": "eosio", "name": "updateauth",
			"authorization": []any{map[string]string{"actor": "bpteam111111", "permission": "owner"}},
			"data":          hex.EncodeToString(lockoutUpdateauth())}},
		"transaction_extensions": []any{},
	}
	value, _ := json.Marshal(map[string]any{"proposer": "mallory", "proposal_name": name, "trx": inner,
		"requested": []any{map[string]string{"actor": "alice", "permission": "active"}, map[string]string{"actor": "bob", "permission": "active"}, map[string]string{"actor": "carol", "permission": "active"}}})
	res := oracle.Run(t, oracle.Request{Serialize: &oracle.CodecRequest{ABI: msigABI, Items: []oracle.CodecItem{{Type: "propose", Value: value}}}})
	if len(res.Serialize) != 1 || res.Serialize[0].Error != "" {
		t.Fatalf("wharfkit: %+v", res.Serialize)
	}
	data, _ := hex.DecodeString(res.Serialize[0].Hex)
	cl, err := chain.New(chain.Options{URLs: []string{e.url}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	act := &eos.Action{Account: "eosio.msig", Name: "propose", Authorization: []eos.PermissionLevel{{Actor: "mallory", Permission: "active"}}, ActionData: eos.NewActionDataFromHexData(data)}
	tx, err := cl.NewTransaction(ctx, []*eos.Action{act}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := signer.SignTransaction(ctx, tx, e.dc.ChainID(), []signer.PublicKey{malloryKey.PublicKey()}, []signer.Signer{malloryKey}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Push(ctx, tx); err != nil {
		t.Fatalf("mallory's proposal: %v", err)
	}
	e.dc.ProduceBlocks(1)
}

func gateHazardsChild(t *testing.T) {
	e := setupMsigDevices(t)
	team := e.gateTeamFile()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lockoutActions := write("lockout.json", fmt.Sprintf(`[{"account":"eosio","name":"updateauth","authorization":[{"actor":"bpteam111111","permission":"owner"}],"hex_data":"%x"}]`, lockoutUpdateauth()))
	unreachable := contracts.MustEncode(contracts.UpdateAuth{Account: "bpteam111111", Permission: "active", Parent: "owner",
		Auth: eos.Authority{Threshold: 5, Accounts: []eos.PermissionLevelWeight{{Permission: eos.PermissionLevel{Actor: "alice", Permission: "active"}, Weight: 1}}}})
	unreachableActions := write("unreachable.json", fmt.Sprintf(`[{"account":"eosio","name":"updateauth","authorization":[{"actor":"bpteam111111","permission":"active"}],"hex_data":"%x"}]`, unreachable))
	badName := write("badname.json", `{"expiration":"2026-06-01T00:00:00","ref_block_num":1,"ref_block_prefix":2,"max_net_usage_words":0,"max_cpu_usage_ms":0,"delay_sec":0,"context_free_actions":[],"actions":[{"account":"eosio.tokeN","name":"transfer","authorization":[{"actor":"alice","permission":"active"}],"data":"00"}]}`)
	offlineAuth := write("offline.json", fmt.Sprintf(`{"expiration":"2026-06-01T00:00:00","ref_block_num":1,"ref_block_prefix":2,"max_net_usage_words":0,"max_cpu_usage_ms":0,"delay_sec":0,"context_free_actions":[],"actions":[{"account":"eosio","name":"updateauth","authorization":[{"actor":"bpteam111111","permission":"owner"}],"hex_data":"%x"}]}`, lockoutUpdateauth()))
	planFile := e.editedPlans(dir)
	e.oracleLockoutProposal("evil")
	e.oracleLockoutProposal("evil2")
	// The approvals that make it executable, given with another tool
	// (the HSM keys signing directly, not through bpkeys).
	e.otherToolApproves("evil", "alice", e.alice)
	e.otherToolApproves("evil", "carol", e.carol)
	chainID := e.dc.ChainID().String()

	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		want  string
		noURL bool
	}{
		{"msig propose of a lockout", []string{"--team", team, "--yes", "msig", "propose", "--proposer", "alice", "--actions", lockoutActions, "--signer", e.alice}, exitRefused, "lockout", false},
		{"msig propose of an unreachable threshold, no team file", []string{"--yes", "msig", "propose", "--proposer", "alice", "--actions", unreachableActions, "--signer", e.alice}, exitRefused, "unreachable", false},
		{"msig approve of another tool's lockout", []string{"--team", team, "--yes", "msig", "approve", "mallory", "evil", "--as", "bob@active", "--signer", e.bob}, exitRefused, "lockout", false},
		{"msig exec of another tool's lockout", []string{"--team", team, "--yes", "msig", "exec", "mallory", "evil", "--as", "bob@active", "--signer", e.bob}, exitRefused, "lockout", false},
		{"tx sign of a name eos-go would change", []string{"--chain-id", chainID, "--yes", "tx", "sign", badName, "--signer", e.alice}, exitUsage, "eosio.tokeN", false},
		{"tx sign of an authority change offline", []string{"--chain-id", chainID, "--yes", "tx", "sign", offlineAuth, "--signer", e.alice}, exitRefused, "judges against the chain", true},
		{"tx sign of a lockout against the chain", []string{"--team", team, "--url", e.url, "--chain-id", chainID, "--yes", "tx", "sign", offlineAuth, "--signer", e.alice}, exitRefused, "lockout", false},
		{"msig propose --plan with edited actions", []string{"--yes", "msig", "propose", "--proposer", "alice", "--plan", planFile + ".actions", "--signer", e.alice}, exitRefused, "not what its edits produce", false},
		{"msig propose --plan without a chain id", []string{"--yes", "msig", "propose", "--proposer", "alice", "--plan", planFile + ".nochain", "--signer", e.alice}, exitRefused, "no chain id", false},
		{"perms apply with edited actions", []string{"--yes", "perms", "apply", planFile + ".actions", "--signer", e.alice, "--signer", e.carol}, exitRefused, "not what its edits produce", false},
		{"sign-digest with no terminal and no --yes", []string{"sign-digest", e.alice, strings.Repeat("ab", 32)}, exitRefused, "blind", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			before := e.journalLines()
			var code int
			var errOut string
			if !tc.noURL {
				code, _, errOut = e.run(tc.args...)
			} else {
				var stdout, stderr bytes.Buffer
				t.Setenv("BPKEYS_URL", "")
				code = run(context.Background(), append([]string{"--journal", e.journal}, tc.args...), strings.NewReader(""), &stdout, &stderr)
				errOut = stderr.String()
			}
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d (want %d), stderr lacks %q:\n%s", code, tc.code, tc.want, errOut)
			}
			if after := e.journalLines(); after != before {
				t.Fatalf("journal grew %d -> %d: something was signed", before, after)
			}
		})
	}

	t.Run("no endpoint named: no command reaches a chain", func(t *testing.T) {
		t.Setenv("BPKEYS_URL", "")
		for _, args := range [][]string{
			{"msig", "propose", "--proposer", "alice", "--actions", lockoutActions, "--signer", e.alice},
			{"msig", "approve", "mallory", "evil", "--as", "alice@active", "--signer", e.alice},
			{"msig", "unapprove", "mallory", "evil", "--as", "alice@active", "--signer", e.alice},
			{"msig", "cancel", "mallory", "evil", "--signer", e.alice},
			{"msig", "exec", "mallory", "evil", "--as", "alice@active", "--signer", e.alice},
			{"msig", "invalidate", "--as", "alice@active", "--signer", e.alice},
			{"perms", "apply", planFile, "--signer", e.alice},
			{"producer", "rotate-key", "bpteam111111", "--new-key", e.pubs["carol"].String(), "--signer", e.alice},
			{"producer", "unregister", "bpteam111111", "--signer", e.alice},
			{"claim", "bpteam111111", "--signer", e.alice},
		} {
			var stdout, stderr bytes.Buffer
			before := e.journalLines()
			code := run(context.Background(), append([]string{"--journal", e.journal, "--yes"}, args...), strings.NewReader(""), &stdout, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), "no chain endpoint") || e.journalLines() != before {
				t.Errorf("%v: exit %d: %s", args, code, stderr.String())
			}
		}
	})

	t.Run("perms apply shows the diff of the actions, not the file's", func(t *testing.T) {
		e.t = t
		before := e.journalLines()
		code, _, errOut := e.run("perms", "apply", planFile+".diff", "--signer", e.alice, "--signer", e.carol)
		if code != exitRefused || strings.Contains(errOut, "nothing to see here") || !strings.Contains(errOut, "threshold 2 -> 3") {
			t.Fatalf("exit %d:\n%s", code, errOut)
		}
		if e.journalLines() != before {
			t.Fatal("signed without confirmation")
		}
	})

	t.Run("msig review shows another tool's lockout", func(t *testing.T) {
		e.t = t
		out := e.mustRun("--team", team, "msig", "review", "mallory", "evil")
		if !strings.Contains(out, "bpteam111111@owner") || !strings.Contains(out, "lockout") {
			t.Fatalf("review:\n%s", out)
		}
	})

	t.Run("TUI approve and exec of another tool's lockout", func(t *testing.T) {
		e.t = t
		a := &app{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, urls: []string{e.url}, journalPath: e.journal, team: team}
		a.tuiDevices.pivReaders = []string{"none"}
		t.Setenv("BPKEYS_PKCS11_MODULE", p11Module)
		b, err := a.newTUIBackend()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, req := range []tui.SignRequest{
			{Kind: tui.SignApprove, Proposer: "mallory", Proposal: "evil2"},
			{Kind: tui.SignExec, Proposer: "mallory", Proposal: "evil"},
		} {
			rv, err := b.Review(ctx, req.Proposer, req.Proposal)
			if err != nil {
				t.Fatal(err)
			}
			req.Hash = rv.Hash
			before := e.journalLines()
			_, err = b.PrepareSign(ctx, req)
			if !txflow.IsRefused(err) || exitCode(ctx, err) != exitRefused {
				t.Fatalf("TUI %s: %v", req.Kind, err)
			}
			if e.journalLines() != before {
				t.Fatalf("the TUI signed %s", req.Kind)
			}
		}
	})

	t.Run("approve, unapprove, approve within one second", func(t *testing.T) {
		e.t = t
		file := e.writeRotation("again", e.pubs["alice"])
		e.mustRun("--yes", "msig", "propose", "--proposer", "alice", "--actions", file, "--name", "again", "--signer", e.alice)
		// No block between the three commands: the same head, the same
		// expiration, so the third would be the first's bytes.
		noBlock := func(args ...string) string {
			var stdout, stderr bytes.Buffer
			full := append([]string{"--url", e.url, "--journal", e.journal, "--yes", "--json"}, args...)
			if code := run(context.Background(), full, strings.NewReader(""), &stdout, &stderr); code != exitOK {
				t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
			}
			var out struct {
				Sent struct {
					ID string `json:"transaction_id"`
				} `json:"sent"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
				t.Fatalf("%v: %v: %s", args, err, stdout.String())
			}
			return out.Sent.ID
		}
		first := noBlock("msig", "approve", "alice", "again", "--as", "bob@active", "--signer", e.bob)
		noBlock("msig", "unapprove", "alice", "again", "--as", "bob@active", "--signer", e.bob)
		third := noBlock("msig", "approve", "alice", "again", "--as", "bob@active", "--signer", e.bob)
		if third == first {
			t.Fatalf("the second approval reused the first's transaction %s", first)
		}
		r, _ := e.review("again")
		provided := false
		for _, p := range r.Proposal.Provided {
			provided = provided || p.Level == eos.PermissionLevel{Actor: "bob", Permission: "active"}
		}
		if !provided {
			t.Fatalf("bob's approval is not provided after approving again: %+v", r.Proposal)
		}
		found := false
		for _, l := range e.journalEntries() {
			found = found || l.TrxID == third
		}
		if !found {
			t.Fatalf("transaction %s is not the one bpkeys journalled", third)
		}
	})
}

// otherToolApproves approves proposer mallory's proposal name as who@active
// with the device key at ref, signing directly (another tool's approval).
func (e *msigEnv) otherToolApproves(name, who, ref string) {
	t := e.t
	ctx := context.Background()
	a := &app{}
	reg := devices.NewRegistry(a.backends()...)
	key, err := reg.Open(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	defer key.Close()
	cl, err := chain.New(chain.Options{URLs: []string{e.url}})
	if err != nil {
		t.Fatal(err)
	}
	level := eos.PermissionLevel{Actor: eos.AccountName(who), Permission: "active"}
	data := contracts.MustEncode(contracts.Approve{Proposer: "mallory", ProposalName: eos.Name(name), Level: level})
	act := &eos.Action{Account: "eosio.msig", Name: "approve", Authorization: []eos.PermissionLevel{level}, ActionData: eos.NewActionDataFromHexData(data)}
	tx, err := cl.NewTransaction(ctx, []*eos.Action{act}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := signer.SignTransaction(ctx, tx, e.dc.ChainID(), []signer.PublicKey{key.PublicKey()}, []signer.Signer{key}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Push(ctx, tx); err != nil {
		t.Fatalf("%s's approval: %v", who, err)
	}
	e.dc.ProduceBlocks(1)
}

// editedPlans writes a plan (bpteam111111@active from 2 to 3 of 3) and
// three altered copies: PLAN.actions with an action swapped for a lockout,
// PLAN.nochain without its chain id, PLAN.diff with a made-up diff.
func (e *msigEnv) editedPlans(dir string) string {
	t := e.t
	plan := filepath.Join(dir, "plan.json")
	e.mustRun("perms", "plan", "bpteam111111", "--threshold", "active=3", "--out", plan)
	b, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(suffix string, change func(m map[string]any)) {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		change(m)
		out, _ := json.Marshal(m)
		if err := os.WriteFile(plan+suffix, out, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	edit(".actions", func(m map[string]any) {
		m["actions"].([]any)[0].(map[string]any)["hex_data"] = hex.EncodeToString(lockoutUpdateauth())
	})
	edit(".nochain", func(m map[string]any) { delete(m, "chain_id") })
	edit(".diff", func(m map[string]any) { m["diff"] = []string{"nothing to see here"} })
	return plan
}
