package proposals

import (
	"errors"
	"fmt"
	"strings"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
)

func msigAction(name eos.ActionName, auth eos.PermissionLevel, v any) (*eos.Action, error) {
	data, err := contracts.Encode(v)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", name, err)
	}
	return &eos.Action{Account: Msig, Name: name, Authorization: []eos.PermissionLevel{auth}, ActionData: eos.NewActionDataFromHexData(data)}, nil
}

// ApproveAction is approve as level, pinned to the hash of the bytes p was
// read with: the contract refuses it if the proposal holds anything else.
func ApproveAction(p *Proposal, level eos.PermissionLevel) (*eos.Action, error) {
	for _, a := range p.Provided {
		if a.Level == level && a.Counts() {
			return nil, fmt.Errorf("%s already approved %s/%s", levelString(level), p.Proposer, p.Name)
		}
	}
	asked := false
	for _, a := range p.Requested {
		asked = asked || a.Level == level
	}
	for _, a := range p.Provided {
		asked = asked || a.Level == level // invalidated: handled below
	}
	if !asked {
		return nil, fmt.Errorf("%s is not on the requested approvals of %s/%s (%s): eosio.msig would refuse it (\"approval is not on the list of requested approvals\")", levelString(level), p.Proposer, p.Name, requestedText(p))
	}
	for _, a := range p.Provided {
		if a.Level == level {
			return nil, fmt.Errorf("the approval of %s on %s/%s was invalidated; unapprove it first, then approve again", levelString(level), p.Proposer, p.Name)
		}
	}
	return msigAction("approve", level, contracts.ApproveWithHash{
		Approve:      contracts.Approve{Proposer: p.Proposer, ProposalName: p.Name, Level: level},
		ProposalHash: eos.Checksum256(p.Hash[:]),
	})
}

func requestedText(p *Proposal) string {
	var s []string
	for _, a := range p.Requested {
		s = append(s, levelString(a.Level))
	}
	if len(s) == 0 {
		return "none left"
	}
	return "still requested: " + strings.Join(s, ", ")
}

// UnapproveAction withdraws level's approval.
func UnapproveAction(p *Proposal, level eos.PermissionLevel) (*eos.Action, error) {
	found := false
	for _, a := range p.Provided {
		found = found || a.Level == level
	}
	if !found {
		return nil, fmt.Errorf("%s has not approved %s/%s: nothing to withdraw", levelString(level), p.Proposer, p.Name)
	}
	return msigAction("unapprove", level, contracts.Unapprove{Proposer: p.Proposer, ProposalName: p.Name, Level: level})
}

// CancelAction cancels p as canceler (signing as auth). Anyone but the
// proposer may cancel only after the transaction expired.
func CancelAction(p *Proposal, auth eos.PermissionLevel, now time.Time) (*eos.Action, error) {
	if auth.Actor != p.Proposer && !p.Expired(now) {
		return nil, fmt.Errorf("only %s can cancel %s/%s before it expires at %s (eosio.msig: \"cannot cancel until expiration\")", p.Proposer, p.Proposer, p.Name, p.Transaction.Expiration.Format(time.RFC3339))
	}
	return msigAction("cancel", auth, contracts.Cancel{Proposer: p.Proposer, ProposalName: p.Name, Canceler: auth.Actor})
}

// ErrNotExecutable is matched by ExecAction's error when the proposal
// cannot execute now.
var ErrNotExecutable = errors.New("the proposal cannot execute now")

// ExecAction executes p as executer, after checking the verdict: it fails
// early with what is missing rather than with nodeos's bare "transaction
// authorization failed".
func ExecAction(p *Proposal, v Verdict, auth eos.PermissionLevel) (*eos.Action, error) {
	if !v.Executable {
		return nil, fmt.Errorf("%w: %s/%s: %s", ErrNotExecutable, p.Proposer, p.Name, strings.Join(v.Reasons, "; "))
	}
	return msigAction("exec", auth, contracts.Exec{Proposer: p.Proposer, ProposalName: p.Name, Executer: auth.Actor})
}

// InvalidateAction voids every approval auth.Actor gave so far.
func InvalidateAction(auth eos.PermissionLevel) (*eos.Action, error) {
	return msigAction("invalidate", auth, contracts.Invalidate{Account: auth.Actor})
}

// ParseLevel reads ACTOR@PERM (ACTOR alone means ACTOR@active).
func ParseLevel(s string) (eos.PermissionLevel, error) {
	actor, perm, ok := strings.Cut(strings.TrimSpace(s), "@")
	if !ok {
		perm = "active"
	}
	if _, err := contracts.NameValue(actor); err != nil || actor == "" {
		return eos.PermissionLevel{}, fmt.Errorf("%q: expected ACTOR@PERMISSION with valid EOSIO names", s)
	}
	if _, err := contracts.NameValue(perm); err != nil || perm == "" {
		return eos.PermissionLevel{}, fmt.Errorf("%q: expected ACTOR@PERMISSION with valid EOSIO names", s)
	}
	return eos.PermissionLevel{Actor: eos.AccountName(actor), Permission: eos.PermissionName(perm)}, nil
}

// ApprovalNote is the journal note of an approval, in words for the
// operator. Nothing parses it: the journal records each approval signed
// (audit.Approval) from the action itself.
func ApprovalNote(proposer eos.AccountName, name eos.Name, hash chain.Checksum256) string {
	return fmt.Sprintf("msig approve %s/%s hash=%s", proposer, name, hash)
}

// ErrReplaced is matched by CheckReplaced's error: bpkeys approved another
// transaction under this proposer and name before.
var ErrReplaced = errors.New("a different transaction was approved under this proposal name before")

// CheckReplaced looks through journal entries of chainID for approvals of
// proposer/name and refuses when one pinned a hash other than hash: the
// proposal was cancelled and proposed again with other contents.
func CheckReplaced(entries []audit.Entry, chainID string, proposer eos.AccountName, name eos.Name, hash chain.Checksum256) error {
	for _, e := range entries {
		if e.ChainID != chainID {
			continue
		}
		for _, ap := range e.Approvals {
			if ap.Proposer != string(proposer) || ap.Name != string(name) || ap.Hash == "" {
				continue
			}
			if ap.Hash != hash.String() {
				return fmt.Errorf("%w: on %s this journal approved %s/%s with hash %s, and it now holds %s: it was cancelled and proposed again with other contents; review it as a new proposal and pass --allow-replaced to approve it",
					ErrReplaced, e.Time.Format(time.RFC3339), proposer, name, ap.Hash, hash)
			}
		}
	}
	return nil
}
