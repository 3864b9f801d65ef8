package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/devchain/demokeys"
)

// TestPermsShowDiagram: perms show --format mermaid|dot draws the demo
// account from the same model as the TUI tree: every permission, its keys
// whole with their holder from the team file, the members' levels and the
// links; an unknown format is a usage error.
func TestPermsShowDiagram(t *testing.T) {
	_, _, url, team := tuiDemoTeam(t)
	path, cleanup, err := writeDemoTeamFile(team)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	want := []string{"bpkeysdemo11@owner", "bpkeysdemo11@active", "bpkeysdemo11@claim", "bpkeysdemo11@rotate",
		team.Claim.PublicKey().String(), team.Rotate.PublicKey().String(), "alice@active", "bob@active", "carol@active",
		"eosio::claimrewards", "eosio::regproducer", "ops"}
	for _, format := range []string{"mermaid", "dot"} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"--url", url, "--team", path, "perms", "show", demokeys.ProducerAccount, "--format", format}, strings.NewReader(""), &out, &errOut)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", format, code, errOut.String())
		}
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: %q missing:\n%s", format, w, out.String())
			}
		}
		head := map[string]string{"mermaid": "```mermaid\n---\ntitle: bpkeysdemo11 permissions", "dot": "digraph \"bpkeysdemo11\" {"}[format]
		if !strings.HasPrefix(out.String(), head) {
			t.Errorf("%s starts %q", format, out.String()[:min(60, out.Len())])
		}
	}
	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"--url", url, "perms", "show", demokeys.ProducerAccount, "--format", "svg"}, strings.NewReader(""), &bytes.Buffer{}, &errOut); code != exitUsage {
		t.Fatalf("--format svg: exit %d %s", code, errOut.String())
	}
}
