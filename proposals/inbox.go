package proposals

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
)

// InboxOptions bound the inbox's reads.
type InboxOptions struct {
	// Concurrency is the number of requests in flight (default 8).
	Concurrency int
	// PageSize is the rows or scopes asked per request (default 500).
	PageSize uint32
	// Now: proposals expired at Now are left out (zero: the chain's head
	// time).
	Now time.Time
	// IncludeExpired keeps expired proposals.
	IncludeExpired bool
}

// InboxItem is an open proposal awaiting one of the caller's levels.
type InboxItem struct {
	Proposer eos.AccountName       `json:"proposer"`
	Name     eos.Name              `json:"proposal_name"`
	Awaiting []eos.PermissionLevel `json:"awaiting"`
	// Hash and Expiration are read from the proposal row.
	Hash       chain.Checksum256 `json:"proposal_hash"`
	Expiration time.Time         `json:"expiration"`
	Expired    bool              `json:"expired,omitempty"`
	Requested  []Approval        `json:"requested_approvals"`
	Provided   []Approval        `json:"provided_approvals"`
	// Error is set when the proposal row does not parse.
	Error string `json:"error,omitempty"`
}

// Inbox finds, without an indexer, every open proposal whose requested
// (not yet given) approvals include a level for which mine returns true:
// it enumerates eosio.msig's scopes (get_table_by_scope on table proposal),
// reads each proposer's approvals2 and old approvals rows, and reads the
// proposal row of each match, at most opts.Concurrency requests at a time.
func Inbox(ctx context.Context, c Chain, mine func(eos.PermissionLevel) bool, opts InboxOptions) ([]InboxItem, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.PageSize == 0 {
		opts.PageSize = 500
	}
	now := opts.Now
	if now.IsZero() {
		var err error
		if now, err = ChainNow(ctx, c); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	scopes := make(chan string, opts.Concurrency)
	var (
		mu       sync.Mutex
		items    []InboxItem
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for i := 0; i < opts.Concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for scope := range scopes {
				found, err := inboxScope(ctx, c, eos.AccountName(scope), mine, opts.PageSize)
				if err != nil {
					fail(err)
					continue
				}
				for i := range found {
					if err := fillProposal(ctx, c, &found[i], now); err != nil {
						fail(err)
						break
					}
				}
				mu.Lock()
				for _, it := range found {
					if opts.IncludeExpired || !it.Expired {
						items = append(items, it)
					}
				}
				mu.Unlock()
			}
		}()
	}
	err := enumerateScopes(ctx, c, opts.PageSize, func(s string) bool {
		select {
		case scopes <- s:
			return true
		case <-ctx.Done():
			return false
		}
	})
	close(scopes)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].Proposer != items[j].Proposer {
			return items[i].Proposer < items[j].Proposer
		}
		return items[i].Name < items[j].Name
	})
	return items, nil
}

// enumerateScopes pages through get_table_by_scope for eosio.msig's
// proposal table and calls yield for each proposer.
func enumerateScopes(ctx context.Context, c Chain, page uint32, yield func(string) bool) error {
	lower := ""
	for n := 0; n < 100000; n++ {
		r, err := c.GetTableByScope(ctx, chain.TableByScopeRequest{Code: Msig, Table: "proposal", LowerBound: lower, Limit: page})
		if err != nil {
			return fmt.Errorf("listing the proposers of %s: %w", Msig, err)
		}
		for _, row := range r.Rows {
			if row.Table != "proposal" || row.Count == 0 {
				continue
			}
			if !yield(row.Scope) {
				return ctx.Err()
			}
		}
		if r.More == "" {
			return nil
		}
		if r.More == lower {
			return fmt.Errorf("listing the proposers of %s: paging does not advance (more %s)", Msig, r.More)
		}
		lower = r.More
	}
	return fmt.Errorf("listing the proposers of %s: too many pages", Msig)
}

// inboxScope reads one proposer's approval rows and keeps the proposals
// awaiting a level of mine.
func inboxScope(ctx context.Context, c Chain, proposer eos.AccountName, mine func(eos.PermissionLevel) bool, page uint32) ([]InboxItem, error) {
	var out []InboxItem
	seen := map[eos.Name]bool{}
	for _, table := range []string{"approvals2", "approvals"} {
		lower := ""
		for n := 0; ; n++ {
			if n > 100000 {
				return nil, fmt.Errorf("reading %s/%s: too many pages", proposer, table)
			}
			rows, next, err := rowsHex(ctx, c, string(proposer), table, lower, "", page)
			if err != nil {
				if table == "approvals" && (chain.IsCode(err, chain.CodeContractTableQuery) || chain.IsCode(err, chain.CodeTableQuery)) {
					break
				}
				return nil, err
			}
			for _, row := range rows {
				var it InboxItem
				if table == "approvals2" {
					var a contracts.ApprovalsRow
					if err := safeDecode(func() error { return decodeExact(row, &a) }); err != nil {
						return nil, fmt.Errorf("approvals2 row of %s: %w", proposer, err)
					}
					it = InboxItem{Proposer: proposer, Name: a.ProposalName, Requested: approvalsFrom(a.RequestedApprovals), Provided: approvalsFrom(a.ProvidedApprovals)}
				} else {
					var a contracts.OldApprovalsRow
					if err := safeDecode(func() error { return decodeExact(row, &a) }); err != nil {
						return nil, fmt.Errorf("approvals row of %s: %w", proposer, err)
					}
					if seen[a.ProposalName] {
						continue
					}
					it = InboxItem{Proposer: proposer, Name: a.ProposalName, Requested: []Approval{}, Provided: []Approval{}}
					for _, l := range a.RequestedApprovals {
						it.Requested = append(it.Requested, Approval{Level: l})
					}
					for _, l := range a.ProvidedApprovals {
						it.Provided = append(it.Provided, Approval{Level: l})
					}
				}
				seen[it.Name] = true
				for _, r := range it.Requested {
					if mine(r.Level) {
						it.Awaiting = append(it.Awaiting, r.Level)
					}
				}
				if len(it.Awaiting) > 0 {
					out = append(out, it)
				}
			}
			if next == "" {
				break
			}
			lower = next
		}
	}
	return out, nil
}

func fillProposal(ctx context.Context, c Chain, it *InboxItem, now time.Time) error {
	rows, _, err := rowsHex(ctx, c, string(it.Proposer), "proposal", string(it.Name), string(it.Name), 1)
	if err != nil {
		return err
	}
	if n, ok := firstName(rows, 0); !ok || n != it.Name {
		// Approvals without a proposal: nothing to approve.
		it.Expired = true
		it.Error = "no proposal row"
		return nil
	}
	p, err := parseProposalRow(it.Proposer, rows[0])
	if err != nil {
		it.Error = err.Error()
		return nil
	}
	it.Hash = p.Hash
	it.Expiration = p.Transaction.Expiration
	it.Expired = p.Expired(now)
	return nil
}
