package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/devchain/demokeys"
	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/internal/redact"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/policies"
	"github.com/bpkeys/bpkeys/producer"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
	"github.com/bpkeys/bpkeys/tui"
)

// tuiAccount is an account the TUI watches and where it comes from.
type tuiAccount struct{ name, source string }

// tuiBackend is the TUI's Backend over the same functions the CLI calls:
// chain reads, devices.Registry inventories, permsLoad + policies for trees
// and plans, proposals.Inbox/MakeReview, producer.Show, and the CLI's
// prepare and sign steps for signatures (tui_sign.go). It never makes data
// up.
type tuiBackend struct {
	a        *app
	client   *chain.Client
	team     *team.Team
	accounts []tuiAccount
	// reg is the TUI's own registry: its backends read PINs from pins (typed
	// in the signing screen), never from a terminal prompt.
	reg  *devices.Registry
	pins *pinBox
	// demo are the demo team's in-memory keys, offered as signers inside
	// `bpkeys demo` only. DEMO ONLY.
	demo []demoMember
	// demoSpare is the demo team's spare key, on the demo device. DEMO ONLY.
	demoSpare *demoMember

	mu      sync.Mutex
	pending map[string]*tuiPrepared
	signMu  sync.Mutex // one signature at a time: the PIN box holds one PIN
}

// demoMember is a demo team member's in-memory key. DEMO ONLY.
type demoMember struct {
	Account string
	Key     *demokeys.Key
}

var _ tui.Backend = (*tuiBackend)(nil)

// newTUIBackend builds the adapter from the global flags: endpoints,
// chain id, team file; extra accounts (the demo's) are watched too.
func (a *app) newTUIBackend(extra ...tuiAccount) (*tuiBackend, error) {
	c, err := a.chainClient()
	if err != nil {
		return nil, err
	}
	t, err := a.permsTeam()
	if err != nil {
		return nil, err
	}
	b := &tuiBackend{a: a, client: c, team: t, pins: &pinBox{}}
	b.reg = a.tuiRegistry(b.pins)
	seen := map[string]bool{}
	add := func(name, source string) {
		if seen[name] {
			return
		}
		if _, err := permissions.ParseLevel(name + "@active"); err != nil {
			return // a member name that is not an account name
		}
		seen[name] = true
		b.accounts = append(b.accounts, tuiAccount{name, source})
	}
	for _, x := range extra {
		add(x.name, x.source)
	}
	for _, m := range teamAccounts(t) {
		add(m, "team file")
	}
	return b, nil
}

// Overview asks every endpoint for get_info (concurrently) and each
// account for its producer row and built-in findings.
func (b *tuiBackend) Overview(ctx context.Context) (*tui.Overview, error) {
	urls := b.a.chainEndpoints()
	eps := make([]tui.Endpoint, len(urls))
	ids := make([]string, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			eps[i] = tui.Endpoint{URL: redact.URL(u)}
			c, err := chain.New(chain.Options{URLs: []string{u}})
			if err != nil {
				eps[i].Error = err.Error()
				return
			}
			info, err := c.GetInfo(ctx)
			if err != nil {
				eps[i].Error = oneLine(err)
				return
			}
			eps[i].Answers, eps[i].HeadBlock, eps[i].ServerVersion = true, info.HeadBlockNum, info.ServerVersionString
			eps[i].HeadAge = time.Since(info.HeadBlockTime.Time)
			ids[i] = info.ChainID.String()
		}()
	}
	wg.Wait()
	out := &tui.Overview{Endpoints: eps}
	for i := range eps {
		if eps[i].Answers {
			eps[i].InUse, out.ChainID = true, ids[i]
			break
		}
	}
	if out.ChainID == "" {
		return out, nil // the screen says no endpoint answers
	}
	rows := make([]tui.AccountRow, len(b.accounts))
	for i, acc := range b.accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows[i] = b.accountRow(ctx, acc)
		}()
	}
	wg.Wait()
	out.Accounts = rows
	return out, nil
}

