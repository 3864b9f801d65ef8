package devchain

import (
	"bytes"
	"crypto/sha256"
	"slices"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
)

func init() {
	handle("eosio.msig", "propose", msigPropose)
	handle("eosio.msig", "approve", msigApprove)
	handle("eosio.msig", "unapprove", msigUnapprove)
	handle("eosio.msig", "cancel", msigCancel)
	handle("eosio.msig", "exec", msigExec)
	handle("eosio.msig", "invalidate", msigInvalidate)
}

func proposalTable(proposer string) tableID { return tableID{nMsig, nameValue(proposer), nProposal} }
func approvalsTable(proposer string) tableID {
	return tableID{nMsig, nameValue(proposer), nApprovals}
}
func oldApprovalsTable(proposer string) tableID {
	return tableID{nMsig, nameValue(proposer), nOldApps}
}

var invalsTable = tableID{nMsig, nMsig, nInvals}

// trxIsAuthorized is the contract's check_transaction_authorization call:
// the approvals, as permission levels, must satisfy the packed transaction.
func (a *actionCtx) trxIsAuthorized(approvals []level, packed []byte) (bool, error) {
	var trx eos.Transaction
	if err := eos.UnmarshalBinary(packed, &trx); err != nil {
		return false, newErr(ErrUnpack, "unpacking the proposed transaction: %v", err)
	}
	_, err := a.x.c.checkAuthorization(trx.Actions, nil, approvals, false)
	if err == nil {
		return true, nil
	}
	if isAuthorizationError(err) {
		return false, nil
	}
	return false, err
}

func (a *actionCtx) getProposal(proposer string, name eos.Name, missing string) (contracts.ProposalRowExec, bool, error) {
	r, ok := a.d.getRow(proposalTable(proposer), nameValue(string(name)))
	if !ok {
		return contracts.ProposalRowExec{}, false, assertErr(missing)
	}
	p, hasExt, err := contracts.DecodeProposalRow(r.Data)
	if err != nil {
		return p, false, newErr(ErrUnpack, "%v", err)
	}
	return p, hasExt, nil
}

// approvalsOf returns the provided approvals that count: those given after
// the approver's last invalidate.
func (a *actionCtx) approvalsOf(proposer string, name eos.Name) []level {
	var out []level
	invalidated := func(actor string) (eos.TimePoint, bool) {
		r, ok := a.d.getRow(invalsTable, nameValue(actor))
		if !ok {
			return 0, false
		}
		var inv contracts.InvalidationRow
		if contracts.Decode(r.Data, &inv) != nil {
			return 0, false
		}
		return inv.LastInvalidationTime, true
	}
	if r, ok := a.d.getRow(approvalsTable(proposer), nameValue(string(name))); ok {
		var apps contracts.ApprovalsRow
		if contracts.Decode(r.Data, &apps) == nil {
			for _, p := range apps.ProvidedApprovals {
				if t, inv := invalidated(string(p.Level.Actor)); !inv || t < p.Time {
					out = append(out, level{string(p.Level.Actor), string(p.Level.Permission)})
				}
			}
		}
		return out
	}
	if r, ok := a.d.getRow(oldApprovalsTable(proposer), nameValue(string(name))); ok {
		var apps contracts.OldApprovalsRow
		if contracts.Decode(r.Data, &apps) == nil {
			for _, p := range apps.ProvidedApprovals {
				if _, inv := invalidated(string(p.Actor)); !inv {
					out = append(out, level{string(p.Actor), string(p.Permission)})
				}
			}
		}
	}
	return out
}

func msigPropose(a *actionCtx) error {
	p, err := contracts.DecodeProposeRaw(a.data)
	if err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	if err := a.requireAuth(string(p.Proposer)); err != nil {
		return err
	}
	var trx eos.Transaction
	if err := eos.UnmarshalBinary(p.PackedTrx, &trx); err != nil {
		return newErr(ErrUnpack, "unpacking the proposed transaction: %v", err)
	}
	if err := check(!trx.Expiration.Time.Before(a.now().Truncate(1e9)), "transaction expired"); err != nil {
		return err
	}
	if err := check(len(trx.ContextFreeActions) == 0, "not allowed to `propose` a transaction with context-free actions"); err != nil {
		return err
	}
	proposer := string(p.Proposer)
	key := nameValue(string(p.ProposalName))
	if _, exists := a.d.getRow(proposalTable(proposer), key); exists {
		return assertErr("proposal with the same name exists")
	}
	requested := make([]level, len(p.Requested))
	for i, l := range p.Requested {
		requested[i] = level{string(l.Actor), string(l.Permission)}
	}
	ok, err := a.trxIsAuthorized(requested, p.PackedTrx)
	if err != nil {
		return err
	}
	if !ok {
		return assertErr("transaction authorization failed")
	}
	payer := nameValue(proposer)
	a.d.setRow(proposalTable(proposer), key, payer, contracts.MustEncode(contracts.ProposalRowExec{
		ProposalRow: contracts.ProposalRow{ProposalName: p.ProposalName, PackedTransaction: p.PackedTrx},
	}))
	apps := contracts.ApprovalsRow{Version: 1, ProposalName: p.ProposalName, RequestedApprovals: []contracts.Approval{}, ProvidedApprovals: []contracts.Approval{}}
	for _, l := range p.Requested {
		apps.RequestedApprovals = append(apps.RequestedApprovals, contracts.Approval{Level: l})
	}
	a.d.setRow(approvalsTable(proposer), key, payer, contracts.MustEncode(apps))
	return nil
}

