package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/permissions"
)

// codeTableQuery is nodeos's contract_table_query_exception: the system
// contract's ABI has no limitauthchg table (a system contract older than
// the feature), so no account can have the setting.
const codeTableQuery = 3060003

// readAuthLimit reads account's row of eosio's limitauthchg table (scope
// eosio): nil when it has none.
func readAuthLimit(ctx context.Context, c *chain.Client, account string) (*permissions.AuthChangeLimit, error) {
	res, err := c.GetTableRows(ctx, chain.TableRowsRequest{Code: "eosio", Scope: "eosio", Table: "limitauthchg", JSON: true, LowerBound: account, UpperBound: account, Limit: 1})
	if chain.IsCode(err, codeTableQuery) {
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

// sameAuthLimit reports whether two limitauthchg settings are the same.
func sameAuthLimit(a, b *permissions.AuthChangeLimit) bool {
	if a == nil || b == nil {
		return a == b
	}
	return slices.Equal(a.Allow, b.Allow) && slices.Equal(a.Disallow, b.Disallow)
}
