package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/internal/pivcard/pivtest"
	"github.com/bpkeys/bpkeys/internal/softhsmtest"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

func TestMsigDevices(t *testing.T) {
	softhsmtest.InChildProcess(t, "TestMsigDevices", msigDevicesChild)
}

type msigEnv struct {
	t       *testing.T
	dc      *devchain.Chain
	url     string
	journal string
	alice   string // SoftHSM K1
	carol   string // SoftHSM K1
	bob     string // emulated YubiKey R1
	pubs    map[string]signer.PublicKey
}

func (e *msigEnv) run(args ...string) (int, string, string) {
	e.t.Helper()
	// Time passes between commands, as on a real chain: two identical
	// commands are then two transactions, not one.
	e.dc.ProduceBlocks(1)
	var stdout, stderr bytes.Buffer
	full := append([]string{"--url", e.url, "--journal", e.journal}, args...)
	code := run(context.Background(), full, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func (e *msigEnv) mustRun(args ...string) string {
	e.t.Helper()
	code, out, errOut := e.run(args...)
	if code != exitOK {
		e.t.Fatalf("bpkeys %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func (e *msigEnv) journalLines() int {
	j, err := audit.Open(e.journal)
	if err != nil {
		e.t.Fatal(err)
	}
	es, _ := j.Entries()
	return len(es)
}

func setupMsigDevices(t *testing.T) *msigEnv {
	toks := softhsmtest.Setup("4321", "msig")
	t.Cleanup(toks.Close)
	toks.Require(t)
	dir := t.TempDir()
	t.Setenv("BPKEYS_MSIG_TEST_PIN", "4321")
	t.Setenv("BPKEYS_MSIG_YK_PIN", "123456")
	t.Setenv("BPKEYS_MSIG_YK_MGMT", "010203040506070801020304050607080102030405060708")

	e := &msigEnv{t: t, journal: filepath.Join(dir, "journal.jsonl"), pubs: map[string]signer.PublicKey{}}
	e.alice = "pkcs11:token=msig;object=alice?module-path=" + p11Module + "&pin-source=env:BPKEYS_MSIG_TEST_PIN"
	e.carol = "pkcs11:token=msig;object=carol?module-path=" + p11Module + "&pin-source=env:BPKEYS_MSIG_TEST_PIN"
	card := pivtest.NewCard(t)
	e.bob = fmt.Sprintf("yubikey:serial=%d;slot=9a?pin-source=env:BPKEYS_MSIG_YK_PIN&management-key-source=env:BPKEYS_MSIG_YK_MGMT", card.Serial())

	gen := func(who, ref string, extra ...string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"keys", "generate", ref}, extra...), strings.NewReader(""), &stdout, &stderr)
		out, errOut := stdout.String(), stderr.String()
		if code != exitOK {
			t.Fatalf("keys generate %s: exit %d: %s", who, code, errOut)
		}
		pub, err := signer.ParsePublicKey(strings.TrimSpace(out))
		if err != nil {
			t.Fatalf("%s: %q: %v", who, out, err)
		}
		e.pubs[who] = pub
	}
	gen("alice", e.alice, "--curve", "k1")
	gen("carol", e.carol, "--curve", "k1")
	gen("bob", e.bob, "--curve", "r1", "--pin-policy", "once", "--touch-policy", "never")
	if e.pubs["alice"].Curve != signer.CurveK1 || e.pubs["bob"].Curve != signer.CurveR1 {
		t.Fatalf("curves: %v", e.pubs)
	}

	g := &devchain.Genesis{Time: "2026-01-01T00:00:00.000"}
	keyAuth := func(k signer.PublicKey) devchain.GenesisAuthority {
		var a devchain.GenesisAuthority
		a.Threshold = 1
		a.Keys = append(a.Keys, struct {
			Key    string `json:"key"`
			Weight uint16 `json:"weight"`
		}{k.String(), 1})
		return a
	}
	member := func(name string, k signer.PublicKey) devchain.GenesisAccount {
		return devchain.GenesisAccount{Name: name, Balance: "100.0000 EOS", Permissions: []devchain.GenesisPermission{
			{PermName: "owner", RequiredAuth: keyAuth(k)}, {PermName: "active", Parent: "owner", RequiredAuth: keyAuth(k)}}}
	}
	var team devchain.GenesisAuthority
	if err := json.Unmarshal([]byte(`{"threshold":2,"accounts":[
		{"permission":{"actor":"alice","permission":"active"},"weight":1},
		{"permission":{"actor":"bob","permission":"active"},"weight":1},
		{"permission":{"actor":"carol","permission":"active"},"weight":1}]}`), &team); err != nil {
		t.Fatal(err)
	}
	// dave is a member whose owner is the team: the team rotates his key.
	oldDave := signer.PublicKey(e.pubs["carol"])
	g.Accounts = append(g.Accounts, member("alice", e.pubs["alice"]), member("bob", e.pubs["bob"]), member("carol", e.pubs["carol"]),
		devchain.GenesisAccount{Name: "bpteam111111", Balance: "100.0000 EOS", Permissions: []devchain.GenesisPermission{
			{PermName: "owner", RequiredAuth: team}, {PermName: "active", Parent: "owner", RequiredAuth: team}}},
		member("mallory", malloryKey.PublicKey()),
		devchain.GenesisAccount{Name: "dave", Permissions: []devchain.GenesisPermission{
			{PermName: "owner", RequiredAuth: mustAuth(t, `{"threshold":1,"accounts":[{"permission":{"actor":"bpteam111111","permission":"active"},"weight":1}]}`)},
			{PermName: "active", Parent: "owner", RequiredAuth: keyAuth(oldDave)}}},
	)
	dc, err := devchain.New(g, devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(dc.Handler())
	t.Cleanup(func() { srv.Close(); dc.Close() })
	e.dc, e.url = dc, srv.URL
	return e
}

// malloryKey is an outsider's in-memory key (a test fixture, not bpkeys'):
// mallory proposes with another tool.
var malloryKey = testsigner.FromSeed(signer.CurveK1, "gate-mallory")

func mustAuth(t *testing.T, js string) devchain.GenesisAuthority {
	var a devchain.GenesisAuthority
	if err := json.Unmarshal([]byte(js), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func (e *msigEnv) writeRotation(name string, newKey signer.PublicKey) string {
	auth := eos.Authority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: newKey.ECC(), Weight: 1}}}
	data := contracts.MustEncode(contracts.UpdateAuth{Account: "dave", Permission: "active", Parent: "owner", Auth: auth})
	js := fmt.Sprintf(`[{"account":"eosio","name":"updateauth","authorization":[{"actor":"dave","permission":"owner"}],"hex_data":"%x"}]`, data)
	p := filepath.Join(e.t.TempDir(), name+".json")
	os.WriteFile(p, []byte(js), 0o600)
	return p
}

type reviewJSON struct {
	Proposal struct {
		Hash      string `json:"proposal_hash"`
		Requested []struct {
			Level eos.PermissionLevel `json:"level"`
		} `json:"requested_approvals"`
		Provided []struct {
			Level eos.PermissionLevel `json:"level"`
		} `json:"provided_approvals"`
	} `json:"proposal"`
	Verdict struct {
		Executable bool     `json:"executable"`
		Reasons    []string `json:"reasons"`
	} `json:"verdict"`
}

func (e *msigEnv) review(name string) (reviewJSON, string) {
	e.t.Helper()
	var r reviewJSON
	out := e.mustRun("--json", "msig", "review", "alice", name)
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		e.t.Fatalf("review --json: %v\n%s", err, out)
	}
	return r, e.mustRun("msig", "review", "alice", name)
}