func (b *tuiBackend) accountRow(ctx context.Context, acc tuiAccount) tui.AccountRow {
	r := tui.AccountRow{Name: acc.name, Source: acc.source}
	_, w, err := permsLoad(ctx, b.client, acc.name)
	if err != nil {
		r.Error = oneLine(err)
		return r
	}
	for _, f := range policies.BuiltIn(w, acc.name, b.team) {
		if f.Severity == permissions.SeverityError {
			r.Errors++
		} else {
			r.Warnings++
		}
	}
	row, err := producer.ReadRow(ctx, b.client, acc.name)
	switch {
	case errors.Is(err, producer.ErrNotProducer):
		r.Producer = "not a producer"
	case err != nil:
		r.Producer = "producer row unreadable"
	case row.Active:
		r.Producer = "active producer"
	default:
		r.Producer = "registered, inactive"
	}
	return r
}

// connected lists the public keys the TUI can sign with now (connected
// devices, and the demo's keys in the demo) and where they live.
func (b *tuiBackend) connected(ctx context.Context) (map[signer.PublicKey]string, []string) {
	keys := map[signer.PublicKey]string{}
	ks, errs := b.signingKeys(ctx)
	for _, k := range ks {
		keys[k.pub] = k.label
	}
	return keys, errs
}

// Tree reads the account as `bpkeys perms show` does, with the built-in
// findings, the team file's labels and the keys connected now marked.
func (b *tuiBackend) Tree(ctx context.Context, account string) (*tui.TreeView, error) {
	acct, w, err := permsLoad(ctx, b.client, account)
	if err != nil {
		return nil, err
	}
	conn, devErrs := b.connected(ctx)
	v := treeView(acct, w, b.team, conn)
	v.Findings = append(v.Findings, deviceFindings(devErrs)...)
	return v, nil
}

// deviceFindings shows devices that could not be read as warnings: their
// keys are not marked as connected, which is not the same as absent.
func deviceFindings(errs []string) []tui.Finding {
	var out []tui.Finding
	for _, e := range errs {
		out = append(out, tui.Finding{Severity: tui.SeverityWarning, Rule: "devices", Message: "could not be read (its keys are not shown as connected): " + e})
	}
	return out
}

func tuiFindings(fs []permissions.Finding) []tui.Finding {
	var out []tui.Finding
	for _, f := range fs {
		out = append(out, tui.Finding{Severity: tui.Severity(f.Severity), Rule: f.Rule, Permission: f.Permission, Message: f.Message})
	}
	return out
}

// Devices lists every registered backend's inventory, with the team
// file's holders and attestation where the device can attest.
func (b *tuiBackend) Devices(ctx context.Context) (*tui.DevicesView, error) {
	v := &tui.DevicesView{}
	for _, s := range b.reg.Schemes() {
		be, err := b.reg.Backend(s)
		if err != nil {
			v.Errors = append(v.Errors, s+": "+oneLine(err))
			continue
		}
		inv, err := be.Inventory(ctx)
		if err != nil {
			v.Errors = append(v.Errors, s+": "+oneLine(err))
		}
		att, _ := be.(devices.Attester)
		for _, d := range inv.Devices {
			if e := d.Details["error"]; e != "" {
				v.Errors = append(v.Errors, d.Name+": "+oneLine(errors.New(e)))
			}
			dv := tui.DeviceView{Scheme: d.Scheme, Name: d.Name, Serial: d.Serial, Firmware: d.Details["firmware"], PINRetries: d.Details["pin_retries"]}
			if dv.PINRetries == "" {
				dv.PINRetries = d.Details["pin_status"]
			}
			for _, k := range inv.Keys {
				if k.Device != d.Name {
					continue
				}
				dk := tui.DeviceKey{Ref: k.Ref, Label: k.Label, PublicKey: k.PublicKey.String(), PINPolicy: k.Details["pin_policy"], TouchPolicy: k.Details["touch_policy"]}
				if e, ok := b.team.Key(k.PublicKey); ok {
					dk.Holder = e.Holder
				}
				dk.Attestation = b.attestation(ctx, att, k)
				dv.Keys = append(dv.Keys, dk)
			}
			v.Devices = append(v.Devices, dv)
		}
	}
	v.Devices = append(v.Devices, b.demoDevices()...)
	return v, nil
}