// updateEarliestExec keeps earliest_exec_time in step with whether the
// approvals (after invalidations) authorise the transaction.
func (a *actionCtx) updateEarliestExec(proposer string, prop contracts.ProposalRowExec, hasExt bool, approving bool) error {
	if !hasExt {
		return nil
	}
	if approving == prop.EarliestExecTime.Set {
		return nil
	}
	ok, err := a.trxIsAuthorized(a.approvalsOf(proposer, prop.ProposalName), prop.PackedTransaction)
	if err != nil {
		return err
	}
	switch {
	case approving && ok:
		var hdr eos.Transaction
		if err := eos.UnmarshalBinary(prop.PackedTransaction, &hdr); err != nil {
			return newErr(ErrUnpack, "%v", err)
		}
		prop.EarliestExecTime = contracts.OptionalTimePoint{Set: true, Time: contracts.TimePointOf(a.now()) + eos.TimePoint(uint64(hdr.DelaySec)*1e6)}
	case !approving && !ok:
		prop.EarliestExecTime = contracts.OptionalTimePoint{}
	default:
		return nil
	}
	key := nameValue(string(prop.ProposalName))
	r, _ := a.d.getRow(proposalTable(proposer), key)
	a.d.setRow(proposalTable(proposer), key, r.Payer, contracts.MustEncode(prop))
	return nil
}

func msigApprove(a *actionCtx) error {
	ap, hash, err := contracts.DecodeApprove(a.data)
	if err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	lv := level{string(ap.Level.Actor), string(ap.Level.Permission)}
	if err := a.requireAuthLevel(lv); err != nil {
		return err
	}
	proposer := string(ap.Proposer)
	prop, hasExt, err := a.getProposal(proposer, ap.ProposalName, "proposal not found")
	if err != nil {
		return err
	}
	if hash != nil {
		sum := sha256.Sum256(prop.PackedTransaction)
		if !bytes.Equal(sum[:], hash) {
			return newErr(ErrCryptoAPI, "hash mismatch")
		}
	}
	key := nameValue(string(ap.ProposalName))
	if r, ok := a.d.getRow(approvalsTable(proposer), key); ok {
		var apps contracts.ApprovalsRow
		if err := contracts.Decode(r.Data, &apps); err != nil {
			return newErr(ErrUnpack, "%v", err)
		}
		if !moveLevel(&apps.RequestedApprovals, &apps.ProvidedApprovals,
			func(q contracts.Approval) bool { return q.Level == ap.Level },
			contracts.Approval{Level: ap.Level, Time: contracts.TimePointOf(a.now())}) {
			return assertErr("approval is not on the list of requested approvals")
		}
		a.d.setRow(approvalsTable(proposer), key, r.Payer, contracts.MustEncode(apps))
	} else if r, ok := a.d.getRow(oldApprovalsTable(proposer), key); ok {
		var apps contracts.OldApprovalsRow
		if err := contracts.Decode(r.Data, &apps); err != nil {
			return newErr(ErrUnpack, "%v", err)
		}
		if !moveLevel(&apps.RequestedApprovals, &apps.ProvidedApprovals,
			func(q eos.PermissionLevel) bool { return q == ap.Level }, ap.Level) {
			return assertErr("approval is not on the list of requested approvals")
		}
		a.d.setRow(oldApprovalsTable(proposer), key, r.Payer, contracts.MustEncode(apps))
	} else {
		return assertErr("proposal not found")
	}
	return a.updateEarliestExec(proposer, prop, hasExt, true)
}

