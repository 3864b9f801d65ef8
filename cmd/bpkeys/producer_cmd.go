package main

import "github.com/spf13/cobra"

// producerCommands are producer show/rotate-key/unregister and claim.
func (a *app) producerCommands() []*cobra.Command { return nil }
