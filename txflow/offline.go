package txflow

import (
	"context"
	"errors"
	"fmt"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/signer"
)

// ErrNeedsChain refuses to sign offline a transaction whose effects on
// authorities can only be judged against the chain.
var ErrNeedsChain = errors.New("this transaction changes authorities or acts on eosio.msig proposals, which bpkeys judges against the chain before signing: give an endpoint (--url or BPKEYS_URL)")

// PrepareFrozen prepares a transaction built elsewhere (a file), whose
// bytes come frozen, to be signed by the keys given. With no chain (offline
// signing), a transaction with native auth or eosio.msig actions is refused
// with ErrNeedsChain; otherwise it is judged like any other.
func (g *Gate) PrepareFrozen(ctx context.Context, f *Frozen, required []signer.PublicKey, job Job) (*Prepared, error) {
	if g.Journal == nil {
		return nil, errors.New("no signing journal: refusing to prepare a signature that cannot be recorded")
	}
	p := &Prepared{job: job, ChainID: f.ChainID, ChainName: ChainName(f.ChainID, ""), Stages: []*Stage{{Frozen: f, Required: required}}}
	if g.Chain == nil {
		for _, a := range f.Decoded.Actions {
			if a.Account == "eosio.msig" || (a.Account == "eosio" && isNativeAuth(string(a.Name))) {
				return nil, &RefusedError{Reason: "offline signing", Err: ErrNeedsChain}
			}
		}
		return p, nil
	}
	info, err := g.Chain.GetInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the chain: %w", err)
	}
	if info.ChainID != f.ChainID {
		return nil, &RefusedError{Reason: fmt.Sprintf("the transaction is for chain %s but the endpoint serves chain %s", f.ChainID, info.ChainID)}
	}
	p.ChainName = ChainName(info.ChainID, info.ServerVersionString)
	if err := g.judge(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// SignOnly journals and signs a prepared, confirmed transaction without
// pushing it (tx sign): the signatures are in each stage's Frozen.
func (g *Gate) SignOnly(ctx context.Context, p *Prepared, signers []signer.Signer) error {
	if !p.confirmed {
		return errors.New("signing a transaction that was not confirmed: nothing was signed")
	}
	if g.Chain != nil {
		if err := g.judge(ctx, p); err != nil {
			return err
		}
	}
	for _, st := range p.Stages {
		if err := g.journalAndSign(ctx, p.job.Note, st, signers); err != nil {
			return err
		}
	}
	return nil
}

// BlindDigest is a bare 32-byte digest to sign: bpkeys cannot know what it
// authorizes.
type BlindDigest struct {
	Digest  [32]byte
	ChainID string
	Note    string
	shown   bool
	ok      bool
}

// Lines says plainly that this is blind signing.
func (b *BlindDigest) Lines(key signer.PublicKey, device string) []string {
	b.shown = true
	return []string{
		"BLIND SIGNING: bpkeys cannot decode what this digest authorizes.",
		"Anyone who gave you this digest could have built it from any transaction, on any chain.",
		fmt.Sprintf("digest      %x", b.Digest),
		"signing key " + key.String() + " (" + device + ")",
	}
}

// Confirmed records the operator's yes to what Lines showed.
func (b *BlindDigest) Confirmed() error {
	if !b.shown {
		return errors.New("confirming a digest that was not shown (nothing was signed)")
	}
	b.ok = true
	return nil
}

// SignDigest journals and signs a confirmed blind digest.
func (g *Gate) SignDigest(ctx context.Context, b *BlindDigest, s signer.Signer) (signer.Signature, error) {
	if !b.ok {
		return signer.Signature{}, errors.New("signing a digest that was not confirmed: nothing was signed")
	}
	if g.Journal == nil {
		return signer.Signature{}, errors.New("no signing journal: refusing to sign without recording it")
	}
	if err := g.Journal.Append(audit.Entry{ChainID: b.ChainID, Digest: fmt.Sprintf("%x", b.Digest), Key: s.PublicKey().String(), Device: signer.Describe(s), Note: b.Note}); err != nil {
		return signer.Signature{}, fmt.Errorf("%w (nothing was signed)", err)
	}
	sig, err := s.Sign(ctx, b.Digest)
	if err != nil {
		return signer.Signature{}, &SignError{Err: err}
	}
	if err := sig.Verify(b.Digest[:], s.PublicKey()); err != nil {
		return signer.Signature{}, &SignError{Err: err}
	}
	return sig, nil
}
