package txflow

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/proposals"
)

// ReadAuthLimit reads account's row of eosio's limitauthchg table (scope
// eosio): nil when it has none, or when the system contract predates the
// table (its ABI has none: table_query_exception).
func ReadAuthLimit(ctx context.Context, c proposals.Chain, account string) (*permissions.AuthChangeLimit, error) {
	res, err := c.GetTableRows(ctx, chain.TableRowsRequest{Code: "eosio", Scope: "eosio", Table: "limitauthchg", JSON: true, LowerBound: account, UpperBound: account, Limit: 1})
	if chain.IsCode(err, chain.CodeTableQuery) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s's limitauthchg setting: %w", account, err)
	}
	for _, raw := range res.Rows {
		var row struct {
			Account  string   `json:"account"`
			Allow    []string `json:"allow_perms"`
			Disallow []string `json:"disallow_perms"`
		}
		if err := json.Unmarshal(raw, &row); err != nil {
			return nil, fmt.Errorf("reading %s's limitauthchg setting: %w", account, err)
		}
		if row.Account == account {
			return &permissions.AuthChangeLimit{Allow: row.Allow, Disallow: row.Disallow}, nil
		}
	}
	return nil, nil
}

// SameAuthLimit reports whether two limitauthchg settings are the same.
func SameAuthLimit(a, b *permissions.AuthChangeLimit) bool {
	if a == nil || b == nil {
		return a == b
	}
	return slices.Equal(a.Allow, b.Allow) && slices.Equal(a.Disallow, b.Disallow)
}
