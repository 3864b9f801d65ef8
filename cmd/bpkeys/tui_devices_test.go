package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/devchain/demokeys"
	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/hsm/pkcs11"
	"github.com/bpkeys/bpkeys/internal/pivcard/pivtest"
	"github.com/bpkeys/bpkeys/internal/softhsmtest"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/tui"
)

// TestTUIDevices drives the TUI over the real adapter, the devchain and two
// devices: alice's key on SoftHSM2, bob's on the emulated YubiKey. A
// lockout is refused in Plan; dave's key is rotated through Plan →
// Propose, approved from the inbox with each device (PINs typed into the
// masked input), executed, and the tree shows the new key.
func TestTUIDevices(t *testing.T) {
	softhsmtest.InChildProcess(t, "TestTUIDevices", tuiDevicesChild)
}

func tuiDevicesChild(t *testing.T) {
	const hsmPIN, ykPIN = "4321", "123456"
	toks := softhsmtest.Setup(hsmPIN, "tuihsm")
	t.Cleanup(toks.Close)
	toks.Require(t)
	t.Setenv(pkcs11.ModuleEnv, softhsmtest.Module)
	t.Setenv("BPKEYS_TUI_TEST_PIN", hsmPIN)
	t.Setenv("BPKEYS_TUI_YK_PIN", ykPIN)
	t.Setenv("BPKEYS_TUI_YK_MGMT", "010203040506070801020304050607080102030405060708")
	card := pivtest.NewCard(t)

	gen := func(ref string, extra ...string) signer.PublicKey {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), append([]string{"keys", "generate", ref}, extra...), strings.NewReader(""), &stdout, &stderr); code != exitOK {
			t.Fatalf("keys generate %s: exit %d: %s", ref, code, stderr.String())
		}
		pub, err := signer.ParsePublicKey(strings.TrimSpace(stdout.String()))
		if err != nil {
			t.Fatal(err)
		}
		return pub
	}
	alice := gen("pkcs11:token=tuihsm;object=alice?pin-source=env:BPKEYS_TUI_TEST_PIN", "--curve", "k1")
	bob := gen(fmt.Sprintf("yubikey:serial=%d;slot=9a?pin-source=env:BPKEYS_TUI_YK_PIN&management-key-source=env:BPKEYS_TUI_YK_MGMT", card.Serial()),
		"--curve", "r1", "--pin-policy", "once", "--touch-policy", "never")
	carolKey, err := demokeys.NewR1("carol") // carol's device is not connected
	if err != nil {
		t.Fatal(err)
	}
	carol := carolKey.PublicKey()
	newKey, err := demokeys.NewK1PublicKey()
	if err != nil {
		t.Fatal(err)
	}

	keyAuth := func(k signer.PublicKey) devchain.GenesisAuthority {
		return mustAuth(t, fmt.Sprintf(`{"threshold":1,"keys":[{"key":%q,"weight":1}]}`, k))
	}
	member := func(name string, k signer.PublicKey) devchain.GenesisAccount {
		return devchain.GenesisAccount{Name: name, Balance: "100.0000 EOS", Permissions: []devchain.GenesisPermission{
			{PermName: "owner", RequiredAuth: keyAuth(k)}, {PermName: "active", Parent: "owner", RequiredAuth: keyAuth(k)}}}
	}
	team := mustAuth(t, `{"threshold":2,"accounts":[
		{"permission":{"actor":"alice","permission":"active"},"weight":1},
		{"permission":{"actor":"bob","permission":"active"},"weight":1},
		{"permission":{"actor":"carol","permission":"active"},"weight":1}]}`)
	g := &devchain.Genesis{Time: "2026-01-01T00:00:00.000"}
	g.Accounts = append(g.Accounts, member("alice", alice), member("bob", bob), member("carol", carol),
		devchain.GenesisAccount{Name: "bpteam111111", Balance: "100.0000 EOS", Permissions: []devchain.GenesisPermission{
			{PermName: "owner", RequiredAuth: team}, {PermName: "active", Parent: "owner", RequiredAuth: team}}},
		devchain.GenesisAccount{Name: "dave", Permissions: []devchain.GenesisPermission{
			{PermName: "owner", RequiredAuth: mustAuth(t, `{"threshold":1,"accounts":[{"permission":{"actor":"bpteam111111","permission":"active"},"weight":1}]}`)},
			{PermName: "active", Parent: "owner", RequiredAuth: mustAuth(t, fmt.Sprintf(`{"threshold":1,"keys":[{"key":%q,"weight":1}],"accounts":[{"permission":{"actor":"bpteam111111","permission":"active"},"weight":1}]}`, carol))}}})
	dc, err := devchain.New(g, devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(dc.Handler())
	t.Cleanup(func() { srv.Close(); dc.Close() })

	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	a := &app{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, registry: devices.NewRegistry(),
		urls: []string{srv.URL}, journalPath: journal, tuiDevices: tuiDeviceOptions{pivReaders: []string{card.Reader}}}
	b, err := a.newTUIBackend(tuiAccount{"dave", "test"}, tuiAccount{"bpteam111111", "test"})
	if err != nil {
		t.Fatal(err)
	}

	lipgloss.SetColorProfile(termenv.Ascii)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tm := teatest.NewTestModel(t, tui.New(ctx, b, tui.Options{Account: "dave"}), teatest.WithInitialTermSize(120, 46))
	var seen bytes.Buffer // everything the screen showed, to check no PIN ever appears
	wait := func(want ...string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(out []byte) bool {
			for _, w := range want {
				if !bytes.Contains(out, []byte(w)) {
					return false
				}
			}
			seen.Write(out)
			return true
		}, teatest.WithDuration(30*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	keys := func(s string) { tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}) }
	enter := func() { tm.Send(tea.KeyMsg{Type: tea.KeyEnter}) }
	journalLen := func() int {
		j, err := audit.Open(journal)
		if err != nil {
			t.Fatal(err)
		}
		es, _ := j.Entries()
		return len(es)
	}
	// sign confirms the signing screen and types pin (if any) into the
	// masked input; it returns when the transaction is pushed.
	sign := func(signerLabel, pin string, done ...string) {
		t.Helper()
		wait("Press enter to sign", signerLabel)
		enter()
		if pin != "" {
			wait("PIN of")
			keys(pin)
			wait("••••")
			enter()
		}
		wait(append([]string{"Done."}, done...)...)
		dc.ProduceBlocks(1)
	}

	wait("dave", "owner", "active", "bpteam111111@active")
	// dave@active: his key (carol's device, not connected) or the team.

	// A lockout is refused with its reason; nothing can be signed.
	tm.Send(tui.ShowPlanMsg{Request: tui.PlanRequest{Account: "alice", Kind: tui.PlanRemoveKey, Permission: "active", Key: alice.String()}})
	wait("REFUSED")
	keys("m")
	wait("refused:")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})

	// Plan → Propose: alice proposes with her SoftHSM key.
	tm.Send(tui.ShowPlanMsg{Request: tui.PlanRequest{Account: "dave", Kind: tui.PlanRotate, Permission: "active", Key: carol.String()}})
	wait("New key for active")
	keys(newKey.String())
	enter()
	wait("m: propose")
	keys("m")
	sign("tuihsm", hsmPIN, "proposed as alice/")
	props, _, err := proposals.List(ctx, b.client, "alice")
	if err != nil || len(props) != 1 {
		t.Fatalf("proposals of alice: %v, %v", props, err)
	}
	name := string(props[0].Name)
	if n := journalLen(); n != 1 {
		t.Fatalf("journal has %d entries after propose, want 1", n)
	}

	// The inbox lists it; two approvals from two devices. Each enter after
	// a signature goes back; the next key waits for the screen it goes to.
	enter()
	wait("m: propose")
	keys("3")
	wait(name)
	enter()
	wait("alice/"+name, "a: approve as alice@active")
	keys("a")
	sign("tuihsm", hsmPIN, "as alice@active")
	enter()
	wait("a: approve as bob@active")
	keys("a")
	sign("slot 9a", ykPIN, "as bob@active")
	enter()
	wait("can be executed now")
	keys("e")
	sign("tuihsm", hsmPIN, "executed alice/"+name)
	acct, err := dc.GetAccount("dave")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range acct.Permissions {
		if p.PermName != "active" {
			continue
		}
		if len(p.RequiredAuth.Keys) != 1 {
			t.Fatalf("dave@active after exec: %+v", p.RequiredAuth)
		}
		if got, err := signer.ParsePublicKey(p.RequiredAuth.Keys[0].Key); err != nil || got != newKey {
			t.Fatalf("dave@active after exec: %+v, want %s", p.RequiredAuth, newKey)
		}
	}
	enter()
	wait("alice/" + name)
	tm.Send(tui.ShowTreeMsg{Account: "dave"})
	// The tree shows the new key (the same base58 body in either format).
	wait("dave", newKey.String()[7:19])

	// Every signature is in the journal: propose, two approvals, exec.
	j, err := audit.Open(journal)
	if err != nil {
		t.Fatal(err)
	}
	es, err := j.Entries()
	if err != nil || len(es) != 4 {
		t.Fatalf("journal: %d entries, %v", len(es), err)
	}
	for i, want := range []string{alice.String(), alice.String(), bob.String(), alice.String()} {
		if es[i].Key != want {
			t.Errorf("journal entry %d signed by %s, want %s", i, es[i].Key, want)
		}
	}
	raw, _ := os.ReadFile(journal)
	var stderr bytes.Buffer
	if sb, ok := a.stderr.(*bytes.Buffer); ok {
		stderr = *sb
	}
	for _, pin := range []string{hsmPIN, ykPIN} {
		for what, b := range map[string][]byte{"screen": seen.Bytes(), "journal": raw, "stderr": stderr.Bytes()} {
			if bytes.Contains(b, []byte(pin)) {
				t.Errorf("the PIN %s appears in the %s", pin, what)
			}
		}
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}
