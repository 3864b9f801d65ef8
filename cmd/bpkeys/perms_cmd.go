package main

import "github.com/spf13/cobra"

// permsCommands are perms, policy and tx (permission trees, plans, policy
// checks, offline signing).
func (a *app) permsCommands() []*cobra.Command { return nil }
