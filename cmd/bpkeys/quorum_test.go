package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/devchain/demokeys"
)

// TestQuorumFlag: two devchains on the same chain id whose accounts differ
// (as a lagging or lying endpoint would). With --quorum 2, perms show refuses
// with both answers and exit 4; with one endpoint it reads as usual; asking
// for more agreeing endpoints than given is a usage error.
func TestQuorumFlag(t *testing.T) {
	var urls []string
	for i := 0; i < 2; i++ {
		team, err := demokeys.NewTeam() // fresh keys: the two chains disagree
		if err != nil {
			t.Fatal(err)
		}
		c, err := devchain.New(team.Genesis(), devchain.Options{ManualClock: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		srv := httptest.NewServer(c.Handler())
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}
	acct := demokeys.ProducerAccount
	// Owner and active are accounts, not keys: claim holds a key that differs.
	code, out, errOut := runCLI(t, "--url", urls[0], "--url", urls[1], "--quorum", "2", "perms", "show", acct)
	if code != exitRefused || out != "" || !strings.Contains(errOut, "endpoints disagree") || !strings.Contains(errOut, urls[0]) || !strings.Contains(errOut, urls[1]) {
		t.Fatalf("disagreeing endpoints with --quorum 2: exit %d\nstdout %q\nstderr %s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "--url", urls[0], "--url", urls[1], "perms", "show", acct); code != exitOK || !strings.Contains(out, "claim") {
		t.Fatalf("quorum 1: exit %d: %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "--url", urls[0], "--quorum", "2", "perms", "show", acct); code != exitUsage || !strings.Contains(errOut, "--quorum 2 needs at least 2 endpoints") {
		t.Fatalf("quorum above endpoints: exit %d: %s", code, errOut)
	}
}
