package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/devchain/demokeys"
	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/hsm/piv"
	"github.com/bpkeys/bpkeys/hsm/pkcs11"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/pinentry"
	"github.com/bpkeys/bpkeys/policies"
	"github.com/bpkeys/bpkeys/producer"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/tui"
	"github.com/bpkeys/bpkeys/txflow"
)

// tuiDeviceOptions choose the TUI's device backends. Production leaves it
// zero: every YubiKey and the configured PKCS#11 module. Tests use it to
// reach only their own emulated card, or no device at all.
type tuiDeviceOptions struct {
	none       bool
	pivReaders []string
}

// pinBox hands the PIN typed in the TUI to the device backend asking for
// it, in place of a terminal prompt. It is armed with one signer's PIN
// around the device call that needs it (Sign calls are serialized), and
// returns a copy that the backend wipes after use. It never logs a PIN.
type pinBox struct {
	mu    sync.Mutex
	pin   []byte
	armed bool
}

func (p *pinBox) arm(pin []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pin, p.armed = pin, true
}

func (p *pinBox) disarm() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pin, p.armed = nil, false
}

// read is the backends' PIN reader (pkcs11.PINReader, piv.SecretReader).
func (p *pinBox) read(_ pinentry.Source, label string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.armed || len(p.pin) == 0 {
		return nil, fmt.Errorf("%s: no PIN was typed for this device in the signing screen", label)
	}
	return append([]byte(nil), p.pin...), nil
}

// tuiRegistry builds the TUI's own device registry, whose PINs come from
// box instead of a terminal prompt.
func (a *app) tuiRegistry(box *pinBox) *devices.Registry {
	if a.tuiDevices.none {
		return devices.NewRegistry()
	}
	notify := func(msg string) { fmt.Fprintln(a.stderr, msg) }
	return devices.NewRegistry(
		pkcs11.New(pkcs11.WithPINReader(box.read)),
		piv.New(piv.Options{ReadSecret: box.read, Readers: a.tuiDevices.pivReaders, Notify: notify}),
	)
}

// pinSigner arms the PIN box with its device's PIN around each signature
// (a YubiKey asks for the PIN when it signs).
type pinSigner struct {
	devices.Key
	box *pinBox
	pin []byte
}

// Sign signs with the device, its PIN armed for the call.
func (s pinSigner) Sign(ctx context.Context, d [32]byte) (signer.Signature, error) {
	s.box.arm(s.pin)
	defer s.box.disarm()
	return s.Key.Sign(ctx, d)
}

// Describe names the device.
func (s pinSigner) Describe() string { return signer.Describe(s.Key) }

// pubSigner offers a public key to the prepare steps, which only read it;
// it never signs.
type pubSigner signer.PublicKey

// PublicKey returns the key.
func (s pubSigner) PublicKey() signer.PublicKey { return signer.PublicKey(s) }

// Sign refuses: a pubSigner only prepares.
func (s pubSigner) Sign(context.Context, [32]byte) (signer.Signature, error) {
	return signer.Signature{}, errors.New("preparing only: nothing is signed")
}

// tuiKey is a key the TUI can sign with: on a connected device, or, inside
// `bpkeys demo` only, one of the demo team's in-memory keys.
type tuiKey struct {
	pub   signer.PublicKey
	ref   string
	demo  *demokeys.Key // DEMO ONLY: set by runTUI for the demo chain
	label string
	pin   bool
	touch bool
}

// signingKeys lists the keys connected now (and the demo's keys).
func (b *tuiBackend) signingKeys(ctx context.Context) ([]tuiKey, []string) {
	var out []tuiKey
	var errs []string
	seen := map[signer.PublicKey]bool{}
	for _, s := range b.reg.Schemes() {
		be, err := b.reg.Backend(s)
		if err != nil {
			errs = append(errs, s+": "+oneLine(err))
			continue
		}
		inv, err := be.Inventory(ctx)
		if err != nil {
			errs = append(errs, s+": "+oneLine(err))
		}
		for _, d := range inv.Devices {
			if e := d.Details["error"]; e != "" {
				errs = append(errs, d.Name+": "+e)
			}
		}
		for _, k := range inv.Keys {
			if seen[k.PublicKey] {
				continue
			}
			seen[k.PublicKey] = true
			tk := tuiKey{pub: k.PublicKey, ref: k.Ref, label: k.Device + " " + k.Label, pin: true}
			if s == "yubikey" {
				tk.label = k.Device + " slot " + k.Label
				tk.pin = k.Details["pin_policy"] != "never"
				tk.touch = k.Details["touch_policy"] == "always" || k.Details["touch_policy"] == "cached"
			}
			if e, ok := b.team.Key(k.PublicKey); ok && e.Holder != "" {
				tk.label = e.Holder + "'s " + tk.label
			}
			out = append(out, tk)
		}
	}
	for _, m := range b.demo {
		if seen[m.Key.PublicKey()] {
			continue
		}
		seen[m.Key.PublicKey()] = true
		out = append(out, tuiKey{pub: m.Key.PublicKey(), demo: m.Key, label: m.Account + "'s demo key (in memory)"})
	}
	return out, errs
}

