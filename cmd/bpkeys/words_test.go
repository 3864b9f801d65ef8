package main

import (
	"testing"
	"time"
)

// TestOneTimeForm: every time bpkeys writes is RFC 3339 in UTC to the
// second, the form --json uses too; a time the chain never set is "never"
// (a producer that never claimed has the Unix epoch, not 1970-01-01).
func TestOneTimeForm(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Time{}, "never"},
		{time.Unix(0, 0), "never"},
		{time.Date(2026, 12, 8, 21, 31, 40, 500, time.FixedZone("CET", 3600)), "2026-12-08T20:31:40Z"},
	} {
		if got := fmtTime(tc.in); got != tc.want {
			t.Errorf("fmtTime(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
