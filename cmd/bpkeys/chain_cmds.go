package main

import "github.com/spf13/cobra"

// chainCommands are the commands that talk to a chain (devchain, demo, tx,
// perms, msig, producer, claim); each group lives in its own file.
func (a *app) chainCommands() []*cobra.Command {
	return []*cobra.Command{newDevchainCmd(a), newDemoCmd(a)}
}
