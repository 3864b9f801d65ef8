package proposals

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
)

// ErrNotFound means the chain has no proposal under that proposer and name.
var ErrNotFound = errors.New("no such proposal")

// Approval is one requested or provided approval.
type Approval struct {
	Level eos.PermissionLevel `json:"level"`
	// Time is when it was given (approvals2 only; nil in the old layout and
	// for approvals still requested).
	Time *time.Time `json:"time,omitempty"`
	// Invalidated is set when the approver ran invalidate after approving:
	// the approval is listed but does not count.
	Invalidated *time.Time `json:"invalidated,omitempty"`
}

// Counts reports whether a provided approval counts towards execution.
func (a Approval) Counts() bool { return a.Invalidated == nil }

// Proposal is an eosio.msig proposal as read from the chain: the stored
// packed transaction (exactly), its hash, and the approvals.
type Proposal struct {
	Proposer eos.AccountName `json:"proposer"`
	Name     eos.Name        `json:"proposal_name"`
	// Packed is the packed_transaction column, byte for byte.
	Packed []byte `json:"-"`
	// Hash is sha256(Packed): the proposed transaction's id and the
	// proposal_hash an approval must carry.
	Hash        chain.Checksum256 `json:"proposal_hash"`
	Transaction *Transaction      `json:"transaction"`
	// EarliestExecTime is set once approvals sufficed (plus delay_sec).
	EarliestExecTime *time.Time `json:"earliest_exec_time,omitempty"`
	// Layout is the approvals table found: "approvals2", "approvals" (the
	// old layout) or "" when neither has a row.
	Layout    string     `json:"approvals_table"`
	Requested []Approval `json:"requested_approvals"`
	Provided  []Approval `json:"provided_approvals"`
}

// Levels lists the provided approvals that count.
func (p *Proposal) Levels() []eos.PermissionLevel {
	var out []eos.PermissionLevel
	for _, a := range p.Provided {
		if a.Counts() {
			out = append(out, a.Level)
		}
	}
	return out
}

// Expired reports whether the inner transaction has expired at now.
func (p *Proposal) Expired(now time.Time) bool { return !now.Before(p.Transaction.Expiration) }

// rowsHex reads rows of an eosio.msig table as hex, bounded to one key
// when key is not empty, paging from lower otherwise.
func rowsHex(ctx context.Context, c Chain, scope, table, lower, upper string, limit uint32) ([][]byte, string, error) {
	r, err := c.GetTableRows(ctx, chain.TableRowsRequest{Code: Msig, Scope: scope, Table: table, LowerBound: lower, UpperBound: upper, Limit: limit, KeyType: "name"})
	if err != nil {
		return nil, "", fmt.Errorf("reading %s %s/%s: %w", Msig, scope, table, err)
	}
	out := make([][]byte, 0, len(r.Rows))
	for _, raw := range r.Rows {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, "", fmt.Errorf("reading %s %s/%s: a row is not hex: %.60s", Msig, scope, table, raw)
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, "", fmt.Errorf("reading %s %s/%s: a row is not hex: %w", Msig, scope, table, err)
		}
		out = append(out, b)
	}
	next := ""
	if r.More {
		next = r.NextKey
		if next == "" {
			return nil, "", fmt.Errorf("reading %s %s/%s: the node says more rows follow but gives no next_key", Msig, scope, table)
		}
	}
	return out, next, nil
}

// rowName returns the first field of a row (every eosio.msig table here
// starts with its primary key name; approvals2 after a version byte).
func rowName(b []byte, offset int) (eos.Name, bool) {
	if len(b) < offset+8 {
		return "", false
	}
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[offset+i])
	}
	return eos.Name(eos.NameToString(v)), true
}

// Read reads one proposal: its row, its approvals (approvals2, else the
// old approvals table) and the invalidations of its approvers.
func Read(ctx context.Context, c Chain, proposer eos.AccountName, name eos.Name) (*Proposal, error) {
	if _, err := contracts.NameValue(string(proposer)); err != nil {
		return nil, fmt.Errorf("proposer: %w", err)
	}
	if _, err := contracts.NameValue(string(name)); err != nil {
		return nil, fmt.Errorf("proposal name: %w", err)
	}
	rows, _, err := rowsHex(ctx, c, string(proposer), "proposal", string(name), string(name), 1)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s/%s: %w", proposer, name, ErrNotFound)
	}
	p, err := parseProposalRow(proposer, rows[0])
	if err != nil {
		return nil, err
	}
	if p.Name != name {
		return nil, fmt.Errorf("%s/%s: %w", proposer, name, ErrNotFound)
	}
	if err := readApprovals(ctx, c, p); err != nil {
		return nil, err
	}
	return p, nil
}

func parseProposalRow(proposer eos.AccountName, row []byte) (*Proposal, error) {
	var r contracts.ProposalRowExec
	var hasExt bool
	if err := safeDecode(func() (err error) { r, hasExt, err = contracts.DecodeProposalRow(row); return err }); err != nil {
		return nil, fmt.Errorf("proposal row of %s: %w", proposer, err)
	}
	p := &Proposal{Proposer: proposer, Name: r.ProposalName, Packed: append([]byte(nil), r.PackedTransaction...)}
	p.Hash = sha256.Sum256(p.Packed)
	tx, err := DecodePacked(p.Packed)
	if err != nil {
		return nil, fmt.Errorf("proposal %s/%s: %w", proposer, p.Name, err)
	}
	p.Transaction = tx
	if hasExt && r.EarliestExecTime.Set {
		t := time.UnixMicro(int64(r.EarliestExecTime.Time)).UTC()
		p.EarliestExecTime = &t
	}
	return p, nil
}

