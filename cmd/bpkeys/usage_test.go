package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// typo changes one letter of name (the first letter that can change
// without giving another command's name).
func typo(name string, taken map[string]bool) string {
	for i := len(name) - 1; i >= 0; i-- {
		for _, r := range "qxz" {
			if rune(name[i]) == r {
				continue
			}
			t := name[:i] + string(r) + name[i+1:]
			if !taken[t] {
				return t
			}
		}
	}
	return name + "q"
}

// TestEveryTypoExitsWithUsage runs every subcommand, at every level, with a
// one-letter typo: each must exit 2 and suggest the command meant, and none
// may print to stdout (a cron line with a typo must not pass silently).
func TestEveryTypoExitsWithUsage(t *testing.T) {
	root := newRootCmd(&app{})
	n := 0
	var walk func(path []string, c *cobra.Command)
	walk = func(path []string, c *cobra.Command) {
		taken := map[string]bool{}
		for _, sub := range c.Commands() {
			taken[sub.Name()] = true
			for _, a := range sub.Aliases {
				taken[a] = true
			}
		}
		for _, sub := range c.Commands() {
			if !sub.IsAvailableCommand() {
				continue
			}
			args := append(append([]string{}, path...), typo(sub.Name(), taken))
			n++
			t.Run(strings.Join(args, "_"), func(t *testing.T) {
				code, out, errOut := runCLI(t, args...)
				if code != exitUsage {
					t.Fatalf("bpkeys %s: exit %d, want %d; stderr: %s", strings.Join(args, " "), code, exitUsage, errOut)
				}
				_, mean, _ := strings.Cut(errOut, "did you mean ")
				mean, _, _ = strings.Cut(mean, "?")
				if !strings.Contains(mean, "\""+sub.Name()+"\"") {
					t.Errorf("bpkeys %s: stderr does not suggest %q: %s", strings.Join(args, " "), sub.Name(), errOut)
				}
				if out != "" {
					t.Errorf("bpkeys %s: stdout %q, want nothing", strings.Join(args, " "), out)
				}
			})
			walk(append(append([]string{}, path...), sub.Name()), sub)
		}
	}
	walk(nil, root)
	if n < 30 {
		t.Fatalf("only %d commands walked; the tree did not load", n)
	}
	// the ones the issue names, transposed letters included
	for _, args := range [][]string{{"keys", "lsit"}, {"producer", "rotate-kee"}, {"perms", "shwo"}, {"help", "verison"}, {"help", "keys", "lsit"}} {
		code, _, errOut := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(errOut, "did you mean") {
			t.Errorf("bpkeys %s: exit %d, stderr %s", strings.Join(args, " "), code, errOut)
		}
	}
}

// TestGroupWithoutSubcommandShowsHelp: a bare group still prints its help
// and succeeds.
func TestGroupWithoutSubcommandShowsHelp(t *testing.T) {
	code, out, _ := runCLI(t, "keys")
	if code != 0 || !strings.Contains(out, "Available Commands") {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
}

func TestRequiredArgs(t *testing.T) {
	for use, want := range map[string]string{
		"show ACCOUNT":                            "ACCOUNT",
		"review PROPOSER NAME":                    "PROPOSER NAME",
		"plan ACCOUNT [edits...] [--out FILE]":    "ACCOUNT",
		"sign --chain-id ID --signer REF... FILE": "FILE",
		"propose --proposer ACCOUNT (--plan FILE | --actions FILE | --trx FILE) --signer REF": "",
		"inbox [--as ACTOR@PERM...]": "",
		"version":                    "",
	} {
		if got := strings.Join(requiredArgs(use), " "); got != want {
			t.Errorf("requiredArgs(%q) = %q, want %q", use, got, want)
		}
	}
}