func (b *tuiBackend) attestation(ctx context.Context, att devices.Attester, k devices.KeyInfo) string {
	if att == nil {
		if b.team.HasAttestation(k.PublicKey) {
			return "in the team file (not checked here)"
		}
		return "unsupported"
	}
	ref, err := signer.ParseRef(k.Ref)
	if err != nil {
		return "unavailable: " + oneLine(err)
	}
	a, err := att.Attest(ctx, ref)
	switch {
	case err != nil:
		return "unavailable: " + oneLine(err)
	case a.Verified && a.Generated:
		return "verified (generated on the device)"
	case a.Verified:
		return "verified, but imported (not generated on the device)"
	}
	return "not verified"
}

// Plan builds the plan `bpkeys perms plan` builds and checks it with the
// same policies.
func (b *tuiBackend) Plan(ctx context.Context, req tui.PlanRequest) (*tui.PlanView, error) {
	p, w, fs, err := b.tuiPlan(ctx, req)
	if err != nil {
		return nil, err
	}
	v := &tui.PlanView{Request: req, Diff: p.Diff, Findings: tuiFindings(fs), Refused: policies.Refuses(fs) || p.Refused()}
	for _, ed := range p.Edits {
		v.Edits = append(v.Edits, ed.String())
	}
	for _, a := range p.Actions {
		v.Actions = append(v.Actions, fmt.Sprintf("%s (transaction %d)", a.Summary, a.Stage+1))
	}
	if v.Refused {
		v.RefusedReason = refusedReason(p, fs)
	} else {
		keys, devErrs := b.signingKeys(ctx)
		v.Direct, v.DirectWith = planDirect(p, w, keys)
		v.Findings = append(v.Findings, deviceFindings(devErrs)...)
	}
	return v, nil
}

// watched reports whether a level belongs to an account the TUI watches.
func (b *tuiBackend) watched(l eos.PermissionLevel) bool {
	for _, a := range b.accounts {
		if string(l.Actor) == a.name {
			return true
		}
	}
	return false
}

// Inbox is `bpkeys msig inbox`: open proposals awaiting a level the
// connected keys satisfy, or a level of a watched account.
func (b *tuiBackend) Inbox(ctx context.Context) (*tui.InboxView, error) {
	conn, devErrs := b.connected(ctx)
	var keys []signer.PublicKey
	for k := range conn {
		keys = append(keys, k)
	}
	accts := proposals.NewAccounts(b.client)
	var readErr error
	mine := func(l eos.PermissionLevel) bool {
		if b.watched(l) || len(keys) == 0 {
			return b.watched(l)
		}
		ok, err := proposals.KeysSatisfy(ctx, accts, l, keys)
		if err != nil && readErr == nil {
			readErr = err
		}
		return ok
	}
	items, err := proposals.Inbox(ctx, b.client, mine, proposals.InboxOptions{})
	if err == nil {
		err = readErr
	}
	if err != nil {
		return nil, err
	}
	v := &tui.InboxView{DeviceErrors: devErrs}
	for _, it := range items {
		row := tui.ProposalRow{Proposer: string(it.Proposer), Name: string(it.Name), Expires: it.Expiration, AwaitsYou: len(it.Awaiting) > 0}
		for _, p := range it.Provided {
			if p.Counts() {
				row.Approved++
			}
		}
		row.Requested = len(it.Requested) + len(it.Provided)
		row.Summary = "awaiting " + msigJoinLevels(it.Awaiting)
		if it.Error != "" {
			row.Summary = "unreadable: " + it.Error
		} else {
			row.Does = b.proposalDoes(ctx, string(it.Proposer), string(it.Name))
		}
		v.Proposals = append(v.Proposals, row)
	}
	sort.SliceStable(v.Proposals, func(i, j int) bool { return v.Proposals[i].Expires.Before(v.Proposals[j].Expires) })
	return v, nil
}