func tuiPubs(keys []tuiKey) []signer.PublicKey {
	out := make([]signer.PublicKey, len(keys))
	for i, k := range keys {
		out[i] = k.pub
	}
	return out
}

// errNoTUIKey: nothing connected can sign.
var errNoTUIKey = errors.New("no key on a connected YubiKey or HSM: connect the device that holds a key of this authority (see the Devices screen, key 2)")

// tuiPrepared is a prepared signature waiting for Sign.
type tuiPrepared struct {
	keys []tuiKey // in the order of SignPreview.Signers
	sign func(ctx context.Context, signers []signer.Signer) (*tui.SignResult, error)
}

// PrepareSign builds the transaction a request signs with the CLI's
// prepare steps (msig requests, plans, producer actions): it asks the chain
// which of the connected keys must sign, computes the digest and lists the
// signers with their PIN and touch needs. Nothing is signed.
func (b *tuiBackend) PrepareSign(ctx context.Context, req tui.SignRequest) (*tui.SignPreview, error) {
	keys, errs := b.signingKeys(ctx)
	if len(keys) == 0 {
		if len(errs) > 0 {
			return nil, fmt.Errorf("%w (%s)", errNoTUIKey, strings.Join(errs, "; "))
		}
		return nil, errNoTUIKey
	}
	avail := tuiPubs(keys)
	var (
		pv   *tui.SignPreview
		sign func(ctx context.Context, signers []signer.Signer) (*tui.SignResult, error)
		need []signer.PublicKey
		err  error
	)
	switch req.Kind {
	case tui.SignApprove, tui.SignUnapprove, tui.SignExec, tui.SignCancel:
		pv, need, sign, err = b.prepareMsig(ctx, req, avail)
	case tui.SignPlanDirect, tui.SignPlanPropose:
		pv, need, sign, err = b.preparePlan(ctx, req, avail)
	case tui.SignRotateKey, tui.SignUnregister:
		pv, need, sign, err = b.prepareProducer(ctx, req, avail)
	case tui.SignFailover:
		pv, need, sign, err = b.prepareFailover(ctx, req, avail)
	default:
		err = fmt.Errorf("signing %q: unknown request", req.Kind)
	}
	if err != nil {
		return nil, err
	}
	prep := &tuiPrepared{sign: sign}
	byKey := map[signer.PublicKey]tuiKey{}
	for _, k := range keys {
		byKey[k.pub] = k
	}
	for _, pub := range need {
		k, ok := byKey[pub]
		if !ok {
			return nil, fmt.Errorf("the chain asks for key %s, which no connected device holds", pub)
		}
		prep.keys = append(prep.keys, k)
		pv.Signers = append(pv.Signers, tui.SignerView{Label: k.label, Key: k.pub.String(), NeedsPIN: k.pin, NeedsTouch: k.touch})
	}
	pv.Request = req
	var tok [16]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, err
	}
	pv.Token = hex.EncodeToString(tok[:])
	b.mu.Lock()
	if b.pending == nil {
		b.pending = map[string]*tuiPrepared{}
	}
	b.pending[pv.Token] = prep
	b.mu.Unlock()
	return pv, nil
}

