package proposals

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
)

// ErrDuplicate is matched by Build's error when the proposer already has
// the same transaction on chain under another name.
var ErrDuplicate = errors.New("the same transaction is already proposed")

// DuplicateError names the proposal that already holds the transaction.
type DuplicateError struct {
	Proposer   eos.AccountName
	Name       eos.Name
	Hash       chain.Checksum256
	Expiration time.Time
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("%s already proposed the same transaction as %s/%s (hash %s, expires %s): approvers could execute it twice; approve or execute that proposal, or cancel it before proposing again (or pass --allow-duplicate if two are really meant)",
		e.Proposer, e.Proposer, e.Name, e.Hash, e.Expiration.Format(time.RFC3339))
}

// Is matches ErrDuplicate.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// sameTransaction compares two packed inner transactions apart from their
// expiration (the first four bytes): a propose run again after a lost
// answer packs the same actions with a later expiration.
func sameTransaction(a, b []byte) bool {
	return len(a) > 4 && len(b) > 4 && bytes.Equal(a[4:], b[4:])
}

// FindSameTransaction returns the proposal of proposer whose transaction
// is packed (apart from its expiration), or nil when there is none.
func FindSameTransaction(ctx context.Context, c Chain, proposer eos.AccountName, packed []byte) (*Proposal, error) {
	lower := ""
	for page := 0; page < 10000; page++ {
		rows, next, err := rowsHex(ctx, c, string(proposer), "proposal", lower, "", 100)
		if err != nil {
			return nil, fmt.Errorf("reading the proposals of %s: %w", proposer, err)
		}
		for _, row := range rows {
			p, err := parseProposalRow(proposer, row)
			if err != nil {
				continue // a proposal bpkeys cannot read is not this one
			}
			if sameTransaction(p.Packed, packed) {
				return p, nil
			}
		}
		if next == "" || (next == lower && len(rows) == 0) {
			return nil, nil
		}
		lower = next
	}
	return nil, fmt.Errorf("reading the proposals of %s: too many pages", proposer)
}

// ProposalLanded resolves a propose push whose answer was lost: it reports
// whether proposer/name now holds exactly the transaction with hash.
func ProposalLanded(ctx context.Context, c Chain, proposer eos.AccountName, name eos.Name, hash chain.Checksum256) (bool, error) {
	p, err := Read(ctx, c, proposer, name)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return p.Hash == hash, nil
}
