package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/devchain/demokeys"
	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/tui"
)

// tuiDemo starts the demo team's devchain and returns an app pointed at it
// with no device backend (the demo keys live in memory, not on devices).
func tuiDemo(t *testing.T) (*app, *devchain.Chain, string) {
	t.Helper()
	a, c, url, _ := tuiDemoTeam(t)
	return a, c, url
}

// tuiDemoTeam is tuiDemo with the demo team (its in-memory keys).
func tuiDemoTeam(t *testing.T) (*app, *devchain.Chain, string, *demokeys.Team) {
	t.Helper()
	team, err := demokeys.NewTeam()
	if err != nil {
		t.Fatal(err)
	}
	c, err := devchain.New(team.Genesis(), devchain.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr, err := c.Start(ctx, "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); c.Close() })
	var errb bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &errb, registry: devices.NewRegistry(), tuiDevices: tuiDeviceOptions{none: true}}
	a.journalPath = t.TempDir() + "/journal.jsonl"
	url := "http://" + addr.String()
	a.urls = []string{url}
	return a, c, url, team
}

func demoAccounts() []tuiAccount {
	return []tuiAccount{{demokeys.ProducerAccount, "demo"}, {"alice", "demo"}}
}

func TestTUIBackendAgainstDevchain(t *testing.T) {
	a, c, url := tuiDemo(t)
	b, err := a.newTUIBackend(demoAccounts()...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	ov, err := b.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ov.ChainID != c.ChainID().String() || len(ov.Endpoints) != 1 || !ov.Endpoints[0].InUse || ov.Endpoints[0].URL != url {
		t.Fatalf("overview %+v", ov)
	}
	if len(ov.Accounts) != 2 || ov.Accounts[0].Producer != "active producer" || ov.Accounts[1].Producer != "not a producer" {
		t.Fatalf("accounts %+v", ov.Accounts)
	}

	tree, err := b.Tree(ctx, demokeys.ProducerAccount)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	var rotateKey string
	for _, p := range tree.Perms {
		names = append(names, p.Name)
		if p.Name == "rotate" {
			rotateKey = p.Keys[0].Key
			if p.Depth != 2 || !strings.Contains(strings.Join(p.Links, ","), "eosio::regproducer") {
				t.Fatalf("rotate node %+v", p)
			}
		}
	}
	if strings.Join(names, ",") != "owner,active,claim,rotate" {
		t.Fatalf("tree order %v", names)
	}

	// removing rotate's only key is refused by the same rules as perms plan
	plan, err := b.Plan(ctx, tui.PlanRequest{Account: demokeys.ProducerAccount, Kind: tui.PlanRemoveKey, Permission: "rotate", Key: rotateKey})
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Refused || plan.RefusedReason == "" {
		t.Fatalf("removing the only key was not refused: %+v", plan)
	}
	// a rotation to a fresh key is a plan with a diff
	fresh, err := demokeys.NewR1("fresh")
	if err != nil {
		t.Fatal(err)
	}
	plan, err = b.Plan(ctx, tui.PlanRequest{Account: demokeys.ProducerAccount, Kind: tui.PlanRotate, Permission: "rotate", Key: rotateKey, NewKey: fresh.PublicKey().String()})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Refused || !strings.Contains(strings.Join(plan.Diff, "\n"), "+ key") || len(plan.Actions) == 0 {
		t.Fatalf("rotation plan %+v", plan)
	}

	prod, err := b.Producer(ctx, demokeys.ProducerAccount)
	if err != nil {
		t.Fatal(err)
	}
	if !prod.Registered || !prod.Active || len(prod.SigningKeys) != 1 || !strings.HasPrefix(prod.RotatePerm, "rotate") {
		t.Fatalf("producer %+v", prod)
	}
	if p, err := b.Producer(ctx, "alice"); err != nil || p.Registered {
		t.Fatalf("alice as producer: %+v, %v", p, err)
	}

	inbox, err := b.Inbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(inbox.Proposals) != 0 {
		t.Fatalf("a fresh chain has proposals: %+v", inbox)
	}
	if dv, err := b.Devices(ctx); err != nil || len(dv.Devices) != 0 {
		t.Fatalf("no backend, yet devices %+v, %v", dv, err)
	}

	// with no device connected (and outside the demo) nothing can sign
	if _, err := b.PrepareSign(ctx, tui.SignRequest{Kind: tui.SignApprove, Proposer: "alice", Proposal: "none"}); !errors.Is(err, errNoTUIKey) {
		t.Fatalf("PrepareSign: %v", err)
	}
	if plan.Direct {
		t.Fatalf("no key connected, yet direct: %+v", plan)
	}
}

// TestTUIOnDevchain runs the real program over the real adapter: accounts
// with the producer status, then the tree read from the chain.
func TestTUIOnDevchain(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	a, _, _ := tuiDemo(t)
	b, err := a.newTUIBackend(demoAccounts()...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tm := teatest.NewTestModel(t, tui.New(ctx, b, tui.Options{}), teatest.WithInitialTermSize(100, 30))
	wait := func(want ...string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(out []byte) bool {
			for _, w := range want {
				if !bytes.Contains(out, []byte(w)) {
					return false
				}
			}
			return true
		}, teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	wait(demokeys.ProducerAccount, "active producer", "in use")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	wait("owner", "claim", "eosio::claimrewards", "alice@active")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}

// TestNoTerminalPrintsHelp: bpkeys with no arguments and no terminal (a
// script, a pipe) prints the help and exits 0 instead of starting the TUI.
func TestNoTerminalPrintsHelp(t *testing.T) {
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, registry: devices.NewRegistry()}
	root := newRootCmd(a)
	root.RunE = func(cmd *cobra.Command, _ []string) error { return a.tuiRun(cmd) }
	root.SetArgs(nil)
	root.SetIn(a.stdin)
	root.SetOut(&out)
	root.SetErr(&errb)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Usage:") || !strings.Contains(out.String(), "Available Commands:") {
		t.Fatalf("no help on stdout:\n%s", out.String())
	}
	if a.interactive() {
		t.Fatal("a strings.Reader was taken for a terminal")
	}
}

// TestTUIDemoKeysSign: inside the demo, the team's in-memory keys sign,
// labelled as demo keys: a rotation of the rotate key is proposed, approved
// by two members and executed, through the Backend calls the screens make.
func TestTUIDemoKeysSign(t *testing.T) {
	a, c, _, team := tuiDemoTeam(t)
	b, err := a.newTUIBackend(demoAccounts()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range team.Members() {
		b.demo = append(b.demo, demoMember{m.Account, m.Key})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fresh, err := demokeys.NewR1("fresh")
	if err != nil {
		t.Fatal(err)
	}
	req := tui.PlanRequest{Account: demokeys.ProducerAccount, Kind: tui.PlanRotate, Permission: "rotate", Key: team.Rotate.PublicKey().String(), NewKey: fresh.PublicKey().String()}
	plan, err := b.Plan(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Direct || plan.DirectWith != "as "+demokeys.ProducerAccount+"@active" {
		t.Fatalf("the three demo keys satisfy 2 of 3: %+v", plan)
	}
	sign := func(r tui.SignRequest, signers int) *tui.SignResult {
		t.Helper()
		pv, err := b.PrepareSign(ctx, r)
		if err != nil {
			t.Fatalf("%s: %v", r.Kind, err)
		}
		if len(pv.Signers) != signers || pv.Digest == "" || pv.ChainID != c.ChainID().String() {
			t.Fatalf("%s preview: %+v", r.Kind, pv)
		}
		for _, s := range pv.Signers {
			if !strings.HasSuffix(s.Label, "'s demo key (in memory)") || s.NeedsPIN {
				t.Fatalf("signer %+v", s)
			}
		}
		res, err := b.Sign(ctx, pv, make([]string, len(pv.Signers)))
		if err != nil {
			t.Fatalf("%s: %v", r.Kind, err)
		}
		if _, err := b.Sign(ctx, pv, make([]string, len(pv.Signers))); err == nil {
			t.Fatalf("%s: signed twice", r.Kind)
		}
		c.ProduceBlocks(1)
		return res
	}
	sign(tui.SignRequest{Kind: tui.SignPlanPropose, Account: req.Account, Plan: &req}, 1)
	inbox, err := b.Inbox(ctx)
	if err != nil || len(inbox.Proposals) != 1 {
		t.Fatalf("inbox %+v, %v", inbox, err)
	}
	row := inbox.Proposals[0]
	r := tui.SignRequest{Proposer: row.Proposer, Proposal: row.Name}
	for _, as := range []string{"alice@active", "bob@active"} {
		rv, err := b.Review(ctx, row.Proposer, row.Name)
		if err != nil || !rv.CanApprove || rv.ApproveAs != as {
			t.Fatalf("review before approving as %s: %+v, %v", as, rv, err)
		}
		r.Kind, r.Hash = tui.SignApprove, rv.Hash
		if res := sign(r, 1); !strings.Contains(strings.Join(res.Notes, " "), "as "+as+", pinned to proposal hash "+rv.Hash) {
			t.Fatalf("approve notes %v", res.Notes)
		}
	}
	r.Kind = tui.SignExec
	sign(r, 1)
	tree, err := b.Tree(ctx, demokeys.ProducerAccount)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tree.Perms {
		if p.Name == "rotate" && (len(p.Keys) != 1 || p.Keys[0].Key != fresh.PublicKey().String()) {
			t.Fatalf("rotate after exec: %+v", p.Keys)
		}
	}
	j, err := a.journal()
	if err != nil {
		t.Fatal(err)
	}
	if es, err := j.Entries(); err != nil || len(es) != 4 {
		t.Fatalf("journal: %d entries, %v", len(es), err)
	}
}

// TestTUIDemoKeysOtherActions covers the TUI's remaining signing actions on
// the demo chain with the demo team's keys, through the same adapter the
// screens use: unapprove, cancel, and the producer's emergency actions.
func TestTUIDemoKeysOtherActions(t *testing.T) {
	a, c, _, team := tuiDemoTeam(t)
	b, err := a.newTUIBackend(demoAccounts()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range team.Members() {
		b.demo = append(b.demo, demoMember{m.Account, m.Key})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sign := func(r tui.SignRequest) *tui.SignResult {
		t.Helper()
		pv, err := b.PrepareSign(ctx, r)
		if err != nil {
			t.Fatalf("%s: %v", r.Kind, err)
		}
		res, err := b.Sign(ctx, pv, make([]string, len(pv.Signers)))
		if err != nil {
			t.Fatalf("%s: %v", r.Kind, err)
		}
		c.ProduceBlocks(1)
		return res
	}

	fresh, err := demokeys.NewR1("other-actions")
	if err != nil {
		t.Fatal(err)
	}
	req := tui.PlanRequest{Account: demokeys.ProducerAccount, Kind: tui.PlanRotate, Permission: "claim", Key: team.Claim.PublicKey().String(), NewKey: fresh.PublicKey().String()}
	sign(tui.SignRequest{Kind: tui.SignPlanPropose, Account: req.Account, Plan: &req})
	inbox, err := b.Inbox(ctx)
	if err != nil || len(inbox.Proposals) != 1 {
		t.Fatalf("inbox %+v, %v", inbox, err)
	}
	p := inbox.Proposals[0]
	r := tui.SignRequest{Proposer: p.Proposer, Proposal: p.Name}

	// Approve (pinned to the hash reviewed), then take it back.
	rv, err := b.Review(ctx, p.Proposer, p.Name)
	if err != nil {
		t.Fatal(err)
	}
	r.Kind, r.Hash = tui.SignApprove, rv.Hash
	sign(r)
	rv, err = b.Review(ctx, p.Proposer, p.Name)
	if err != nil || !rv.CanUnapprove {
		t.Fatalf("after approving: %+v, %v", rv, err)
	}
	r.Kind = tui.SignUnapprove
	sign(r)
	if rv, err = b.Review(ctx, p.Proposer, p.Name); err != nil || rv.CanUnapprove {
		t.Fatalf("after unapproving, an approval is still there: %+v, %v", rv, err)
	}

	// The proposer cancels it: it leaves the inbox.
	r.Kind = tui.SignCancel
	sign(r)
	if inbox, err = b.Inbox(ctx); err != nil || len(inbox.Proposals) != 0 {
		t.Fatalf("after cancel: %+v, %v", inbox, err)
	}

	// Emergency: rotate the block-signing key, then pull the plug.
	block, err := demokeys.NewR1("block")
	if err != nil {
		t.Fatal(err)
	}
	rotate := tui.SignRequest{Kind: tui.SignRotateKey, Account: demokeys.ProducerAccount, NewKey: block.PublicKey().String()}
	// The screen names the rotate permission: with only the members' keys
	// connected it says the rotate key is not, instead of signing as active.
	if _, err := b.PrepareSign(ctx, rotate); err == nil || !strings.Contains(err.Error(), demokeys.ProducerAccount+"@rotate is not connected") {
		t.Fatalf("rotation without the rotate key: %v", err)
	}
	b.demo = append(b.demo, demoMember{"ops", team.Rotate})
	rpv, err := b.PrepareSign(ctx, rotate)
	if err != nil || len(rpv.Signers) != 1 || rpv.Signers[0].Key != team.Rotate.PublicKey().String() || !strings.Contains(strings.Join(rpv.Actions, "\n"), "eosio::regproducer by "+demokeys.ProducerAccount+"@rotate") {
		t.Fatalf("rotation preview: %+v, %v", rpv, err)
	}
	sign(rotate)
	pv, err := b.Producer(ctx, demokeys.ProducerAccount)
	if err != nil || !pv.Active || len(pv.SigningKeys) != 1 || !strings.Contains(pv.SigningKeys[0], block.PublicKey().String()[:20]) {
		t.Fatalf("after rotation: %+v, %v", pv, err)
	}
	sign(tui.SignRequest{Kind: tui.SignUnregister, Account: demokeys.ProducerAccount})
	if pv, err = b.Producer(ctx, demokeys.ProducerAccount); err != nil || pv.Active {
		t.Fatalf("after unregister the producer is still active: %+v, %v", pv, err)
	}
	j, err := a.journal()
	if err != nil {
		t.Fatal(err)
	}
	if es, err := j.Entries(); err != nil || len(es) < 6 {
		t.Fatalf("journal: %d entries, %v", len(es), err)
	}
}
