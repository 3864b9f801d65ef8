package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/bpkeys/bpkeys/devchain/demokeys"
	"github.com/bpkeys/bpkeys/team"
	"github.com/bpkeys/bpkeys/tui"
)

// teamAccounts lists the accounts the TUI watches for a team file: the
// actor of each member's `account:`. A member without one (a role such as
// "ops" holding server keys) is a holder, not an account: guessing its
// name as an account showed "account ops does not exist" on the first
// screen.
func teamAccounts(t *team.Team) []string {
	if t == nil {
		return nil
	}
	var out []string
	for _, m := range t.Members {
		if m.Account != "" {
			actor, _, _ := strings.Cut(m.Account, "@")
			out = append(out, actor)
		}
	}
	return out
}

// useDemo offers the demo team's in-memory keys as signers, DEMO ONLY: the
// members' keys, the spare key on the demo device, and the rotate key the
// emergency screen signs with, both held by "ops".
func (b *tuiBackend) useDemo(demo *demokeys.Team) {
	for _, m := range demo.Members() {
		b.demo = append(b.demo, demoMember{m.Account, m.Key})
	}
	b.demoSpare = &demoMember{"ops", demo.Spare}
	b.demo = append(b.demo, *b.demoSpare, demoMember{"ops", demo.Rotate})
}

// demoDevices is the demo's device, DEMO ONLY: the spare key the demo
// team holds in memory, listed where the TUI lists connected devices so
// that "plan a key rotation" offers it as the README's tour says.
func (b *tuiBackend) demoDevices() []tui.DeviceView {
	if b.demoSpare == nil {
		return nil
	}
	k := b.demoSpare
	dk := tui.DeviceKey{Ref: "demo:spare", Label: "spare", PublicKey: k.Key.PublicKey().String(), Attestation: "none (a demo key in memory)"}
	if e, ok := b.team.Key(k.Key.PublicKey()); ok {
		dk.Holder = e.Holder
	}
	return []tui.DeviceView{{Scheme: "demo", Name: "demo device (in memory, DEMO ONLY)", Keys: []tui.DeviceKey{dk}}}
}

// proposalDoes says in one line what a proposal does, for the inbox: its
// first action in words and how many more. A proposal that cannot be read
// says so (the review shows why).
func (b *tuiBackend) proposalDoes(ctx context.Context, proposer, name string) string {
	r, err := b.a.readForReview(ctx, b.client, proposer, name)
	if err != nil {
		return "cannot be read: " + oneLine(err)
	}
	if len(r.Actions) == 0 {
		return "no actions"
	}
	s := r.Actions[0].Summary
	if n := len(r.Actions) - 1; n > 0 {
		s += fmt.Sprintf(" (and %d more action%s)", n, plural(n))
	}
	return s
}
