package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/devchain/demokeys"
)

// readmeBlock returns the lines of the first ```sh block under the README
// heading, with their line numbers.
func readmeBlock(t *testing.T, heading string) (lines []string, nums []int) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, inSection, inBlock := 0, false, false
	for sc.Scan() {
		n++
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "## "):
			inSection = l == heading
		case inSection && !inBlock && l == "```sh":
			inBlock = true
		case inBlock && l == "```":
			return lines, nums
		case inBlock:
			lines, nums = append(lines, l), append(nums, n)
		}
	}
	t.Fatalf("README has no ```sh block under %q", heading)
	return nil, nil
}

var (
	exportRE   = regexp.MustCompile(`^export ([A-Z_]+)=(\S+)$`)
	exitCodeRE = regexp.MustCompile(`\bexit (\d+)\b`)
)

// TestREADMETour copies the README's tour into a script, line by line, and
// runs it against the demo's chain (the team bpkeys demo starts), checking
// every command exits as its comment says (0 unless it names an exit
// code). The demo's fixed address is replaced by the test chain's.
func TestREADMETour(t *testing.T) {
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

	lines, nums := readmeBlock(t, "## A tour")
	ran := 0
	for i, l := range lines {
		cmdline, comment, _ := strings.Cut(l, "#")
		cmdline = strings.TrimSpace(cmdline)
		if cmdline == "" {
			continue
		}
		if m := exportRE.FindStringSubmatch(cmdline); m != nil {
			v := m[2]
			if m[1] == "BPKEYS_URL" {
				if v != "http://127.0.0.1:8888" {
					t.Fatalf("README:%d: the demo serves http://127.0.0.1:8888, the tour says %s", nums[i], v)
				}
				v = url
			}
			t.Setenv(m[1], v)
			continue
		}
		words := shellWords(t, cmdline, map[string]string{})
		if words[0] != "bpkeys" {
			t.Fatalf("README:%d: the tour runs %q, not bpkeys", nums[i], words[0])
		}
		want := exitOK
		if m := exitCodeRE.FindStringSubmatch(comment); m != nil {
			want, _ = strconv.Atoi(m[1])
		}
		var stdout, stderr bytes.Buffer
		got := run(ctx, words[1:], strings.NewReader(""), &stdout, &stderr)
		if got != want {
			t.Errorf("README:%d: %s\nexit %d, the README says %d\nstdout:\n%s\nstderr:\n%s", nums[i], cmdline, got, want, stdout.String(), stderr.String())
		}
		if words[1] == "perms" && words[2] == "show" {
			// without a team file: a hint, and keys named by where they sit
			if out := stdout.String(); !strings.Contains(out, "--team team.yaml") || !strings.Contains(out, "{alice's key + bob's key}") || strings.Contains(out, "unheld PUB_") {
				t.Errorf("README:%d: perms show without a team file:\n%s", nums[i], out)
			}
		}
		if want == exitOK && stdout.Len() == 0 {
			t.Errorf("README:%d: %s printed nothing", nums[i], cmdline)
		}
		ran++
	}
	if ran < 4 {
		t.Fatalf("only %d tour commands ran", ran)
	}
}

// TestREADMESetupMatchesRepo: the Go version the README asks for is the
// one go.mod needs, and the binary install.sh installs is the one the
// systemd units and the cron line run.
func TestREADMESetupMatchesRepo(t *testing.T) {
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join("..", "..", p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	readme, gomod := read("README.md"), read("go.mod")
	want := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(gomod)
	got := regexp.MustCompile(`Go (\d+\.\d+) or newer`).FindStringSubmatch(readme)
	if want == nil || got == nil || got[1] != want[1] {
		t.Fatalf("README asks for Go %v, go.mod needs %v", got, want)
	}
	if !strings.Contains(read("scripts/install.sh"), "prefix=${PREFIX:-/usr/local}") {
		t.Fatal("scripts/install.sh no longer installs under /usr/local by default")
	}
	units, err := filepath.Glob(filepath.Join("..", "..", "docs", "systemd", "*"))
	if err != nil || len(units) == 0 {
		t.Fatal("no systemd units", err)
	}
	for _, u := range units {
		b, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`/[\w/.-]*/bin/bpkeys\b`).FindAllString(string(b), -1) {
			if m != "/usr/local/bin/bpkeys" {
				t.Errorf("%s runs %s, install.sh installs /usr/local/bin/bpkeys", filepath.Base(u), m)
			}
		}
	}
	if !strings.Contains(readme, "scripts/install.sh") || !strings.Contains(readme, "docs/config.md") || !strings.Contains(readme, "bpkeys config check") {
		t.Error("README must say how to install the binary and where the config fields are documented")
	}
}
