package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/finalizer"
	"github.com/bpkeys/bpkeys/producer"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/signer/bls"
	"github.com/bpkeys/bpkeys/tui"
	"github.com/bpkeys/bpkeys/txflow"
)

// savannaView adds the finalizer and peer keys, the hosts and the
// findings to the Producer screen. A chain whose system contract has no
// finalizer tables says so instead of failing the screen.
func (b *tuiBackend) savannaView(ctx context.Context, v *tui.ProducerView, row *producer.Row) {
	st, err := finalizer.Read(ctx, b.client, v.Account)
	if err != nil {
		v.FinalizerNote = "finalizer keys unreadable: " + oneLine(err)
		return
	}
	for _, k := range st.Keys {
		line := "  " + k.Key.String()
		if k.Active {
			line = "* " + k.Key.String()
		}
		if b.team != nil {
			if hosts := b.team.HostsOfFinalizerKey(k.Key); len(hosts) > 0 {
				line += "  on " + strings.Join(hosts, ", ")
			} else {
				line += "  on no host"
			}
		}
		v.FinalizerKeys = append(v.FinalizerKeys, line)
	}
	switch {
	case len(st.Keys) == 0 && st.Savanna:
		v.FinalizerNote = "no finalizer key: on this Savanna chain the producer is left out of the schedule"
	case len(st.Keys) == 0:
		v.FinalizerNote = "no finalizer key registered (the chain has not switched to Savanna)"
	case !st.Savanna:
		v.FinalizerNote = "the chain has not switched to Savanna yet (* active key)"
	case st.InPolicy:
		v.FinalizerNote = "the active key (*) is in the finalizer policy"
	default:
		v.FinalizerNote = "the account is NOT in the finalizer policy (* active key)"
	}
	var peer *signer.PublicKey
	if pk, err := finalizer.ReadPeerKey(ctx, b.client, v.Account); err == nil {
		v.PeerKey, peer = pk.String(), &pk
	}
	var blockKeys []signer.PublicKey
	if row != nil {
		blockKeys = row.Authority.PublicKeys()
	}
	if b.team != nil {
		active, _ := st.Active()
		for _, h := range b.team.Hosts {
			label := h.Name
			if h.Role != "" {
				label += " (" + h.Role + ")"
			}
			v.Hosts = append(v.Hosts, label)
			if h.BlockKey == nil || len(h.FinalizerKeys) == 0 {
				continue
			}
			current := row != nil && row.Authority.Equal(producer.SingleKey(*h.BlockKey)) &&
				slices.ContainsFunc(h.FinalizerKeys, func(k bls.PublicKey) bool { return !active.Key.IsZero() && k.Equal(active.Key) })
			if !current {
				v.FailoverHosts = append(v.FailoverHosts, h.Name)
			}
		}
	}
	for _, f := range finalizer.Check(st, b.team, peer, blockKeys) {
		v.Findings = append(v.Findings, f.String())
	}
}

// prepareFailover is finalizer failover through the gate, direct: the
// connected keys must satisfy the account (propose it from the CLI with
// --via msig otherwise).
func (b *tuiBackend) prepareFailover(ctx context.Context, req tui.SignRequest, avail []signer.PublicKey) (*tui.SignPreview, []signer.PublicKey, func(context.Context, []signer.Signer) (*tui.SignResult, error), error) {
	if b.team == nil {
		return nil, nil, nil, fmt.Errorf("a failover needs the team file's hosts (--team)")
	}
	st, err := finalizer.Read(ctx, b.client, req.Account)
	if err != nil {
		return nil, nil, nil, err
	}
	row, err := producer.ReadRow(ctx, b.client, req.Account)
	if err != nil {
		return nil, nil, nil, err
	}
	plan, err := st.PlanFailover(b.team, req.Host, "active", finalizer.ProducerSettings{URL: row.URL, Location: row.Location, Authority: row.Authority.Contract()})
	if err != nil {
		return nil, nil, nil, err
	}
	job := txflow.Job{Note: "finalizer failover " + req.Account + " to " + plan.Host, Stages: [][]*eos.Action{plan.Actions}, Avail: avail,
		ReadBack: func(ctx context.Context) error { return b.a.confirmFailover(ctx, b.client, req.Account, b.team, plan) }}
	g, prep, err := b.prepareJob(ctx, job)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w (to propose the failover instead: bpkeys finalizer failover %s --to %s --via msig --proposer ACTOR)", err, req.Account, req.Host)
	}
	var extra []string
	if plan.FinalizerKey != "" {
		extra = append(extra, "finalizer key "+plan.FinalizerKey+" becomes active")
	}
	if plan.BlockKey != "" {
		extra = append(extra, "block-signing key "+plan.BlockKey+" (url and location kept)")
	}
	notes := func() []string {
		return []string{fmt.Sprintf("%s fails over to %s; stop the old host's producer and finalizer if not done", req.Account, plan.Host)}
	}
	return jobPreview(prep, extra...), prep.Required(), b.jobSign(g, prep, notes), nil
}
