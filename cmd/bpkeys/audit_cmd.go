package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/audit"
)

// journal opens the signing journal ($BPKEYS_JOURNAL or the default path).
func (a *app) journal() (*audit.Journal, error) {
	p := a.journalPath
	if p == "" {
		p = audit.DefaultPath()
	}
	return audit.Open(p)
}

func newAuditCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Show and verify the journal of every signature bpkeys made"}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "List the journal",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := a.journal()
			if err != nil {
				return err
			}
			es, err := j.Entries()
			if errors.Is(err, audit.ErrNoJournal) {
				a.info("%v", err)
				return nil
			}
			if a.json {
				if err2 := a.printJSON(es); err2 != nil {
					return err2
				}
			} else {
				for _, e := range es {
					a.out("%s  %s  %s  %s  %s", fmtTime(e.Time), short(e.TrxID), e.Device, strings.Join(e.Actions, "; "), e.Note)
				}
			}
			return withCode(exitPolicy, err)
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "verify",
		Short: "Check the chain of hashes; report the first broken line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := a.journal()
			if err != nil {
				return err
			}
			es, err := j.Entries()
			if errors.Is(err, audit.ErrNoJournal) {
				a.out("no journal yet")
				return nil
			}
			if err != nil {
				return withCode(exitPolicy, fmt.Errorf("%s: %w (the %d entries before it verify)", j.Path(), err, len(es)))
			}
			a.out("%s: %d entries, chain of hashes intact", j.Path(), len(es))
			return nil
		},
	})
	return cmd
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