func msigDevicesChild(t *testing.T) {
	e := setupMsigDevices(t)
	newKey := e.pubs["bob"] // dave's new key: an R1 key (any key will do)

	t.Run("rotate a member key: propose, review, two devices approve, exec", func(t *testing.T) {
		e.t = t
		file := e.writeRotation("rot", newKey)
		out := e.mustRun("--yes", "msig", "propose", "--proposer", "alice", "--actions", file, "--name", "rotdave", "--signer", e.alice)
		if !strings.Contains(out, "requested      alice@active, bob@active, carol@active") {
			t.Fatalf("propose output:\n%s", out)
		}
		r, text := e.review("rotdave")
		for _, want := range []string{
			"change the authority of dave@active",
			"- key " + e.pubs["carol"].String() + " weight 1",
			"+ key " + newKey.String() + " weight 1",
			"Approvals: 0 of 3 asked",
			"[ ] bpteam111111@active (weight 1)  0/2",
			"not executable",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("review lacks %q:\n%s", want, text)
			}
		}
		if r.Verdict.Executable || len(r.Proposal.Provided) != 0 {
			t.Fatalf("fresh proposal executable: %+v", r)
		}
		// Exec before approvals fails early, naming what is missing.
		code, _, errOut := e.run("--yes", "msig", "exec", "alice", "rotdave", "--as", "alice@active", "--signer", e.alice)
		if code != exitFailed || !strings.Contains(errOut, "needs approval from alice@active or bob@active or carol@active") {
			t.Fatalf("early exec: exit %d: %s", code, errOut)
		}
		before := e.journalLines()
		e.mustRun("--yes", "msig", "approve", "alice", "rotdave", "--as", "bob@active", "--signer", e.bob, "--hash", r.Proposal.Hash)
		e.mustRun("--yes", "msig", "approve", "alice", "rotdave", "--as", "alice@active", "--signer", e.alice)
		if got := e.journalLines(); got != before+2 {
			t.Fatalf("journal grew by %d, want 2", got-before)
		}
		r, text = e.review("rotdave")
		if !r.Verdict.Executable || len(r.Proposal.Provided) != 2 || !strings.Contains(text, "EXECUTABLE now") || !strings.Contains(text, "[x] bpteam111111@active (weight 1)  2/2") {
			t.Fatalf("after two approvals: %+v\n%s", r, text)
		}
		e.mustRun("--yes", "msig", "exec", "alice", "rotdave", "--as", "carol@active", "--signer", e.carol)
		acct, err := e.dc.GetAccount("dave")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range acct.Permissions {
			if p.PermName == "active" {
				got, err := signer.ParsePublicKey(p.RequiredAuth.Keys[0].Key)
				if err != nil || got != newKey {
					t.Fatalf("dave@active key %s, want %s", p.RequiredAuth.Keys[0].Key, newKey)
				}
			}
		}
	})

	t.Run("replaced between review and approval: refused, nothing signed", func(t *testing.T) {
		e.t = t
		first := e.writeRotation("a", e.pubs["alice"])
		second := e.writeRotation("b", e.pubs["carol"])
		e.mustRun("--yes", "msig", "propose", "--proposer", "alice", "--actions", first, "--name", "swap", "--signer", e.alice)
		r, _ := e.review("swap")
		replace := func() {
			e.mustRun("--yes", "msig", "cancel", "alice", "swap", "--signer", e.alice)
			e.mustRun("--yes", "msig", "propose", "--proposer", "alice", "--actions", second, "--name", "swap", "--signer", e.alice)
		}
		// Across commands: the hash from the review no longer matches.
		replace()
		before := e.journalLines()
		code, _, errOut := e.run("--yes", "msig", "approve", "alice", "swap", "--as", "carol@active", "--signer", e.carol, "--hash", r.Proposal.Hash)
		if code != exitRefused || !strings.Contains(errOut, "it was replaced") || e.journalLines() != before {
			t.Fatalf("approve with stale --hash: exit %d (journal %d -> %d): %s", code, before, e.journalLines(), errOut)
		}
		// Within one command: replaced after it was shown, before signing.
		msigHooks.beforeReread = func() { msigHooks.beforeReread = nil; replace() }
		t.Cleanup(func() { msigHooks.beforeReread = nil })
		before = e.journalLines()
		code, _, errOut = e.run("--yes", "msig", "approve", "alice", "swap", "--as", "carol@active", "--signer", e.carol)
		after := e.journalLines()
		if code != exitRefused || !strings.Contains(errOut, "changed after it was shown") || !strings.Contains(errOut, "nothing was signed") || after != before+2 {
			// +2: the cancel and the propose of the replacement were signed.
			t.Fatalf("approve while replaced: exit %d (journal %d -> %d): %s", code, before, after, errOut)
		}
		// Approve it now, then it is replaced again: bpkeys refuses the new
		// hash under the name it approved.
		e.mustRun("--yes", "msig", "approve", "alice", "swap", "--as", "carol@active", "--signer", e.carol)
		e.mustRun("--yes", "msig", "cancel", "alice", "swap", "--signer", e.alice)
		e.mustRun("--yes", "msig", "propose", "--proposer", "alice", "--actions", first, "--name", "swap", "--signer", e.alice)
		before = e.journalLines()
		code, _, errOut = e.run("--yes", "msig", "approve", "alice", "swap", "--as", "carol@active", "--signer", e.carol)
		if code != exitRefused || !strings.Contains(errOut, "approved alice/swap with hash") || e.journalLines() != before {
			t.Fatalf("approve a replaced name: exit %d: %s", code, errOut)
		}
		e.mustRun("--yes", "msig", "approve", "alice", "swap", "--as", "carol@active", "--signer", e.carol, "--allow-replaced")
	})

	t.Run("wrong hash: refused by the chain, reported", func(t *testing.T) {
		e.t = t
		file := e.writeRotation("w1", e.pubs["alice"])
		other := e.writeRotation("w2", e.pubs["carol"])
		// The same rotation is already proposed as alice/swap: refused,
		// naming it, unless meant.
		before := e.journalLines()
		code, _, errOut := e.run("--yes", "msig", "propose", "--proposer", "alice", "--actions", file, "--name", "wrong", "--signer", e.alice)
		if code != exitRefused || !strings.Contains(errOut, "as alice/swap") || e.journalLines() != before {
			t.Fatalf("duplicate propose: exit %d: %s", code, errOut)
		}
		e.mustRun("--yes", "msig", "propose", "--proposer", "alice", "--actions", file, "--name", "wrong", "--signer", e.alice, "--allow-duplicate")
		// Replaced after the signature: only the chain can notice.
		msigHooks.beforePush = func() {
			msigHooks.beforePush = nil
			e.mustRun("--yes", "msig", "cancel", "alice", "wrong", "--signer", e.alice)
			e.mustRun("--yes", "msig", "propose", "--proposer", "alice", "--actions", other, "--name", "wrong", "--signer", e.alice)
		}
		t.Cleanup(func() { msigHooks.beforePush = nil })
		code, _, errOut = e.run("--yes", "msig", "approve", "alice", "wrong", "--as", "bob@active", "--signer", e.bob)
		if code != exitRefused || !strings.Contains(errOut, "the chain refused the approval") || !strings.Contains(errOut, "hash mismatch") {
			t.Fatalf("wrong hash: exit %d: %s", code, errOut)
		}
	})

	t.Run("no terminal and no --yes: refused", func(t *testing.T) {
		e.t = t
		before := e.journalLines()
		code, _, errOut := e.run("msig", "invalidate", "--as", "bob@active", "--signer", e.bob)
		if code != exitRefused || !strings.Contains(errOut, "pass --yes") || e.journalLines() != before {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})

	t.Run("inbox and list", func(t *testing.T) {
		e.t = t
		out := e.mustRun("--json", "msig", "inbox", "--as", "bob@active")
		var inbox struct {
			Awaiting []struct {
				Proposer string `json:"proposer"`
				Name     string `json:"proposal_name"`
			} `json:"awaiting"`
		}
		if err := json.Unmarshal([]byte(out), &inbox); err != nil {
			t.Fatal(err)
		}
		// swap and wrong await bob; rotdave was executed.
		if len(inbox.Awaiting) != 2 || inbox.Awaiting[0].Name != "swap" || inbox.Awaiting[1].Name != "wrong" {
			t.Fatalf("inbox: %s", out)
		}
		// Without --as: the keys on the connected devices (bob's YubiKey,
		// alice's and carol's HSM keys).
		out = e.mustRun("msig", "inbox")
		if !strings.Contains(out, "swap") {
			t.Fatalf("inbox from present keys:\n%s", out)
		}
		out = e.mustRun("msig", "list", "alice")
		if !strings.Contains(out, "swap") || !strings.Contains(out, "wrong") {
			t.Fatalf("list:\n%s", out)
		}
	})
}

func (e *msigEnv) journalEntries() []audit.Entry {
	j, err := audit.Open(e.journal)
	if err != nil {
		e.t.Fatal(err)
	}
	es, _ := j.Entries()
	return es
}
