package txflow

import (
	"context"
	"errors"
	"fmt"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/signer"
)

// Chain is what the gate asks of the node.
type Chain interface {
	proposals.Chain
	NewTransaction(ctx context.Context, actions []*eos.Action, expiresIn time.Duration) (*eos.SignedTransaction, error)
	RequiredKeys(ctx context.Context, tx *eos.Transaction, available []signer.PublicKey) ([]signer.PublicKey, error)
	PushPacked(ctx context.Context, p *chain.PackedTransaction) (*chain.PushResult, error)
	GetABI(ctx context.Context, account string) (*chain.ABIResponse, error)
}

var _ Chain = (*chain.Client)(nil)

// maxUnique bounds how far an intent's expiration is moved to make its
// bytes differ from transactions signed before.
const maxUnique = 32

// Job is what a command asks the gate to sign: one transaction per stage,
// in order (a plan that creates a permission under another it creates
// needs two).
type Job struct {
	// Note says what the signature is for (journal, display).
	Note   string
	Stages [][]*eos.Action
	// Expiration of each transaction (0: the chain client's default).
	Expiration time.Duration
	// Avail are the keys the signers offer.
	Avail []signer.PublicKey
	// Show are lines the command adds to the display (a review, a diff
	// computed from the actions).
	Show []string
	// Recheck re-reads what the command relied on, right before the
	// signature; an error stops everything, nothing is signed.
	Recheck func(ctx context.Context) error
	// ReadBack confirms the effect on chain after the push.
	ReadBack func(ctx context.Context) error
	// MapErr rewrites a signing or push error (nil keeps it).
	MapErr func(error) error
	// Refreeze lets an unattended job move its expiration one second
	// earlier when a deterministic-nonce device has no canonical K1
	// signature for a digest. Never for a job a person confirmed.
	Refreeze bool
	// OnRefreeze is told each time Refreeze moved the expiration.
	OnRefreeze func()
}

// Gate is the one way bpkeys signs.
type Gate struct {
	Chain   Chain
	Journal *audit.Journal
	Judge   Judge
	// BeforePush lets tests act between the signature and the push (nil
	// in production).
	BeforePush func()
}

// Stage is one frozen transaction of a prepared job.
type Stage struct {
	Frozen *Frozen
	// Required are the keys that sign it; nil for a later stage, whose
	// keys are asked when its turn comes.
	Required []signer.PublicKey
}

// Prepared is a job whose bytes are frozen, judged and ready to be shown.
type Prepared struct {
	job       Job
	ChainID   signer.ChainID
	ChainName string
	Stages    []*Stage
	Findings  []Finding
	Effects   []Effect
	shown     bool
	confirmed bool
}

