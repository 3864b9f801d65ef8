package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	eos "github.com/eoscanada/eos-go"
	"golang.org/x/term"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/devices"
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

// errMsigNoConfirmation is returned when there is no terminal to ask on and
// --yes was not given.
var errMsigNoConfirmation = errors.New("refusing to sign without confirmation: stdin is not a terminal; review the output above and pass --yes")

// msigConfirm asks on stderr and reads the answer from stdin, which must be a
// terminal, unless --yes.
func (a *app) msigConfirm(question string) error {
	if a.yes {
		return nil
	}
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return withCode(exitRefused, errMsigNoConfirmation)
	}
	fmt.Fprintf(a.stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && line == "" {
		return withCode(exitRefused, fmt.Errorf("no answer: nothing was signed"))
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return withCode(exitRefused, errors.New("not confirmed: nothing was signed"))
}

// msigOpenSigners opens every --signer reference; close them with the
// returned function.
func (a *app) msigOpenSigners(ctx context.Context, refs []string) ([]signer.Signer, func(), error) {
	if len(refs) == 0 {
		return nil, func() {}, usageErr("no --signer: name the YubiKey or HSM key that signs (see 'bpkeys keys list')")
	}
	var keys []devices.Key
	closeAll := func() {
		for _, k := range keys {
			k.Close()
		}
	}
	var out []signer.Signer
	for _, r := range refs {
		k, err := a.registry.Open(ctx, r)
		if err != nil {
			closeAll()
			return nil, func() {}, fmt.Errorf("opening signer %s: %w", r, err)
		}
		keys = append(keys, k)
		out = append(out, k)
	}
	return out, closeAll, nil
}

// msigSign builds the transaction, asks nodeos which of the signers' keys
// are needed, shows it, asks for confirmation, re-checks, signs through
// the journal and pushes.
func (a *app) msigSign(ctx context.Context, cl *chain.Client, req msigSignRequest) (*msigSent, error) {
	signers, closeSigners, err := a.msigOpenSigners(ctx, req.signers)
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
	if err := a.msigConfirm("Sign and send?"); err != nil {
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