func msigUnapprove(a *actionCtx) error {
	var un contracts.Unapprove
	if err := contracts.Decode(a.data, &un); err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	lv := level{string(un.Level.Actor), string(un.Level.Permission)}
	if err := a.requireAuthLevel(lv); err != nil {
		return err
	}
	proposer := string(un.Proposer)
	key := nameValue(string(un.ProposalName))
	if r, ok := a.d.getRow(approvalsTable(proposer), key); ok {
		var apps contracts.ApprovalsRow
		if err := contracts.Decode(r.Data, &apps); err != nil {
			return newErr(ErrUnpack, "%v", err)
		}
		if !moveLevel(&apps.ProvidedApprovals, &apps.RequestedApprovals,
			func(q contracts.Approval) bool { return q.Level == un.Level },
			contracts.Approval{Level: un.Level, Time: contracts.TimePointOf(a.now())}) {
			return assertErr("no approval previously granted")
		}
		a.d.setRow(approvalsTable(proposer), key, r.Payer, contracts.MustEncode(apps))
	} else if r, ok := a.d.getRow(oldApprovalsTable(proposer), key); ok {
		var apps contracts.OldApprovalsRow
		if err := contracts.Decode(r.Data, &apps); err != nil {
			return newErr(ErrUnpack, "%v", err)
		}
		if !moveLevel(&apps.ProvidedApprovals, &apps.RequestedApprovals,
			func(q eos.PermissionLevel) bool { return q == un.Level }, un.Level) {
			return assertErr("no approval previously granted")
		}
		a.d.setRow(oldApprovalsTable(proposer), key, r.Payer, contracts.MustEncode(apps))
	} else {
		return assertErr("proposal not found")
	}
	prop, hasExt, err := a.getProposal(proposer, un.ProposalName, "proposal not found")
	if err != nil {
		return err
	}
	return a.updateEarliestExec(proposer, prop, hasExt, false)
}

func msigCancel(a *actionCtx) error {
	var cn contracts.Cancel
	if err := contracts.Decode(a.data, &cn); err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	if err := a.requireAuth(string(cn.Canceler)); err != nil {
		return err
	}
	proposer := string(cn.Proposer)
	prop, _, err := a.getProposal(proposer, cn.ProposalName, "proposal not found")
	if err != nil {
		return err
	}
	if cn.Canceler != cn.Proposer {
		var hdr eos.Transaction
		if err := eos.UnmarshalBinary(prop.PackedTransaction, &hdr); err != nil {
			return newErr(ErrUnpack, "%v", err)
		}
		if err := check(hdr.Expiration.Time.Before(a.now().Truncate(1e9)), "cannot cancel until expiration"); err != nil {
			return err
		}
	}
	key := nameValue(string(cn.ProposalName))
	a.d.eraseRow(proposalTable(proposer), key)
	if _, ok := a.d.getRow(approvalsTable(proposer), key); ok {
		a.d.eraseRow(approvalsTable(proposer), key)
	} else {
		a.d.eraseRow(oldApprovalsTable(proposer), key)
	}
	return nil
}

func msigExec(a *actionCtx) error {
	var ex contracts.Exec
	if err := contracts.Decode(a.data, &ex); err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	if err := a.requireAuth(string(ex.Executer)); err != nil {
		return err
	}
	proposer := string(ex.Proposer)
	prop, _, err := a.getProposal(proposer, ex.ProposalName, "proposal not found")
	if err != nil {
		return err
	}
	var trx eos.Transaction
	if err := eos.UnmarshalBinary(prop.PackedTransaction, &trx); err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	if err := check(!trx.Expiration.Time.Before(a.now().Truncate(1e9)), "transaction expired"); err != nil {
		return err
	}
	if err := check(len(trx.ContextFreeActions) == 0, "not allowed to `exec` a transaction with context-free actions"); err != nil {
		return err
	}
	approvals := a.approvalsOf(proposer, ex.ProposalName)
	key := nameValue(string(ex.ProposalName))
	if _, ok := a.d.getRow(approvalsTable(proposer), key); ok {
		a.d.eraseRow(approvalsTable(proposer), key)
	} else {
		a.d.eraseRow(oldApprovalsTable(proposer), key)
	}
	ok, err := a.trxIsAuthorized(approvals, prop.PackedTransaction)
	if err != nil {
		return err
	}
	if !ok {
		return assertErr("transaction authorization failed")
	}
	if prop.EarliestExecTime.Set {
		if err := check(prop.EarliestExecTime.Time <= contracts.TimePointOf(a.now()), "too early to execute"); err != nil {
			return err
		}
	} else if err := check(trx.DelaySec == 0, "old proposals are not allowed to have non-zero `delay_sec`; cancel and retry"); err != nil {
		return err
	}
	a.inline = append(a.inline, trx.Actions...)
	a.d.eraseRow(proposalTable(proposer), key)
	return nil
}

func msigInvalidate(a *actionCtx) error {
	var inv contracts.Invalidate
	if err := contracts.Decode(a.data, &inv); err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	if err := a.requireAuth(string(inv.Account)); err != nil {
		return err
	}
	a.d.setRow(invalsTable, nameValue(string(inv.Account)), nameValue(string(inv.Account)), contracts.MustEncode(contracts.InvalidationRow{
		Account: inv.Account, LastInvalidationTime: contracts.TimePointOf(a.now()),
	}))
	return nil
}

// moveLevel removes the first entry of *from that match accepts and appends
// entry to *to, as the contract moves a level between the requested and
// provided lists (in either table layout). It reports whether one was found.
func moveLevel[T any](from, to *[]T, match func(T) bool, entry T) bool {
	i := slices.IndexFunc(*from, match)
	if i < 0 {
		return false
	}
	*from = slices.Delete(slices.Clone(*from), i, i+1)
	*to = append(*to, entry)
	return true
}
