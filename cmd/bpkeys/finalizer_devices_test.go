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

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/finalizer"
	"github.com/bpkeys/bpkeys/internal/blstest"
	"github.com/bpkeys/bpkeys/internal/softhsmtest"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/tui"
)

// TestFinalizerDevices runs the finalizer and peerkey commands against the
// devchain, signing with SoftHSM2 keys: directly (both members sign) and by
// proposal (one proposes, the other approves, exec).
func TestFinalizerDevices(t *testing.T) {
	softhsmtest.InChildProcess(t, "TestFinalizerDevices", finalizerDevicesChild)
}

type finEnv struct {
	t            *testing.T
	dc           *devchain.Chain
	url, journal string
	team         string
	alice, carol string
	pubs         map[string]signer.PublicKey
}

func (e *finEnv) run(args ...string) (int, string, string) {
	e.t.Helper()
	e.dc.ProduceBlocks(1)
	var stdout, stderr bytes.Buffer
	full := append([]string{"--url", e.url, "--journal", e.journal, "--team", e.team}, args...)
	code := run(context.Background(), full, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func (e *finEnv) mustRun(args ...string) string {
	e.t.Helper()
	code, out, errOut := e.run(args...)
	if code != exitOK {
		e.t.Fatalf("bpkeys %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func (e *finEnv) journalLines() int {
	j, err := audit.Open(e.journal)
	if err != nil {
		e.t.Fatal(err)
	}
	es, _ := j.Entries()
	return len(es)
}

func (e *finEnv) show() finalizer.Status {
	e.t.Helper()
	var s finalizer.Status
	out := e.mustRun("--json", "finalizer", "show", "bpteam111111")
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		e.t.Fatalf("%v\n%s", err, out)
	}
	return s
}

func setupFinalizerDevices(t *testing.T, k1, k2 blstest.Pair, block1, block2 signer.PublicKey) *finEnv {
	toks := softhsmtest.Setup("4321", "fin")
	t.Cleanup(toks.Close)
	toks.Require(t)
	dir := t.TempDir()
	t.Setenv("BPKEYS_FIN_TEST_PIN", "4321")
	e := &finEnv{t: t, journal: filepath.Join(dir, "journal.jsonl"), pubs: map[string]signer.PublicKey{}}
	e.alice = "pkcs11:token=fin;object=alice?module-path=" + p11Module + "&pin-source=env:BPKEYS_FIN_TEST_PIN"
	e.carol = "pkcs11:token=fin;object=carol?module-path=" + p11Module + "&pin-source=env:BPKEYS_FIN_TEST_PIN"
	for who, ref := range map[string]string{"alice": e.alice, "carol": e.carol} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"keys", "generate", ref, "--curve", "k1"}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
			t.Fatalf("keys generate %s: exit %d: %s", who, code, stderr.String())
		}
		pub, err := signer.ParsePublicKey(strings.TrimSpace(stdout.String()))
		if err != nil {
			t.Fatal(err)
		}
		e.pubs[who] = pub
	}
	keyAuth := func(k signer.PublicKey) string {
		return fmt.Sprintf(`{"threshold":1,"keys":[{"key":%q,"weight":1}],"accounts":[],"waits":[]}`, k)
	}
	member := func(name string) string {
		return fmt.Sprintf(`{"name":%q,"balance":"10.0000 EOS","permissions":[{"perm_name":"owner","parent":"","required_auth":%s},{"perm_name":"active","parent":"owner","required_auth":%s}]}`, name, keyAuth(e.pubs[name]), keyAuth(e.pubs[name]))
	}
	team := `{"threshold":2,"keys":[],"accounts":[{"permission":{"actor":"alice","permission":"active"},"weight":1},{"permission":{"actor":"carol","permission":"active"},"weight":1}],"waits":[]}`
	g, err := devchain.ParseGenesis([]byte(`{"time":"2026-01-01T00:00:00.000","accounts":[` + member("alice") + `,` + member("carol") + `,
	{"name":"bpteam111111","balance":"10.0000 EOS","permissions":[{"perm_name":"owner","parent":"","required_auth":` + team + `},{"perm_name":"active","parent":"owner","required_auth":` + team + `}]}],
	"producers":[{"owner":"bpteam111111","producer_key":"` + block1.Legacy() + `","url":"https://bp.example","location":276}]}`))
	if err != nil {
		t.Fatal(err)
	}
	dc, err := devchain.New(g, devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(dc.Handler())
	t.Cleanup(func() { srv.Close(); dc.Close() })
	e.dc, e.url = dc, srv.URL
	e.team = filepath.Join(dir, "team.yaml")
	doc := fmt.Sprintf(`members:
  - name: alice
    account: alice@active
  - name: carol
    account: carol@active
keys:
  - key: %s
    holder: alice
    device: %s
  - key: %s
    holder: carol
    device: %s
hosts:
  - name: bp1
    role: primary
    block_key: %s
    finalizer_keys: [%s]
  - name: bp2
    role: backup
    block_key: %s
    finalizer_keys: [%s]
`, e.pubs["alice"], e.alice, e.pubs["carol"], e.carol, block1, k1.Key, block2, k2.Key)
	if err := os.WriteFile(e.team, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

func finalizerDevicesChild(t *testing.T) {
	k1, k2, k3 := blstest.NewPair("cli-bp1"), blstest.NewPair("cli-bp2"), blstest.NewPair("cli-spare")
	block1 := testsigner.FromSeed(signer.CurveK1, "cli-fin-block1").PublicKey()
	block2 := testsigner.FromSeed(signer.CurveR1, "cli-fin-block2").PublicKey()
	e := setupFinalizerDevices(t, k1, k2, block1, block2)
	both := []string{"--signer", e.alice, "--signer", e.carol}

	t.Run("a wrong proof is refused before anything is signed", func(t *testing.T) {
		e.t = t
		before := e.journalLines()
		code, _, errOut := e.run(append([]string{"--yes", "finalizer", "register", "bpteam111111", "--key", k1.Key.String(), "--pop", k2.PoP.String()}, both...)...)
		if code != exitRefused || !strings.Contains(errOut, "proof of possession does not verify") || !strings.Contains(errOut, "nothing was signed") || e.journalLines() != before {
			t.Fatalf("exit %d (journal %d -> %d): %s", code, before, e.journalLines(), errOut)
		}
	})

	t.Run("register directly: the first key becomes active", func(t *testing.T) {
		e.t = t
		out := e.mustRun(append([]string{"--yes", "finalizer", "register", "bpteam111111", "--key", k1.Key.String(), "--pop", k1.PoP.String()}, both...)...)
		if !strings.Contains(out, "registered finalizer key "+k1.Key.String()) {
			t.Fatalf("output:\n%s", out)
		}
		s := e.show()
		if len(s.Keys) != 1 || !s.Keys[0].Active || !s.Keys[0].Key.Equal(k1.Key) {
			t.Fatalf("show: %+v", s)
		}
		text := e.mustRun("finalizer", "show", "bpteam111111")
		if !strings.Contains(text, "* "+k1.Key.String()+" (id 0)  on bp1") {
			t.Fatalf("show:\n%s", text)
		}
		// Registered by anyone: refused locally.
		code, _, errOut := e.run(append([]string{"--yes", "finalizer", "register", "bpteam111111", "--key", k1.Key.String(), "--pop", k1.PoP.String()}, both...)...)
		if code != exitRefused || !strings.Contains(errOut, "already registered") {
			t.Fatalf("again: exit %d: %s", code, errOut)
		}
	})

	t.Run("register by proposal: propose, approve, exec", func(t *testing.T) {
		e.t = t
		out := e.mustRun("--yes", "finalizer", "register", "bpteam111111", "--key", k2.Key.String(), "--pop", k2.PoP.String(),
			"--signer", e.alice, "--proposer", "alice", "--proposal-name", "regbp2")
		if !strings.Contains(out, "proposed alice/regbp2") || !strings.Contains(out, "requested      alice@active, carol@active") {
			t.Fatalf("propose output:\n%s", out)
		}
		if s := e.show(); len(s.Keys) != 1 {
			t.Fatalf("registered before approval: %+v", s)
		}
		e.mustRun("--yes", "msig", "approve", "alice", "regbp2", "--as", "alice@active", "--signer", e.alice)
		e.mustRun("--yes", "msig", "approve", "alice", "regbp2", "--as", "carol@active", "--signer", e.carol)
		e.mustRun("--yes", "msig", "exec", "alice", "regbp2", "--as", "carol@active", "--signer", e.carol)
		s := e.show()
		if len(s.Keys) != 2 || !s.Keys[0].Active || s.Keys[1].Active {
			t.Fatalf("after exec: %+v", s)
		}
	})

	t.Run("deleting the active key while another exists: refused with what to do", func(t *testing.T) {
		e.t = t
		before := e.journalLines()
		code, _, errOut := e.run(append([]string{"--yes", "finalizer", "delete", "bpteam111111", "--key", k1.Key.String()}, both...)...)
		if code != exitRefused || !strings.Contains(errOut, "bpkeys finalizer activate bpteam111111 --key "+k2.Key.String()) || e.journalLines() != before {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})

	t.Run("failover: actfinkey and regproducer2 in one transaction", func(t *testing.T) {
		e.t = t
		before := e.journalLines()
		out := e.mustRun(append([]string{"--yes", "finalizer", "failover", "bpteam111111", "--to", "bp2"}, both...)...)
		if !strings.Contains(out, "bpteam111111 fails over to host bp2") {
			t.Fatalf("output:\n%s", out)
		}
		// Two signatures (alice and carol) of one transaction holding both actions.
		j, err := audit.Open(e.journal)
		if err != nil {
			t.Fatal(err)
		}
		es, _ := j.Entries()
		if len(es) != before+2 || es[before].TrxID != es[before+1].TrxID || !strings.Contains(out, es[before].TrxID) ||
			strings.Join(es[before].Actions, "; ") != "eosio::actfinkey bpteam111111@active; eosio::regproducer2 bpteam111111@active" {
			t.Fatalf("journal after failover: %+v", es[before:])
		}
		s := e.show()
		if a, ok := s.Active(); !ok || !a.Key.Equal(k2.Key) {
			t.Fatalf("active key after failover: %+v", s)
		}
		acct, err := e.dc.GetTableRows(devchain.TableRowsRequest{Code: "eosio", Scope: "eosio", Table: "producers", JSON: true})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(acct.Rows[0])
		if !strings.Contains(string(b), block2.String()) || !strings.Contains(string(b), `"url":"https://bp.example"`) {
			t.Fatalf("producers row after failover: %s", b)
		}
		// Again: nothing to do.
		code, _, errOut := e.run(append([]string{"--yes", "finalizer", "failover", "bpteam111111", "--to", "bp2"}, both...)...)
		if code != exitRefused || !strings.Contains(errOut, "already the active one") {
			t.Fatalf("second failover: exit %d: %s", code, errOut)
		}
	})

	t.Run("delete the inactive key, activate by proposal", func(t *testing.T) {
		e.t = t
		e.mustRun(append([]string{"--yes", "finalizer", "delete", "bpteam111111", "--key", k1.Key.String()}, both...)...)
		e.mustRun(append([]string{"--yes", "finalizer", "register", "bpteam111111", "--key", k3.Key.String(), "--pop", k3.PoP.String()}, both...)...)
		e.mustRun("--yes", "finalizer", "activate", "bpteam111111", "--key", k3.Key.String(), "--via", "msig", "--signer", e.carol, "--proposer", "carol", "--proposal-name", "actspare")
		e.mustRun("--yes", "msig", "approve", "carol", "actspare", "--as", "alice@active", "--signer", e.alice)
		e.mustRun("--yes", "msig", "approve", "carol", "actspare", "--as", "carol@active", "--signer", e.carol)
		e.mustRun("--yes", "msig", "exec", "carol", "actspare", "--as", "carol@active", "--signer", e.carol)
		s := e.show()
		if a, ok := s.Active(); !ok || !a.Key.Equal(k3.Key) || len(s.Keys) != 2 {
			t.Fatalf("after activation by proposal: %+v", s)
		}
	})

	t.Run("peer key: set, show, refuse the same, delete", func(t *testing.T) {
		e.t = t
		pk := e.pubs["carol"]
		e.mustRun(append([]string{"--yes", "peerkey", "set", "bpteam111111", "--key", pk.String()}, both...)...)
		if out := e.mustRun("peerkey", "show", "bpteam111111"); !strings.Contains(out, pk.String()) {
			t.Fatalf("show: %s", out)
		}
		code, _, errOut := e.run(append([]string{"--yes", "peerkey", "set", "bpteam111111", "--key", pk.String()}, both...)...)
		if code != exitRefused || !strings.Contains(errOut, "already registered") {
			t.Fatalf("same key: exit %d: %s", code, errOut)
		}
		// Made on the HSM when asked, then registered in place of the first.
		peerRef := "pkcs11:token=fin;object=peer?module-path=" + p11Module + "&pin-source=env:BPKEYS_FIN_TEST_PIN"
		out := e.mustRun(append([]string{"--yes", "peerkey", "set", "bpteam111111", "--generate", peerRef}, both...)...)
		var made signer.PublicKey
		for _, f := range strings.Fields(out) {
			if k, err := signer.ParsePublicKey(f); err == nil {
				made = k
			}
		}
		if made.Curve != signer.CurveK1 || made == pk {
			t.Fatalf("generated peer key: %q", out)
		}
		if got := e.mustRun("peerkey", "show", "bpteam111111"); !strings.Contains(got, made.String()) {
			t.Fatalf("show after --generate: %s", got)
		}
		e.mustRun(append([]string{"--yes", "peerkey", "delete", "bpteam111111"}, both...)...)
		if out := e.mustRun("peerkey", "show", "bpteam111111"); !strings.Contains(out, "no peer key registered") {
			t.Fatalf("after delete: %s", out)
		}
	})

	t.Run("check: a registered key on no host is a finding (exit 3)", func(t *testing.T) {
		e.t = t
		code, out, _ := e.run("finalizer", "check", "bpteam111111")
		if code != exitPolicy || !strings.Contains(out, "warning [finalizer-key-on-no-host] finalizer key "+k3.Key.String()) || strings.Count(out, "\n") != 1 {
			t.Fatalf("check: exit %d:\n%s", code, out)
		}
		if text := e.mustRun("finalizer", "show", "bpteam111111"); !strings.Contains(text, "finalizer-key-on-no-host") {
			t.Fatalf("show does not list the finding:\n%s", text)
		}
	})

	t.Run("TUI: the producer screen's Savanna keys, failover through the gate", func(t *testing.T) {
		e.t = t
		ctx := context.Background()
		a := &app{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, urls: []string{e.url}, journalPath: e.journal, team: e.team}
		a.registry = devices.NewRegistry(a.backends()...)
		b, err := a.newTUIBackend()
		if err != nil {
			t.Fatal(err)
		}
		v, err := b.Producer(ctx, "bpteam111111")
		if err != nil {
			t.Fatal(err)
		}
		if len(v.FinalizerKeys) != 2 || !strings.HasPrefix(v.FinalizerKeys[1], "* "+k3.Key.String()+"  on no host") ||
			strings.Join(v.FailoverHosts, ",") != "bp1,bp2" || len(v.Findings) != 1 || !strings.Contains(v.Findings[0], "finalizer-key-on-no-host") {
			t.Fatalf("producer view: %+v", v)
		}
		// bp1's key was deleted: the plan refuses before anything is built.
		if _, _, _, err := b.prepareFailover(ctx, tui.SignRequest{Kind: tui.SignFailover, Account: "bpteam111111", Host: "bp1"}, []signer.PublicKey{e.pubs["alice"], e.pubs["carol"]}); err == nil || !strings.Contains(err.Error(), "register it first") {
			t.Fatalf("failover to bp1: %v", err)
		}
		pv, need, sign, err := b.prepareFailover(ctx, tui.SignRequest{Kind: tui.SignFailover, Account: "bpteam111111", Host: "bp2"}, []signer.PublicKey{e.pubs["alice"], e.pubs["carol"]})
		if err != nil {
			t.Fatal(err)
		}
		if len(need) != 2 || !strings.Contains(strings.Join(pv.Actions, "\n"), "finalizer key "+k2.Key.String()+" becomes active") {
			t.Fatalf("preview: %+v", pv)
		}
		signers, closeSigners, err := a.openRequiredSigners(ctx, []string{e.alice, e.carol})
		if err != nil {
			t.Fatal(err)
		}
		defer closeSigners()
		e.dc.ProduceBlocks(1)
		if _, err := sign(ctx, signers); err != nil {
			t.Fatal(err)
		}
		after := e.show()
		if a, ok := after.Active(); !ok || !a.Key.Equal(k2.Key) {
			t.Fatal("the TUI failover did not activate bp2's key")
		}
	})

	t.Run("failover by proposal: both actions in one proposed transaction", func(t *testing.T) {
		e.t = t
		// bp1's key was deleted; a deleted key can be registered again.
		e.mustRun(append([]string{"--yes", "finalizer", "register", "bpteam111111", "--key", k1.Key.String(), "--pop", k1.PoP.String()}, both...)...)
		out := e.mustRun("--yes", "finalizer", "failover", "bpteam111111", "--to", "bp1", "--via", "msig", "--proposer", "alice", "--proposal-name", "backtobp1", "--signer", e.alice)
		if !strings.Contains(out, "proposed alice/backtobp1: bpteam111111 fails over to host bp1") {
			t.Fatalf("propose:\n%s", out)
		}
		review := e.mustRun("msig", "review", "alice", "backtobp1")
		if !strings.Contains(review, "actfinkey") || !strings.Contains(review, "regproducer2") {
			t.Fatalf("review does not show both actions:\n%s", review)
		}
		e.mustRun("--yes", "msig", "approve", "alice", "backtobp1", "--as", "alice@active", "--signer", e.alice)
		e.mustRun("--yes", "msig", "approve", "alice", "backtobp1", "--as", "carol@active", "--signer", e.carol)
		e.mustRun("--yes", "msig", "exec", "alice", "backtobp1", "--as", "alice@active", "--signer", e.alice)
		after := e.show()
		if a, ok := after.Active(); !ok || !a.Key.Equal(k1.Key) {
			t.Fatalf("active key after the proposed failover: %+v", after)
		}
		rows, err := e.dc.GetTableRows(devchain.TableRowsRequest{Code: "eosio", Scope: "eosio", Table: "producers", JSON: true})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(rows.Rows[0])
		if !strings.Contains(string(b), block1.Legacy()) {
			t.Fatalf("producers row after the proposed failover: %s", b)
		}
	})

	t.Run("show --node: what cannot be known is said", func(t *testing.T) {
		e.t = t
		out := e.mustRun("finalizer", "show", "bpteam111111", "--node", e.url)
		if !strings.Contains(out, "cannot be known: get_finalizer_info failed (HTTP 404)") {
			t.Fatalf("show --node:\n%s", out)
		}
	})
}