// Review is `bpkeys msig review`.
func (b *tuiBackend) Review(ctx context.Context, proposer, name string) (*tui.ReviewView, error) {
	r, err := b.a.readForReview(ctx, b.client, proposer, name)
	if errors.Is(err, proposals.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", tui.ErrProposalGone, err)
	}
	if err != nil {
		return nil, err
	}
	p := r.Proposal
	v := &tui.ReviewView{Proposer: string(p.Proposer), Name: string(p.Name), Hash: p.Hash.String(), Expiration: p.Transaction.Expiration,
		Verdict: tui.Verdict{Executable: r.Verdict.Executable, Reasons: r.Verdict.Reasons}}
	for _, a := range r.Actions {
		av := tui.ActionView{Text: a.Summary, Diff: a.Details}
		for _, l := range a.Authorization {
			av.Authorization = append(av.Authorization, string(l.Actor)+"@"+string(l.Permission))
		}
		v.Actions = append(v.Actions, av)
	}
	var walk func(lp proposals.LevelProgress, weight uint16, depth int)
	walk = func(lp proposals.LevelProgress, weight uint16, depth int) {
		v.Levels = append(v.Levels, tui.ApprovalLevel{Depth: depth, Level: lp.Level, Weight: weight, Threshold: lp.Threshold, Have: lp.Weight,
			Satisfied: lp.Satisfied, Approved: lp.Approved, Requested: lp.Requested})
		if lp.Approved || lp.Requested {
			return // as msig review: an approval (or its request) stands for the level
		}
		for _, c := range lp.Accounts {
			walk(c.LevelProgress, c.Weight, depth+1)
		}
	}
	if r.Progress != nil {
		for _, lp := range r.Progress.Authorizations {
			walk(lp, 0, 0)
		}
	}
	keys, devErrs := b.signingKeys(ctx)
	v.DeviceErrors = devErrs
	if avail := tuiPubs(keys); len(avail) > 0 {
		l, ok, err := b.levelFor(ctx, levels(p.Requested), avail)
		if err != nil {
			return nil, err
		}
		if ok {
			v.CanApprove, v.ApproveAs = true, string(l.Actor)+"@"+string(l.Permission)
		}
		if _, v.CanUnapprove, err = b.levelFor(ctx, levels(p.Provided), avail); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Producer is `bpkeys producer show`.
func (b *tuiBackend) Producer(ctx context.Context, account string) (*tui.ProducerView, error) {
	info, err := producer.Show(ctx, b.client, account)
	if errors.Is(err, producer.ErrNotProducer) {
		return &tui.ProducerView{Account: account}, nil
	}
	if err != nil {
		return nil, err
	}
	r := info.Row
	v := &tui.ProducerView{Account: account, Registered: true, Active: r.Active, Threshold: r.Authority.Threshold, URL: r.URL, Location: r.Location,
		LastClaim: r.LastClaimTime, NextClaim: info.NextClaim, HeadTime: info.HeadBlockTime, ClaimNow: info.ClaimAllowedNow,
		RotatePerm: info.RotatePermission, UnregisterPerm: info.UnregisterPermission, ClaimPerm: info.ClaimPermission, UnpaidBlocks: r.UnpaidBlocks}
	if info.RotateLinked {
		v.RotatePerm += " (linked)"
	}
	for _, k := range r.Authority.Keys {
		s := k.Key.String()
		if e, ok := b.team.Key(k.Key); ok {
			s += "  (" + e.Holder + "'s " + e.DeviceName() + ")"
		}
		v.SigningKeys = append(v.SigningKeys, s)
	}
	b.savannaView(ctx, v, r)
	return v, nil
}

// oneLine keeps the first line of an error for a table cell.
func oneLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
