package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bpkeys/bpkeys/devchain/demokeys"
	"github.com/bpkeys/bpkeys/tui"
)

// TestDemoTourWorksAsWritten: with the demo's own team file, the first
// screen shows no error row, "plan a key rotation" offers the spare key of
// the labelled demo device, and the README's flow goes through: plan,
// propose, approve as two members, execute, and the tree shows the spare
// key, held by ops and connected.
func TestDemoTourWorksAsWritten(t *testing.T) {
	a, c, _, team := tuiDemoTeam(t)
	path, cleanup, err := writeDemoTeamFile(team)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	a.team = path
	extra := []tuiAccount{{demokeys.ProducerAccount, "demo"}, {"alice", "demo"}, {"bob", "demo"}, {"carol", "demo"}}
	b, err := a.newTUIBackend(extra...)
	if err != nil {
		t.Fatal(err)
	}
	b.useDemo(team)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	ov, err := b.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ov.Accounts {
		if r.Error != "" || r.Name == "ops" {
			t.Errorf("first screen: %+v", r)
		}
	}
	if len(ov.Accounts) != 4 {
		t.Errorf("accounts %+v", ov.Accounts)
	}

	dv, err := b.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	spare := team.Spare.PublicKey().String()
	var offered bool
	for _, d := range dv.Devices {
		for _, k := range d.Keys {
			if k.PublicKey == spare {
				offered = strings.Contains(d.Name, "DEMO ONLY") && k.Holder == "ops"
			}
		}
	}
	if !offered {
		t.Fatalf("the spare key is not on a labelled demo device held by ops: %+v", dv.Devices)
	}

	req := tui.PlanRequest{Account: demokeys.ProducerAccount, Kind: tui.PlanRotate, Permission: "rotate", Key: team.Rotate.PublicKey().String(), NewKey: spare}
	plan, err := b.Plan(ctx, req)
	if err != nil || plan.Refused {
		t.Fatalf("rotating onto the spare key: %+v, %v", plan, err)
	}
	sign := func(r tui.SignRequest) {
		t.Helper()
		pv, err := b.PrepareSign(ctx, r)
		if err != nil {
			t.Fatalf("%s: %v", r.Kind, err)
		}
		if _, err := b.Sign(ctx, pv, make([]string, len(pv.Signers))); err != nil {
			t.Fatalf("%s: %v", r.Kind, err)
		}
		c.ProduceBlocks(1)
	}
	sign(tui.SignRequest{Kind: tui.SignPlanPropose, Account: req.Account, Plan: &req})
	inbox, err := b.Inbox(ctx)
	if err != nil || len(inbox.Proposals) != 1 {
		t.Fatalf("inbox %+v, %v", inbox, err)
	}
	row := inbox.Proposals[0]
	if !strings.Contains(row.Does, "rotate") || !strings.Contains(row.Summary, "awaiting") {
		t.Errorf("the inbox does not say what the proposal does: %+v", row)
	}
	for range 2 {
		rv, err := b.Review(ctx, row.Proposer, row.Name)
		if err != nil {
			t.Fatal(err)
		}
		sign(tui.SignRequest{Kind: tui.SignApprove, Proposer: row.Proposer, Proposal: row.Name, Hash: rv.Hash})
	}
	rv, err := b.Review(ctx, row.Proposer, row.Name)
	if err != nil {
		t.Fatal(err)
	}
	approved := 0
	for _, l := range rv.Levels {
		if l.Approved {
			approved++
		}
		if l.Depth > 1 {
			t.Errorf("the approvals pane descends below an approved or requested level: %+v", l)
		}
	}
	if approved != 2 {
		t.Errorf("%d levels approved: %+v", approved, rv.Levels)
	}
	sign(tui.SignRequest{Kind: tui.SignExec, Proposer: row.Proposer, Proposal: row.Name})
	if _, err := b.Review(ctx, row.Proposer, row.Name); !errors.Is(err, tui.ErrProposalGone) {
		t.Errorf("review after execution: %v, want ErrProposalGone", err)
	}
	tree, err := b.Tree(ctx, demokeys.ProducerAccount)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tree.Perms {
		if p.Name != "rotate" {
			continue
		}
		if len(p.Keys) != 1 || p.Keys[0].Key != spare || p.Keys[0].Holder != "ops" || !p.Keys[0].Connected {
			t.Fatalf("rotate after the tour: %+v", p.Keys)
		}
		return
	}
	t.Fatal("no rotate permission")
}