// Sign signs exactly what PrepareSign prepared (once): it opens each
// signer's device with the PIN typed for it, signs through the journal and
// pushes, then closes the devices and wipes its copies of the PINs.
func (b *tuiBackend) Sign(ctx context.Context, p *tui.SignPreview, pins []string) (*tui.SignResult, error) {
	b.signMu.Lock()
	defer b.signMu.Unlock()
	b.mu.Lock()
	prep := b.pending[p.Token]
	delete(b.pending, p.Token)
	b.mu.Unlock()
	if prep == nil {
		return nil, errors.New("this transaction is not prepared (or was already sent to the devices): prepare it again")
	}
	if len(pins) != len(prep.keys) {
		return nil, fmt.Errorf("%d PINs for %d signers", len(pins), len(prep.keys))
	}
	var secrets [][]byte
	var closers []func() error
	defer func() {
		for _, c := range closers {
			_ = c()
		}
		for _, s := range secrets {
			pinentry.Wipe(s)
		}
	}()
	var signers []signer.Signer
	for i, k := range prep.keys {
		if k.demo != nil {
			signers = append(signers, k.demo)
			continue
		}
		pin := []byte(pins[i])
		secrets = append(secrets, pin)
		b.pins.arm(pin) // a PKCS#11 token logs in when the key is opened
		key, err := b.reg.Open(ctx, k.ref)
		b.pins.disarm()
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w (nothing was signed)", k.label, err)
		}
		closers = append(closers, key.Close)
		signers = append(signers, pinSigner{Key: key, box: b.pins, pin: pin})
	}
	return prep.sign(ctx, signers)
}

// jobPreview fills a preview from a prepared job: every line the gate
// shows, decoded from the frozen bytes.
func jobPreview(p *txflow.Prepared, extra ...string) *tui.SignPreview {
	pv := &tui.SignPreview{ChainID: p.ChainID.String(), Digest: strings.Join(p.Digests(), ", "), Expiration: p.Expiration()}
	pv.Actions = append(extra, p.Lines()...)
	return pv
}

// prepareJob prepares a job through the TUI's gate.
func (b *tuiBackend) prepareJob(ctx context.Context, job txflow.Job) (*txflow.Gate, *txflow.Prepared, error) {
	g, err := b.a.gate(b.client, b.team, nil)
	if err != nil {
		return nil, nil, err
	}
	p, err := prepareJob(ctx, g, job)
	if err != nil {
		return nil, nil, err
	}
	return g, p, nil
}

// jobSign signs a prepared job once the screen's enter confirmed it.
func (b *tuiBackend) jobSign(g *txflow.Gate, p *txflow.Prepared, notes func() []string) func(context.Context, []signer.Signer) (*tui.SignResult, error) {
	return func(ctx context.Context, signers []signer.Signer) (*tui.SignResult, error) {
		if err := p.Confirmed(); err != nil {
			return nil, err
		}
		done, err := g.Sign(ctx, p, signers)
		if err != nil {
			return nil, err
		}
		res := &tui.SignResult{TxID: done.TxID()}
		if len(done.Pushed) > 1 {
			for i, pr := range done.Pushed {
				res.Notes = append(res.Notes, fmt.Sprintf("transaction %d of %d: %s", i+1, len(done.Pushed), pr.TransactionID))
			}
		}
		if notes != nil {
			res.Notes = append(res.Notes, notes()...)
		}
		return res, nil
	}
}

// levelFor is the first of candidates whose authority the keys satisfy.
func (b *tuiBackend) levelFor(ctx context.Context, candidates []eos.PermissionLevel, avail []signer.PublicKey) (eos.PermissionLevel, bool, error) {
	return proposals.FirstSatisfied(ctx, proposals.NewAccounts(b.client), candidates, avail)
}

func levels(as []proposals.Approval) []eos.PermissionLevel {
	out := make([]eos.PermissionLevel, len(as))
	for i, a := range as {
		out[i] = a.Level
	}
	return out
}