func readApprovals(ctx context.Context, c Chain, p *Proposal) error {
	rows, _, err := rowsHex(ctx, c, string(p.Proposer), "approvals2", string(p.Name), string(p.Name), 1)
	if err != nil {
		return err
	}
	if n, ok := firstName(rows, 1); ok && n == p.Name {
		var a contracts.ApprovalsRow
		if err := safeDecode(func() error { return decodeExact(rows[0], &a) }); err != nil {
			return fmt.Errorf("approvals2 row of %s/%s: %w", p.Proposer, p.Name, err)
		}
		p.Layout = "approvals2"
		p.Requested, p.Provided = approvalsFrom(a.RequestedApprovals), approvalsFrom(a.ProvidedApprovals)
	} else {
		rows, _, err := rowsHex(ctx, c, string(p.Proposer), "approvals", string(p.Name), string(p.Name), 1)
		if err != nil && !chain.IsCode(err, chain.CodeContractTableQuery) && !chain.IsCode(err, chain.CodeTableQuery) {
			return err
		}
		if n, ok := firstName(rows, 0); ok && n == p.Name {
			var a contracts.OldApprovalsRow
			if err := safeDecode(func() error { return decodeExact(rows[0], &a) }); err != nil {
				return fmt.Errorf("approvals row of %s/%s: %w", p.Proposer, p.Name, err)
			}
			p.Layout = "approvals"
			for _, l := range a.RequestedApprovals {
				p.Requested = append(p.Requested, Approval{Level: l})
			}
			for _, l := range a.ProvidedApprovals {
				p.Provided = append(p.Provided, Approval{Level: l})
			}
		}
	}
	if p.Requested == nil {
		p.Requested = []Approval{}
	}
	if p.Provided == nil {
		p.Provided = []Approval{}
	}
	// Invalidations: an approval counts only when given after the
	// approver's last invalidate (the old layout has no times: any
	// invalidation voids it).
	seen := map[eos.AccountName]*time.Time{}
	for i := range p.Provided {
		actor := p.Provided[i].Level.Actor
		inv, ok := seen[actor]
		if !ok {
			inv, err = Invalidation(ctx, c, actor)
			if err != nil {
				return err
			}
			seen[actor] = inv
		}
		if inv == nil {
			continue
		}
		if p.Provided[i].Time == nil || !inv.Before(*p.Provided[i].Time) {
			p.Provided[i].Invalidated = inv
		}
	}
	return nil
}

func firstName(rows [][]byte, offset int) (eos.Name, bool) {
	if len(rows) == 0 {
		return "", false
	}
	return rowName(rows[0], offset)
}

func decodeExact(b []byte, v any) error {
	d := eos.NewDecoder(b)
	if err := d.Decode(v); err != nil {
		return err
	}
	if rest := len(b) - d.LastPos(); rest != 0 {
		return fmt.Errorf("%d bytes left over", rest)
	}
	return nil
}

func approvalsFrom(in []contracts.Approval) []Approval {
	out := make([]Approval, 0, len(in))
	for _, a := range in {
		t := time.UnixMicro(int64(a.Time)).UTC()
		out = append(out, Approval{Level: a.Level, Time: &t})
	}
	return out
}

// Invalidation returns when account last ran eosio.msig::invalidate, or nil.
func Invalidation(ctx context.Context, c Chain, account eos.AccountName) (*time.Time, error) {
	rows, _, err := rowsHex(ctx, c, Msig, "invals", string(account), string(account), 1)
	if err != nil {
		return nil, err
	}
	if n, ok := firstName(rows, 0); !ok || string(n) != string(account) {
		return nil, nil
	}
	var r contracts.InvalidationRow
	if err := safeDecode(func() error { return decodeExact(rows[0], &r) }); err != nil {
		return nil, fmt.Errorf("invals row of %s: %w", account, err)
	}
	t := time.UnixMicro(int64(r.LastInvalidationTime)).UTC()
	return &t, nil
}

// List reads every proposal of proposer, with approvals. Proposals whose
// stored transaction does not parse are returned in bad with the reason.
func List(ctx context.Context, c Chain, proposer eos.AccountName) (props []*Proposal, bad map[eos.Name]error, err error) {
	bad = map[eos.Name]error{}
	lower := ""
	for page := 0; page < 10000; page++ {
		rows, next, err := rowsHex(ctx, c, string(proposer), "proposal", lower, "", 100)
		if err != nil {
			return nil, nil, err
		}
		for _, row := range rows {
			p, err := parseProposalRow(proposer, row)
			if err != nil {
				n, _ := rowName(row, 0)
				bad[n] = err
				continue
			}
			if err := readApprovals(ctx, c, p); err != nil {
				return nil, nil, err
			}
			props = append(props, p)
		}
		if next == "" {
			return props, bad, nil
		}
		if next == lower && len(rows) == 0 {
			return nil, nil, fmt.Errorf("reading proposals of %s: paging does not advance", proposer)
		}
		lower = next
	}
	return nil, nil, fmt.Errorf("reading proposals of %s: too many pages", proposer)
}

// Same reports whether two reads of a proposal hold the same bytes.
func Same(a, b *Proposal) bool {
	return a != nil && b != nil && a.Proposer == b.Proposer && a.Name == b.Name && bytes.Equal(a.Packed, b.Packed)
}
