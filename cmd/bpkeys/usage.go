package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// strictUsage makes every level of the command tree refuse what it does
// not understand with exit 2: a mistyped subcommand under a group (cobra
// only checks the root) gets "did you mean", and a wrong argument count
// is said in words naming the missing arguments.
//
// It replaces matching cobra's error texts: every usage error is an
// exitError with code 2 from the start (flags through the root's
// FlagErrorFunc).
func strictUsage(root *cobra.Command) {
	// cobra adds these at Execute; added now, they are checked too
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			c.Run, c.RunE = nil, helpRunE
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.SuggestionsMinimumDistance <= 0 {
			c.SuggestionsMinimumDistance = 2
		}
		switch {
		case c.HasSubCommands() && !c.Runnable():
			c.Args = cobra.ArbitraryArgs
			c.RunE = groupRunE
		case c.HasSubCommands() && c.Args == nil:
			c.Args = noUnknownCommand
		}
		if c.Args != nil && c.HasParent() {
			c.Args = argsInWords(c.Args)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// groupRunE runs when a group command is given no known subcommand: bare,
// it prints its help; with a word it does not know, it fails with usage.
func groupRunE(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return c.Help()
	}
	return usageErr("%s", unknownCommand(c, args[0]))
}

// helpRunE is `bpkeys help [COMMAND...]`: an unknown topic is a usage
// error with the nearest commands, as a mistyped command is.
func helpRunE(c *cobra.Command, args []string) error {
	target, rest, _ := c.Root().Find(args)
	if target == nil {
		target = c.Root()
	}
	if len(rest) > 0 {
		return usageErr("%s", unknownCommand(target, rest[0]))
	}
	return target.Help()
}

// noUnknownCommand is the Args of a runnable command with subcommands
// (the root, which opens the TUI): a word that is no subcommand is an error.
func noUnknownCommand(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErr("%s", unknownCommand(c, args[0]))
	}
	return nil
}

// unknownCommand says that word is not a subcommand of c, with the
// nearest ones.
func unknownCommand(c *cobra.Command, word string) string {
	msg := fmt.Sprintf("unknown command %q for %q", word, c.CommandPath())
	if s := c.SuggestionsFor(word); len(s) > 0 {
		msg += "; did you mean " + quoteJoin(s) + "?"
	}
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	return msg + fmt.Sprintf(" (commands: %s; see '%s --help')", strings.Join(names, ", "), c.CommandPath())
}

func quoteJoin(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(q, " or ")
}

// argsInWords replaces cobra's "accepts 1 arg(s), received 0" with the
// names of the missing arguments, read from the command's Use line. It
// never echoes an argument back: a mistaken one could be a secret.
func argsInWords(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if check(c, args) == nil {
			return nil
		}
		req := requiredArgs(c.Use)
		usage := fmt.Sprintf("usage: %s; see '%s --help'", strings.TrimSuffix(c.UseLine(), " [flags]"), c.CommandPath())
		switch {
		case len(args) < len(req):
			return usageErr("%s needs %s (%s)", c.CommandPath(), strings.Join(req[len(args):], " and "), usage)
		case len(req) == 0:
			return usageErr("%s takes no arguments, got %d (%s)", c.CommandPath(), len(args), usage)
		}
		return usageErr("%s takes %d argument%s (%s), got %d (%s)", c.CommandPath(), len(req), plural(len(req)), strings.Join(req, " "), len(args), usage)
	}
}

// requiredArgs lists the positional arguments a Use line requires: its
// upper-case words outside [optional] and (alternative) groups that are
// not a flag's value.
func requiredArgs(use string) []string {
	var out []string
	depth := 0
	words := strings.Fields(use)
	for i, w := range words {
		if i == 0 {
			continue // the command's name
		}
		open := strings.Count(w, "[") + strings.Count(w, "(")
		closed := strings.Count(w, "]") + strings.Count(w, ")")
		inGroup := depth > 0 || open > 0
		depth += open - closed
		if inGroup || strings.HasPrefix(w, "-") || strings.HasPrefix(words[i-1], "--") {
			continue
		}
		if w == strings.ToUpper(w) && strings.Trim(w, ".") != "" {
			out = append(out, strings.TrimSuffix(w, "..."))
		}
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
