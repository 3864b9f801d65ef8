package main

import (
	"context"
	"fmt"

	"github.com/bpkeys/bpkeys/chain"
)

// noAccountErr is what every command says, with exit 2, when the operator
// names an account the chain does not have.
func noAccountErr(name string) error {
	return withCode(exitUsage, fmt.Errorf("account %s does not exist on this chain (check the name, and --url / --chain-id)", name))
}

// accountsExist fails with noAccountErr for the first of names the chain
// does not know. Any other read error is left to the command's own reads,
// which report it in their context (a claim daemon retries them).
func accountsExist(ctx context.Context, c *chain.Client, names ...string) error {
	for _, n := range names {
		if _, err := c.GetAccount(ctx, n); chain.IsUnknownAccount(err) {
			return noAccountErr(n)
		}
	}
	return nil
}