// Prepare builds and freezes every stage, makes a new intent's bytes
// unique against the journal, and judges the effects. An error finding
// refuses (*RefusedError). Nothing is signed.
func (g *Gate) Prepare(ctx context.Context, job Job) (*Prepared, error) {
	if g.Journal == nil {
		return nil, errors.New("no signing journal: refusing to prepare a signature that cannot be recorded")
	}
	info, err := g.Chain.GetInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the chain: %w", err)
	}
	p := &Prepared{job: job, ChainID: info.ChainID, ChainName: ChainName(info.ChainID, info.ServerVersionString)}
	signed, err := g.signedIDs()
	if err != nil {
		return nil, err
	}
	for i, acts := range job.Stages {
		st, err := g.stage(ctx, p.ChainID, acts, job, i > 0, signed)
		if err != nil {
			if len(job.Stages) > 1 {
				return nil, fmt.Errorf("transaction %d of %d: %w", i+1, len(job.Stages), err)
			}
			return nil, err
		}
		p.Stages = append(p.Stages, st)
	}
	if err := g.judge(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// stage freezes one transaction and, unless later, asks which keys sign.
func (g *Gate) stage(ctx context.Context, chainID signer.ChainID, acts []*eos.Action, job Job, later bool, signed map[string]bool) (*Stage, error) {
	tx, err := g.Chain.NewTransaction(ctx, acts, job.Expiration)
	if err != nil {
		return nil, err
	}
	f, err := Freeze(chainID, tx.Transaction, nil)
	if err != nil {
		return nil, err
	}
	if f, err = unique(f, signed); err != nil {
		return nil, err
	}
	st := &Stage{Frozen: f}
	if !later {
		if st.Required, err = g.Chain.RequiredKeys(ctx, f.Transaction(), job.Avail); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// signedIDs are the transaction ids of the journal.
func (g *Gate) signedIDs() (map[string]bool, error) {
	es, err := g.Journal.History()
	if err != nil && !errors.Is(err, audit.ErrNoJournal) {
		return nil, fmt.Errorf("reading the signing journal to keep this transaction apart from earlier ones: %w", err)
	}
	out := map[string]bool{}
	for _, e := range es {
		if e.TrxID != "" {
			out[e.TrxID] = true
		}
	}
	return out, nil
}

// judge computes the effects of every stage from the frozen bytes and
// refuses on an error finding.
func (g *Gate) judge(ctx context.Context, p *Prepared) error {
	var acts []proposals.Action
	for _, st := range p.Stages {
		acts = append(acts, st.Frozen.Decoded.Actions...)
		// An action the target contract does not have is a no-op or a
		// failure on chain, never what the operator meant.
		if err := chain.CheckActionsAgainstABI(ctx, g.Chain, st.Frozen.Transaction().Actions); err != nil {
			if errors.Is(err, chain.ErrActionNotInABI) {
				return &RefusedError{Reason: "the chain's contract cannot do what this transaction asks", Err: err}
			}
			return err
		}
	}
	effs, err := Effects(ctx, g.Chain, acts)
	if err != nil {
		return err
	}
	fs, err := g.Judge.Check(ctx, proposals.NewAccounts(g.Chain), effs)
	if err != nil {
		return err
	}
	p.Effects, p.Findings = effs, fs
	if bad := Refusing(fs); len(bad) > 0 {
		return &RefusedError{Reason: "the safety rules refuse what this transaction does", Findings: bad}
	}
	return nil
}

// Required lists the keys known to sign, in order, without repeats.
func (p *Prepared) Required() []signer.PublicKey {
	var out []signer.PublicKey
	seen := map[signer.PublicKey]bool{}
	for _, st := range p.Stages {
		for _, k := range st.Required {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// Lines is what will be signed, every field, decoded from the frozen bytes,
// with the chain named and the findings. Calling it marks the job shown.
func (p *Prepared) Lines() []string {
	p.shown = true
	out := append([]string{}, p.job.Show...)
	out = append(out, fmt.Sprintf("chain             %s (%s)", p.ChainName, p.ChainID))
	for i, st := range p.Stages {
		if len(p.Stages) > 1 {
			out = append(out, fmt.Sprintf("transaction %d of %d:", i+1, len(p.Stages)))
		}
		out = append(out, Describe(st.Frozen)...)
		for _, k := range st.Required {
			out = append(out, "signing key       "+k.String())
		}
		if st.Required == nil {
			out = append(out, "signing keys      asked when the transaction before it is in a block")
		}
	}
	for _, e := range p.Effects {
		if e.Via != "" && e.Action.Account != proposals.Msig {
			out = append(out, fmt.Sprintf("through proposal %s: %s::%s", e.Via, e.Action.Account, e.Action.Name))
		}
	}
	for _, f := range p.Findings {
		out = append(out, f.String())
	}
	return out
}

// Summary is every stage's actions in words.
func (p *Prepared) Summary() []string {
	var out []string
	for _, st := range p.Stages {
		out = append(out, Summary(st.Frozen)...)
	}
	return out
}

// Digests are the stages' digests in hex.
func (p *Prepared) Digests() []string {
	var out []string
	for _, st := range p.Stages {
		out = append(out, st.Frozen.DigestHex())
	}
	return out
}

// Expiration is the first transaction's expiration.
func (p *Prepared) Expiration() time.Time { return p.Stages[0].Frozen.Expiration() }

// Confirmed records that the operator said yes to what Lines showed.
func (p *Prepared) Confirmed() error {
	if !p.shown {
		return errors.New("confirming a transaction that was not shown: show its Lines first (nothing was signed)")
	}
	p.confirmed = true
	return nil
}

// Result is what Sign did.
type Result struct {
	Pushed []*chain.PushResult
	// Required are the keys that signed, per stage.
	Required [][]signer.PublicKey
	Stages   []*Stage
}

// TxID is the last transaction's id.
func (r *Result) TxID() string { return r.Pushed[len(r.Pushed)-1].TransactionID.String() }

// Sign re-checks, re-judges against the state read now, then for each stage
// journals, signs the frozen digest, pushes the frozen bytes, and finally
// reads the effect back.
func (g *Gate) Sign(ctx context.Context, p *Prepared, signers []signer.Signer) (*Result, error) {
	res, err := g.sign(ctx, p, signers)
	if err != nil && p.job.MapErr != nil {
		if m := p.job.MapErr(err); m != nil {
			return res, m
		}
	}
	return res, err
}

func (g *Gate) sign(ctx context.Context, p *Prepared, signers []signer.Signer) (*Result, error) {
	if !p.confirmed {
		return nil, errors.New("signing a transaction that was not confirmed: nothing was signed")
	}
	if p.job.Recheck != nil {
		if err := p.job.Recheck(ctx); err != nil {
			return nil, err
		}
	}
	if err := g.judge(ctx, p); err != nil {
		return nil, err
	}
	out := &Result{Stages: p.Stages}
	n := len(p.Stages)
	for i, st := range p.Stages {
		res, err := g.signStage(ctx, p, st, signers)
		if err != nil {
			switch {
			case i > 0:
				return out, fmt.Errorf("transaction %d of %d failed after %d was applied; read the account again and plan again: %w", i+1, n, i, err)
			case n > 1:
				return out, fmt.Errorf("transaction %d of %d: %w", i+1, n, err)
			}
			return out, err
		}
		out.Pushed = append(out.Pushed, res)
		out.Required = append(out.Required, st.Required)
	}
	if p.job.ReadBack != nil {
		if err := p.job.ReadBack(ctx); err != nil {
			return out, fmt.Errorf("transaction %s was accepted, but reading the chain back: %w", out.TxID(), err)
		}
	}
	return out, nil
}

// signStage journals, signs and pushes one frozen transaction.
func (g *Gate) signStage(ctx context.Context, p *Prepared, st *Stage, signers []signer.Signer) (*chain.PushResult, error) {
	var err error
	if st.Required == nil {
		if st.Required, err = g.Chain.RequiredKeys(ctx, st.Frozen.Transaction(), p.job.Avail); err != nil {
			return nil, fmt.Errorf("which keys must sign: %w", err)
		}
	}
	for bump := 0; ; bump++ {
		err = g.journalAndSign(ctx, p.job.Note, st, signers)
		if err == nil {
			break
		}
		if !errors.Is(err, signer.ErrDeterministicNonce) || !p.job.Refreeze || bump >= maxUnique {
			return nil, &SignError{Err: err}
		}
		// An HSM with deterministic nonces gave a non-canonical K1
		// signature for this digest and will again: an unattended job
		// moves its expiration one second earlier (never later).
		if st.Frozen, err = st.Frozen.earlier(); err != nil {
			return nil, err
		}
		if p.job.OnRefreeze != nil {
			p.job.OnRefreeze()
		}
	}
	if g.BeforePush != nil {
		g.BeforePush()
	}
	res, err := g.Chain.PushPacked(ctx, st.Frozen.Pack())
	if err != nil {
		return nil, err
	}
	if res.Duplicate {
		return nil, fmt.Errorf("the chain already had transaction %s before bpkeys sent it (signed earlier, by another run or tool): this run changed nothing; check the state and run again", res.TransactionID)
	}
	return res, nil
}

// journalAndSign writes one journal line per required key, then signs the
// frozen digest with exactly those keys.
func (g *Gate) journalAndSign(ctx context.Context, note string, st *Stage, signers []signer.Signer) error {
	f := st.Frozen
	byKey := map[signer.PublicKey]signer.Signer{}
	for _, s := range signers {
		byKey[s.PublicKey()] = s
	}
	var missing []signer.PublicKey
	for _, k := range st.Required {
		if _, ok := byKey[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return &signer.MissingSignerError{Keys: missing}
	}
	aps, err := audit.Approvals(f.Transaction())
	if err != nil {
		return fmt.Errorf("%w (nothing was signed)", err)
	}
	seen := map[signer.PublicKey]bool{}
	for _, k := range st.Required {
		if seen[k] {
			continue
		}
		seen[k] = true
		if err := g.Journal.Append(audit.Entry{
			ChainID: f.ChainID.String(), Digest: f.DigestHex(), TrxID: f.IDHex(),
			Actions: Summary(f), Approvals: aps, Key: k.String(), Device: signer.Describe(byKey[k]), Note: note,
		}); err != nil {
			return fmt.Errorf("%w (nothing was signed)", err)
		}
	}
	sigs, err := signer.SignPacked(ctx, f.ChainID, f.Packed, f.CFD, st.Required, signers)
	if err != nil {
		return err
	}
	f.Signatures = sigs
	return nil
}

// PrepareBuilt prepares one transaction a domain package built and asked
// the required keys for (a producer action, direct or proposed): frozen,
// made unique against the journal, judged. The bytes shown and signed are
// the frozen ones; when uniqueness moved the expiration, the required keys
// are asked again.
func (g *Gate) PrepareBuilt(ctx context.Context, tx *eos.Transaction, required []signer.PublicKey, job Job) (*Prepared, error) {
	if g.Journal == nil {
		return nil, errors.New("no signing journal: refusing to prepare a signature that cannot be recorded")
	}
	info, err := g.Chain.GetInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the chain: %w", err)
	}
	signed, err := g.signedIDs()
	if err != nil {
		return nil, err
	}
	f, err := Freeze(info.ChainID, tx, nil)
	if err != nil {
		return nil, err
	}
	if f, err = unique(f, signed); err != nil {
		return nil, err
	}
	p := &Prepared{job: job, ChainID: info.ChainID, ChainName: ChainName(info.ChainID, info.ServerVersionString), Stages: []*Stage{{Frozen: f, Required: required}}}
	if err := g.judge(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// unique moves f's expiration earlier until its id is not one signed
// before: the same bytes signed for an earlier intent (approve, unapprove,
// approve within a second) would be answered tx_duplicate, and nothing
// would happen.
func unique(f *Frozen, signed map[string]bool) (*Frozen, error) {
	var err error
	for n := 0; signed[f.IDHex()]; n++ {
		if n == maxUnique {
			return nil, fmt.Errorf("transaction %s was signed before and %d other expirations too: wait a second and run again", f.IDHex(), maxUnique)
		}
		if f, err = f.earlier(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// SignError is a failure to journal or sign: nothing was pushed.
type SignError struct{ Err error }

func (e *SignError) Error() string { return e.Err.Error() }
func (e *SignError) Unwrap() error { return e.Err }
