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
		Short: "Check the chain of hashes against the head record; report where it breaks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := a.journal()
			if err != nil {
				return err
			}
			st, err := j.Verify()
			if errors.Is(err, audit.ErrNoJournal) {
				a.out("no journal yet")
				return nil
			}
			if err != nil {
				return withCode(exitPolicy, fmt.Errorf("%s: %w (the %d entries before it verify); keep a copy, then start a new segment with bpkeys audit seal --reason \"...\"", j.Path(), err, len(st.Entries)))
			}
			a.out("%s: %d entries, chain of hashes intact up to its head record (segment %d)", j.Path(), len(st.Entries), st.Segment)
			if len(st.Entries) > 0 && st.Entries[0].Seal != nil {
				s := st.Entries[0].Seal
				a.out("  started by a seal: %s (previous segment %s, %d entries witnessed)", s.Reason, s.Previous, s.HeadEntries)
			}
			if st.Fenced > 0 {
				a.out("  %d failed append(s) fenced off: nothing was signed with them", st.Fenced)
			}
			if st.Pending > 0 {
				a.out("  %d bytes after the last entry are a failed append (disk full?): nothing was signed with them; the next signature fences them off", st.Pending)
			}
			return nil
		},
	})
	var reason string
	seal := &cobra.Command{
		Use:   "seal",
		Short: "Close the journal's segment (broken or not) and start a new one that records why",
		Long: `Moves the journal aside (FILE.sealed-TIME, kept as it is) and starts a new
journal whose first entry records the reason, the old file's name, size and
SHA-256, what its head record witnessed and what verifying it found. Signing
refuses on a journal that does not verify until it is sealed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := a.journal()
			if err != nil {
				return err
			}
			info, err := j.Seal(reason)
			if err != nil {
				return err
			}
			if info.Problem != "" {
				a.info("the sealed segment did not verify: %s", info.Problem)
			}
			if info.Previous != "" {
				a.out("sealed: the previous segment is kept as %s (sha256 %s); new segment started in %s", info.Previous, info.PreviousSHA256, j.Path())
			} else {
				a.out("sealed: no journal file was there; new segment started in %s", j.Path())
			}
			return nil
		},
	}
	seal.Flags().StringVar(&reason, "reason", "", "why the journal is sealed (recorded in the new segment; required)")
	cmd.AddCommand(seal)
	return cmd
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