// prepareMsig is approve (pinned to the hash read now, re-read before the
// signature), unapprove, exec and cancel, as the msig commands build them;
// the level is the first one the connected keys satisfy.
func (b *tuiBackend) prepareMsig(ctx context.Context, req tui.SignRequest, avail []signer.PublicKey) (*tui.SignPreview, []signer.PublicKey, func(context.Context, []signer.Signer) (*tui.SignResult, error), error) {
	r, err := b.a.readForReview(ctx, b.client, req.Proposer, req.Proposal)
	if err != nil {
		return nil, nil, nil, err
	}
	p := r.Proposal
	var (
		job   txflow.Job
		level eos.PermissionLevel
		ok    bool
		note  string
	)
	switch req.Kind {
	case tui.SignApprove:
		if req.Hash == "" {
			return nil, nil, nil, withCode(exitRefused, fmt.Errorf("approving %s/%s: the request carries no reviewed hash; open the review first", p.Proposer, p.Name))
		}
		if req.Hash != p.Hash.String() {
			return nil, nil, nil, withCode(exitRefused, fmt.Errorf("%s/%s now holds a transaction with hash %s, not the %s you reviewed: it was replaced; review it again (nothing was signed)", p.Proposer, p.Name, p.Hash, req.Hash))
		}
		if level, ok, err = b.levelFor(ctx, levels(p.Requested), avail); err != nil {
			return nil, nil, nil, err
		} else if !ok {
			return nil, nil, nil, fmt.Errorf("the keys connected now satisfy none of the approvals still requested (%s)", msigJoinLevels(levels(p.Requested)))
		}
		if job, err = b.a.approveJob(ctx, b.client, p, level, false); err != nil {
			return nil, nil, nil, err
		}
		note = fmt.Sprintf("approved %s/%s as %s@%s, pinned to proposal hash %s", p.Proposer, p.Name, level.Actor, level.Permission, p.Hash)
	case tui.SignUnapprove:
		if level, ok, err = b.levelFor(ctx, levels(p.Provided), avail); err != nil {
			return nil, nil, nil, err
		} else if !ok {
			return nil, nil, nil, fmt.Errorf("the keys connected now gave none of the approvals provided (%s)", msigJoinLevels(levels(p.Provided)))
		}
		act, err := proposals.UnapproveAction(p, level)
		if err != nil {
			return nil, nil, nil, err
		}
		job, note = txflow.MsigJob(b.client, "unapprove", p, act, level), fmt.Sprintf("withdrew the approval of %s@%s", level.Actor, level.Permission)
	case tui.SignExec:
		cands := append(levels(p.Provided), levels(p.Requested)...)
		for _, a := range b.accounts {
			cands = append(cands, eos.PermissionLevel{Actor: eos.AccountName(a.name), Permission: "active"})
		}
		if level, ok, err = b.levelFor(ctx, cands, avail); err != nil {
			return nil, nil, nil, err
		} else if !ok {
			return nil, nil, nil, errors.New("the keys connected now satisfy no account that could execute it: connect a team member's device")
		}
		act, err := proposals.ExecAction(p, r.Verdict, level)
		if err != nil {
			return nil, nil, nil, err
		}
		job, note = txflow.MsigJob(b.client, "exec", p, act, level), fmt.Sprintf("executed %s/%s as %s@%s", p.Proposer, p.Name, level.Actor, level.Permission)
	case tui.SignCancel:
		level = eos.PermissionLevel{Actor: p.Proposer, Permission: "active"}
		act, err := proposals.CancelAction(p, level, r.Now)
		if err != nil {
			return nil, nil, nil, err
		}
		job, note = txflow.MsigJob(b.client, "cancel", p, act, level), fmt.Sprintf("cancelled %s/%s", p.Proposer, p.Name)
	}
	job.Avail = avail
	g, prep, err := b.prepareJob(ctx, job)
	if err != nil {
		return nil, nil, nil, err
	}
	pv := jobPreview(prep, "proposal hash "+p.Hash.String())
	return pv, prep.Required(), b.jobSign(g, prep, func() []string { return []string{note} }), nil
}

// tuiPlan builds the plan `bpkeys perms plan` builds and checks it with the
// same policies.
func (b *tuiBackend) tuiPlan(ctx context.Context, req tui.PlanRequest) (*permissions.Plan, *permissions.World, []permissions.Finding, error) {
	var e permissions.Edit
	switch req.Kind {
	case tui.PlanRotate:
		e = permissions.Edit{Op: permissions.OpRotate, Key: req.Key, NewKey: req.NewKey}
	case tui.PlanRemoveKey:
		e = permissions.Edit{Op: permissions.OpRemoveKey, Permission: req.Permission, Key: req.Key}
	case tui.PlanThreshold:
		e = permissions.Edit{Op: permissions.OpThreshold, Permission: req.Permission, Threshold: req.Threshold}
	case tui.PlanTemplate:
		e = permissions.ProducerTemplate(nil, nil, false)
	default:
		return nil, nil, nil, fmt.Errorf("plan %q: unknown kind", req.Kind)
	}
	acct, w, err := permsLoad(ctx, b.client, req.Account)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := permissions.NewPlan(acct, []permissions.Edit{e}, permsLabel(b.team))
	if err != nil {
		return nil, nil, nil, err
	}
	if err := w.Extend(ctx, permsFetch(b.client), p.After); err != nil {
		return nil, nil, nil, err
	}
	return p, w, policies.CheckPlan(p, w, b.team, nil), nil
}

