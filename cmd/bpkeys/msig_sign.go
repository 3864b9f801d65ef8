package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/signer"
)

// msigHooks let tests act between the steps of a signing command (replace
// a proposal after it was shown, or after it was signed). Nil in
// production.
var msigHooks struct {
	beforeReread func()
	beforePush   func()
}

// msigSignRequest is one transaction a msig command signs and sends.
type msigSignRequest struct {
	note    string
	actions []*eos.Action
	signers []string
	// show writes what is about to be signed (on stderr).
	show func()
	// recheck runs after confirmation and before the signature: an error
	// stops everything, nothing is signed.
	recheck func(ctx context.Context) error
}

// msigSent is what a signing command reports.
type msigSent struct {
	TransactionID string   `json:"transaction_id"`
	Digest        string   `json:"digest"`
	Signers       []string `json:"signed_by"`
	Endpoint      string   `json:"endpoint"`
	AlreadyKnown  bool     `json:"already_known,omitempty"`
}

// msigSign builds the transaction, asks nodeos which of the signers' keys
// are needed, shows it, asks for confirmation, re-checks, signs through
// the journal and pushes.
func (a *app) msigSign(ctx context.Context, cl *chain.Client, req msigSignRequest) (*msigSent, error) {
	signers, closeSigners, err := a.openRequiredSigners(ctx, req.signers)
	if err != nil {
		return nil, err
	}
	defer closeSigners()
	chainID, err := cl.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := cl.NewTransaction(ctx, req.actions, 0)
	if err != nil {
		return nil, err
	}
	var avail []signer.PublicKey
	for _, s := range signers {
		avail = append(avail, s.PublicKey())
	}
	required, err := cl.RequiredKeys(ctx, tx.Transaction, avail)
	if err != nil {
		if chain.IsCode(err, chain.CodeUnsatisfiedAuth) {
			return nil, fmt.Errorf("the keys of the given --signer cannot authorize %s: %w", strings.Join(audit.Summarize(tx.Transaction), "; "), err)
		}
		return nil, err
	}
	packed, cfd, err := tx.PackedTransactionAndCFD()
	if err != nil {
		return nil, fmt.Errorf("packing the transaction: %w", err)
	}
	digest := signer.Digest(chainID, packed, cfd)
	id := sha256.Sum256(packed)
	if req.show != nil {
		req.show()
	}
	a.info("Transaction to sign:")
	for _, s := range audit.Summarize(tx.Transaction) {
		a.info("  %s", s)
	}
	a.info("  chain id        %s", chainID)
	a.info("  transaction id  %s", hex.EncodeToString(id[:]))
	a.info("  digest          %s", hex.EncodeToString(digest[:]))
	for _, k := range required {
		a.info("  signing key     %s", k)
	}
	if _, err := a.confirm("Sign and send?"); err != nil {
		return nil, err
	}
	if msigHooks.beforeReread != nil {
		msigHooks.beforeReread()
	}
	if req.recheck != nil {
		if err := req.recheck(ctx); err != nil {
			return nil, err
		}
	}
	j, err := a.journal()
	if err != nil {
		return nil, err
	}
	if err := audit.SignTransaction(ctx, j, req.note, tx, chainID, required, signers); err != nil {
		return nil, err
	}
	if msigHooks.beforePush != nil {
		msigHooks.beforePush()
	}
	res, err := cl.Push(ctx, tx)
	if err != nil {
		return nil, err
	}
	out := &msigSent{TransactionID: res.TransactionID.String(), Digest: hex.EncodeToString(digest[:]), Endpoint: res.Endpoint, AlreadyKnown: res.AlreadyKnown}
	for _, k := range required {
		out.Signers = append(out.Signers, k.String())
	}
	return out, nil
}

// msigParseLevels reads ACTOR@PERM flags.
func msigParseLevels(flag string, in []string) ([]eos.PermissionLevel, error) {
	var out []eos.PermissionLevel
	for _, s := range in {
		for _, part := range strings.Split(s, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			l, err := proposals.ParseLevel(part)
			if err != nil {
				return nil, usageErr("%s: %v", flag, err)
			}
			out = append(out, l)
		}
	}
	return out, nil
}
