package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/devchain/demokeys"
)

// TestUnknownAccountExitsWithUsage: every command given an account that
// does not exist says so in the same words and exits 2 (the operator typed
// a name the chain does not know), never 1 in one command and 2 in
// another.
func TestUnknownAccountExitsWithUsage(t *testing.T) {
	team, err := demokeys.NewTeam()
	if err != nil {
		t.Fatal(err)
	}
	c, err := devchain.New(team.Genesis(), devchain.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := c.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	url := "http://" + addr.String()
	for _, args := range [][]string{
		{"perms", "show", "nosuchacct12"},
		{"perms", "plan", "nosuchacct12", "--threshold", "active=2"},
		{"policy", "check", "nosuchacct12"},
		{"producer", "show", "nosuchacct12"},
		{"msig", "list", "nosuchacct12"},
		{"msig", "inbox", "--as", "nosuchacct12@active"},
		{"producer", "rotate-key", "nosuchacct12", "--new-key", team.Spare.PublicKey().String(), "--signer", "yubikey:slot=9c", "--dry-run"},
		{"claim", "nosuchacct12", "--signer", "yubikey:slot=9c"},
	} {
		t.Run(strings.Join(args[:2], "_"), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(ctx, append([]string{"--url", url, "--journal", t.TempDir() + "/j.jsonl"}, args...), strings.NewReader(""), &out, &errOut)
			if code != exitUsage || !strings.Contains(errOut.String(), "account nosuchacct12 does not exist on this chain") {
				t.Errorf("bpkeys %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
			}
		})
	}
}
