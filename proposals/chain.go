package proposals

import (
	"context"

	"github.com/bpkeys/bpkeys/chain"
)

// Chain is what this package reads from a chain. *chain.Client satisfies
// it; tests may put anything behind it.
type Chain interface {
	GetInfo(ctx context.Context) (*chain.Info, error)
	GetAccount(ctx context.Context, name string) (*chain.Account, error)
	GetRawABI(ctx context.Context, account string) (*chain.RawABI, error)
	GetTableRows(ctx context.Context, req chain.TableRowsRequest) (*chain.TableRows, error)
	GetTableByScope(ctx context.Context, req chain.TableByScopeRequest) (*chain.TableByScope, error)
}

var _ Chain = (*chain.Client)(nil)

// Msig is the account of the eosio.msig contract.
const Msig = "eosio.msig"
