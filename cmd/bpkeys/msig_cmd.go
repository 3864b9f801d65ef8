package main

import "github.com/spf13/cobra"

// msigCommands are the eosio.msig commands (propose, list, inbox, review,
// approve, unapprove, cancel, exec, invalidate).
func (a *app) msigCommands() []*cobra.Command { return nil }