// refusedReason is the built-in error finding that refuses a plan.
func refusedReason(p *permissions.Plan, fs []permissions.Finding) string {
	for _, f := range append(fs, p.Findings...) {
		if f.BuiltIn && f.Severity == permissions.SeverityError {
			return f.Message
		}
	}
	return "the safety rules refuse it"
}

// preparePlan signs a plan directly (perms apply's job, checked against
// the connected keys, re-read for drift before signing) or proposes it
// (msig propose --plan: the first requested approver the connected keys
// satisfy proposes).
func (b *tuiBackend) preparePlan(ctx context.Context, req tui.SignRequest, avail []signer.PublicKey) (*tui.SignPreview, []signer.PublicKey, func(context.Context, []signer.Signer) (*tui.SignResult, error), error) {
	if req.Plan == nil {
		return nil, nil, nil, errors.New("no plan to sign")
	}
	p, w, fs, err := b.tuiPlan(ctx, *req.Plan)
	if err != nil {
		return nil, nil, nil, err
	}
	if policies.Refuses(fs) || p.Refused() {
		return nil, nil, nil, withCode(exitRefused, fmt.Errorf("refused: %s", refusedReason(p, fs)))
	}
	if req.Kind == tui.SignPlanDirect {
		return b.preparePlanDirect(ctx, p, w, avail)
	}
	body, err := permissions.MarshalPlan(p)
	if err != nil {
		return nil, nil, nil, err
	}
	acts, err := proposals.ParseActions(ctx, proposals.NewABIs(b.client), body)
	if err != nil {
		return nil, nil, nil, err
	}
	requested, _, err := proposals.DeriveRequested(ctx, proposals.NewAccounts(b.client), acts, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	var cands []eos.PermissionLevel
	for _, l := range requested {
		cands = append(cands, eos.PermissionLevel{Actor: l.Actor, Permission: "active"})
	}
	prop, ok, err := b.levelFor(ctx, cands, avail)
	if err != nil {
		return nil, nil, nil, err
	}
	if !ok {
		return nil, nil, nil, fmt.Errorf("the keys connected now satisfy none of the accounts that could propose it (%s)", msigJoinLevels(cands))
	}
	built, err := proposals.Build(ctx, b.client, proposals.ProposeRequest{Proposer: prop.Actor, Actions: acts})
	var dup *proposals.DuplicateError
	if errors.As(err, &dup) {
		return nil, nil, nil, fmt.Errorf("%w: %s already proposed the same transaction as %s/%s (hash %s)", tui.ErrAlreadyProposed, dup.Proposer, dup.Proposer, dup.Name, dup.Hash)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	job := txflow.ProposeJob(b.client, built)
	job.Avail = avail
	g, prep, err := b.prepareJob(ctx, job)
	if err != nil {
		return nil, nil, nil, err
	}
	extra := []string{"proposal " + string(built.Proposer) + "/" + string(built.Name) + " of:\n" + strings.Join(p.Diff, "\n"),
		"requested " + msigJoinLevels(built.Requested), "proposal hash " + built.Hash.String()}
	notes := func() []string {
		return []string{fmt.Sprintf("proposed as %s/%s; approvals requested from %s (enter, then 3 opens the inbox)", built.Proposer, built.Name, msigJoinLevels(built.Requested))}
	}
	return jobPreview(prep, extra...), prep.Required(), b.jobSign(g, prep, notes), nil
}

// prepareProducer is producer rotate-key and unregister: the producer
// package's prepare (direct, or a proposal when the connected keys do not
// satisfy the permission) and Execute.
func (b *tuiBackend) prepareProducer(ctx context.Context, req tui.SignRequest, avail []signer.PublicKey) (*tui.SignPreview, []signer.PublicKey, func(context.Context, []signer.Signer) (*tui.SignResult, error), error) {
	pubs := make([]signer.Signer, len(avail))
	for i, k := range avail {
		pubs[i] = pubSigner(k)
	}
	var (
		plan  *producer.Plan
		notes []string
	)
	switch req.Kind {
	case tui.SignRotateKey:
		k, err := signer.ParsePublicKey(strings.TrimSpace(req.NewKey))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("new key: %w", err)
		}
		// The emergency screen names the linked permission: sign as it, or
		// say its key is not connected (never silently as active).
		rreq := producer.RotateRequest{Account: req.Account, NewKeys: []signer.PublicKey{k}}
		rreq.Via, rreq.Exact = producer.ViaDirect, true
		rot, err := producer.PrepareRotation(ctx, b.client, rreq, pubs)
		if err != nil {
			return nil, nil, nil, err
		}
		plan = rot.Plan
		notes = append(notes, "old: "+describeAuthority(rot.Old.Authority), "new: "+describeAuthority(rot.New))
	default:
		pl, row, err := producer.PrepareUnregister(ctx, b.client, req.Account, producer.SendOptions{}, pubs)
		if err != nil {
			return nil, nil, nil, err
		}
		plan = pl
		notes = append(notes, "UNREGISTER: "+req.Account+" stops producing blocks (current key "+describeAuthority(row.Authority)+")")
	}
	g, err := b.a.gate(b.client, b.team, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	prep, err := plan.Prepare(ctx, g)
	if err != nil {
		return nil, nil, nil, err
	}
	signsAs := fmt.Sprintf("signs as %s@%s (via %s): %s", plan.Account, plan.Permission, plan.Via, plan.Why)
	pv := jobPreview(prep, append([]string{signsAs}, notes...)...)
	sign := func(ctx context.Context, signers []signer.Signer) (*tui.SignResult, error) {
		if err := prep.Confirmed(); err != nil {
			return nil, err
		}
		done, err := g.Sign(ctx, prep, signers)
		if err != nil {
			return nil, err
		}
		out := producer.OutcomeOf(done)
		res := &tui.SignResult{TxID: out.TrxID}
		if plan.Via == producer.ViaMsig {
			res.Notes = append(res.Notes, fmt.Sprintf("proposed as %s/%s; it takes effect when enough of %s approve and someone executes it", strings.SplitN(plan.Proposer, "@", 2)[0], plan.ProposalName, strings.Join(plan.Requested, ", ")))
		} else {
			res.Notes = append(res.Notes, "sent directly; the producers table shows it once it is in a block")
		}
		return res, nil
	}
	return pv, plan.Required, sign, nil
}

// planDirect says whether the keys connected now satisfy every
// authorization of the plan (perms apply's check), and as which levels.
func planDirect(p *permissions.Plan, w *permissions.World, keys []tuiKey) (bool, string) {
	if len(keys) == 0 || p.CheckSigners(w, tuiPubs(keys), nil) != nil {
		return false, ""
	}
	var as []string
	seen := map[string]bool{}
	for _, a := range p.Actions {
		for _, l := range a.Authorization {
			if !seen[l.String()] {
				seen[l.String()] = true
				as = append(as, l.String())
			}
		}
	}
	return true, "as " + strings.Join(as, ", ")
}

// preparePlanDirect signs a plan directly: perms apply's job, checked
// against the connected keys; the gate re-reads the account for drift
// right before signing.
func (b *tuiBackend) preparePlanDirect(ctx context.Context, p *permissions.Plan, w *permissions.World, avail []signer.PublicKey) (*tui.SignPreview, []signer.PublicKey, func(context.Context, []signer.Signer) (*tui.SignResult, error), error) {
	if err := p.CheckSigners(w, avail, nil); err != nil {
		return nil, nil, nil, err
	}
	job, err := txflow.PlanJob(p, permsFetch(b.client))
	if err != nil {
		return nil, nil, nil, err
	}
	job.Avail = avail
	g, prep, err := b.prepareJob(ctx, job)
	if err != nil {
		return nil, nil, nil, err
	}
	need := prep.Required()
	if len(prep.Stages) > 1 {
		// Later stages' keys are asked when their turn comes: offer the
		// connected keys the planned tree holds.
		seen := map[signer.PublicKey]bool{}
		for _, k := range need {
			seen[k] = true
		}
		for _, perm := range p.After.Permissions {
			for _, kw := range perm.Auth.Keys {
				for _, k := range avail {
					if kw.Unsupported == "" && kw.Key == k && !seen[k] {
						seen[k] = true
						need = append(need, k)
					}
				}
			}
		}
	}
	return jobPreview(prep), need, b.jobSign(g, prep, func() []string {
		return []string{p.Account + " now has the planned permissions"}
	}), nil
}
