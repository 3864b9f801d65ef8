package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/internal/testenv"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/producer"
	"github.com/bpkeys/bpkeys/signer"
)

// runbookStep is a bpkeys line of a runbook, or a file it asks to write.
type runbookStep struct {
	line    int
	capture string   // VAR of VAR=$(bpkeys ...)
	args    []string // nil for a file
	file    string
	content string
}

var fenceRE = regexp.MustCompile("^```(\\w*)(?:\\s+file=(\\S+))?\\s*$")

// parseRunbook extracts the ```sh lines that run bpkeys (continuation
// lines joined) and the ```json file=NAME blocks, in document order.
// Variables ($VAR, ${VAR}, "$VAR") are substituted from vars when the step
// runs, so later steps see values captured by earlier ones.
func parseRunbook(t *testing.T, path string) []runbookStep {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []runbookStep
	sc := bufio.NewScanner(f)
	n := 0
	inFence, lang, file := false, "", ""
	var buf []string
	start := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if m := fenceRE.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			if !inFence {
				inFence, lang, file, buf, start = true, m[1], m[2], nil, n+1
				continue
			}
			if m[1] == "" {
				inFence = false
				switch {
				case lang == "json" && file != "":
					steps = append(steps, runbookStep{line: start, file: file, content: strings.Join(buf, "\n") + "\n"})
				case lang == "sh":
					joined := strings.ReplaceAll(strings.Join(buf, "\n"), "\\\n", " ")
					for i, l := range strings.Split(joined, "\n") {
						l = strings.TrimSpace(l)
						if l == "" || strings.HasPrefix(l, "#") {
							continue
						}
						s := runbookStep{line: start + i, args: []string{l}}
						if m := regexp.MustCompile(`^([A-Z_][A-Z0-9_]*)=\$\((.*)\)$`).FindStringSubmatch(l); m != nil {
							s.capture, s.args[0] = m[1], m[2]
						}
						steps = append(steps, s)
					}
				}
				continue
			}
		}
		if inFence {
			buf = append(buf, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return steps
}

// shellWords splits a command line as sh would for the simple lines
// runbooks hold: single quotes literal, double quotes with $VAR expansion.
func shellWords(t *testing.T, line string, vars map[string]string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	expand := func(s string, i int) (string, int) {
		j := i + 1
		if j < len(s) && s[j] == '{' {
			k := strings.IndexByte(s[j:], '}')
			name := s[j+1 : j+k]
			return lookupVar(t, vars, name), j + k + 1
		}
		for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9' || s[j] >= 'a' && s[j] <= 'z') {
			j++
		}
		return lookupVar(t, vars, s[i+1:j]), j
	}
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			i++
		case c == '\'':
			k := strings.IndexByte(line[i+1:], '\'')
			cur.WriteString(line[i+1 : i+1+k])
			inWord, i = true, i+k+2
		case c == '"':
			i++
			for i < len(line) && line[i] != '"' {
				if line[i] == '$' {
					v, j := expand(line, i)
					cur.WriteString(v)
					i = j
					continue
				}
				cur.WriteByte(line[i])
				i++
			}
			inWord, i = true, i+1
		case c == '$':
			v, j := expand(line, i)
			cur.WriteString(v)
			inWord, i = true, j
		default:
			cur.WriteByte(c)
			inWord, i = true, i+1
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

func lookupVar(t *testing.T, vars map[string]string, name string) string {
	t.Helper()
	v, ok := vars[name]
	if !ok {
		t.Fatalf("runbook uses $%s, which the test does not define", name)
	}
	return v
}

// jqRE recognises "bpkeys ... --json | jq -r .field".
var jqRE = regexp.MustCompile(`^(.*?)\s*\|\s*jq -r \.([a-z_]+)$`)

var varRE = regexp.MustCompile(`\$\{?([A-Z_][A-Z0-9_]*)\}?`)

// runRunbook runs every step of a runbook against cc, answering yes to
// every prompt (--yes). It returns the commands it could not run because
// bpkeys lacks them.
func runRunbook(t *testing.T, cc *cliChain, path string, vars map[string]string) (ran int, missing []string) {
	t.Helper()
	t.Chdir(t.TempDir())
	for _, s := range parseRunbook(t, path) {
		if s.args == nil {
			content := varRE.ReplaceAllStringFunc(s.content, func(m string) string {
				return lookupVar(t, vars, varRE.FindStringSubmatch(m)[1])
			})
			if err := os.WriteFile(s.file, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			continue
		}
		cmdline, jqField := s.args[0], ""
		if m := jqRE.FindStringSubmatch(cmdline); m != nil {
			cmdline, jqField = m[1], m[2]
		}
		words := shellWords(t, cmdline, vars)
		if len(words) == 0 || words[0] != "bpkeys" {
			t.Logf("%s:%d: not a bpkeys command, skipped: %s", filepath.Base(path), s.line, s.args[0])
			continue
		}
		cc.dc.ProduceBlocks(1)
		code, out, errOut := cc.run(t, context.Background(), "", append([]string{"--yes"}, words[1:]...)...)
		if code == exitUsage && strings.Contains(errOut, "unknown command") {
			missing = append(missing, strings.Join(words[:3], " "))
		}
		if code != 0 {
			t.Fatalf("%s:%d: %s\nexit %d\nstdout:\n%s\nstderr:\n%s", filepath.Base(path), s.line, s.args[0], code, out, errOut)
		}
		ran++
		if jqField != "" {
			var obj map[string]any
			if err := json.Unmarshal([]byte(out), &obj); err != nil {
				t.Fatalf("%s:%d: | jq -r .%s: %v", filepath.Base(path), s.line, jqField, err)
			}
			out = fmt.Sprint(obj[jqField])
		}
		if s.capture != "" {
			vars[s.capture] = strings.TrimSpace(out)
		}
	}
	return ran, missing
}

func runbookVars(cc *cliChain) map[string]string {
	v := map[string]string{
		"ACCOUNT":             cliTeam,
		"HSM_ROTATE":          hsmRotate,
		"HSM_CLAIM":           hsmClaim,
		"HSM_NEW_BLOCK_KEY":   "pkcs11:token=bp-hsm;object=block-new?pin-source=env:BPKEYS_PIN",
		"HSM_NEW_BLOCK_KEY_2": "pkcs11:token=bp-hsm;object=block-new-2?pin-source=env:BPKEYS_PIN",
		"YK_ALICE":            ykAlice,
		"YK_BOB":              ykBob,
		"YK_CAROL":            "yubikey:slot=9d",
		"NEW_KEY":             testsigner.FromSeed(signer.CurveK1, "runbook-new-key").PublicKey().String(),
	}
	v["ROTATE_KEY"] = cc.hsm.keys["rotate"].PublicKey().Legacy()
	return v
}

// TestRunbooks runs every bpkeys command of every runbook, in order,
// against a devchain with the team the runbooks assume, and checks the
// outcome each runbook promises.
func TestRunbooks(t *testing.T) {
	dir := filepath.Join("..", "..", "docs", "runbooks")
	check := map[string]func(t *testing.T, cc *cliChain){
		"signing-key-compromised.md": func(t *testing.T, cc *cliChain) {
			info, err := producer.Show(context.Background(), mustClient(t, cc), cliTeam)
			if err != nil {
				t.Fatal(err)
			}
			if !info.Row.Active || !info.Row.Authority.Equal(producer.SingleKey(cc.hsm.keys["block-new-2"].PublicKey())) {
				t.Fatalf("after the runbook: %+v", info.Row)
			}
		},
		"yubikey-lost.md":  func(t *testing.T, cc *cliChain) { checkMembers(t, cc, "bob", "carol") },
		"member-leaves.md": func(t *testing.T, cc *cliChain) { checkMembers(t, cc, "alice", "bob") },
		"claim-setup.md": func(t *testing.T, cc *cliChain) {
			info, err := producer.Show(context.Background(), mustClient(t, cc), cliTeam)
			if err != nil {
				t.Fatal(err)
			}
			if info.ClaimPermission != "claim" || info.ClaimAllowedNow {
				t.Fatalf("after the runbook: claim with %s, allowed now %v", info.ClaimPermission, info.ClaimAllowedNow)
			}
		},
	}
	books, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	var all []string
	for _, b := range books {
		if filepath.Base(b) != "README.md" {
			all = append(all, b)
		}
	}
	if len(all) != len(check) {
		t.Fatalf("runbooks %v; the test checks %d", all, len(check))
	}
	for _, path := range all {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".md"), func(t *testing.T) {
			abs, _ := filepath.Abs(path)
			cc := newCLIChainWith(t, name != "claim-setup.md")
			ran, missing := runRunbook(t, cc, abs, runbookVars(cc))
			if ran < 3 {
				t.Fatalf("only %d commands ran", ran)
			}
			if len(missing) > 0 {
				t.Fatalf("the runbook uses commands bpkeys does not have: %v", missing)
			}
			check[name](t, cc)
			if len(cc.journalEntries(t)) == 0 {
				t.Fatal("nothing was journalled")
			}
		})
	}
}

func mustClient(t *testing.T, cc *cliChain) producer.Chain {
	t.Helper()
	a := &app{urls: cc.urls, chainID: cc.dc.ChainID().String(), stderr: os.Stderr}
	c, err := a.chainClient()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkMembers asserts the team's owner, active and rotate name exactly
// these members.
func checkMembers(t *testing.T, cc *cliChain, members ...string) {
	t.Helper()
	acct, err := mustClient(t, cc).GetAccount(context.Background(), cliTeam)
	if err != nil {
		t.Fatal(err)
	}
	for _, perm := range []string{"owner", "active", "rotate"} {
		p := acct.Permission(perm)
		var got []string
		for _, a := range p.RequiredAuth.Accounts {
			got = append(got, a.Permission.Actor)
		}
		if strings.Join(got, ",") != strings.Join(members, ",") {
			t.Errorf("%s@%s: members %v, want %v", cliTeam, perm, got, members)
		}
	}
}

// TestSystemdUnits checks the example units: systemd-analyze verify when
// it is installed (any complaint fails), and always a check of every
// section and key against those systemd documents.
func TestSystemdUnits(t *testing.T) {
	dir := filepath.Join("..", "..", "docs", "systemd")
	units, _ := filepath.Glob(filepath.Join(dir, "bpkeys-*.*"))
	known := map[string]map[string]bool{
		"Unit":    set("Description", "Documentation", "Wants", "After", "Requires", "Before"),
		"Service": set("Type", "User", "Group", "EnvironmentFile", "Environment", "StateDirectory", "StateDirectoryMode", "ExecStart", "TimeoutStartSec", "TimeoutStopSec", "KillSignal", "Restart", "RestartSec", "NoNewPrivileges", "PrivateTmp", "ProtectSystem", "ProtectHome", "ReadWritePaths"),
		"Timer":   set("OnCalendar", "RandomizedDelaySec", "Persistent", "Unit"),
		"Install": set("WantedBy"),
	}
	for _, k := range []string{"RuntimeDirectory", "RuntimeDirectoryMode", "UMask", "ProtectKernelTunables", "ProtectControlGroups", "RestrictAddressFamilies"} {
		known["Service"][k] = true // bpkeys-signer.service
	}
	var verify []string
	tmp := t.TempDir()
	for _, u := range units {
		b, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(u)
		switch filepath.Ext(u) {
		case ".service", ".timer":
		case ".cron":
			checkCronLine(t, string(b))
			continue
		default:
			continue
		}
		section := ""
		for i, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || line[0] == '#' {
				continue
			}
			if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
				section = line[1 : len(line)-1]
				if known[section] == nil {
					t.Errorf("%s:%d: unknown section %s", base, i+1, line)
				}
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok || strings.TrimSpace(v) == "" || !known[section][k] {
				t.Errorf("%s:%d: %q is not a key=value of [%s] we know", base, i+1, line, section)
			}
			if k == "ExecStart" && base == "bpkeys-signer.service" && v != "/usr/local/bin/bpkeys signer serve --config /etc/bpkeys/signer.yaml" {
				t.Errorf("%s: ExecStart %q", base, v)
			} else if k == "ExecStart" && base != "bpkeys-signer.service" && !strings.Contains(v, " claim ${BPKEYS_ACCOUNT} --signer ${BPKEYS_CLAIM_SIGNER}") {
				t.Errorf("%s: ExecStart %q", base, v)
			}
		}
		// systemd-analyze needs the executable to exist.
		out := filepath.Join(tmp, base)
		if err := os.WriteFile(out, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/bpkeys", "/bin/true")), 0o644); err != nil {
			t.Fatal(err)
		}
		verify = append(verify, out)
	}
	if len(verify) != 4 {
		t.Fatalf("units %v", verify)
	}
	testenv.LookPath(t, "systemd-analyze", testenv.Hint) // keys were checked above either way
	out, err := exec.Command("systemd-analyze", append([]string{"verify"}, verify...)...).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command("systemd-analyze", "calendar", "*-*-* *:07:00").CombinedOutput()
	if err != nil {
		t.Fatalf("OnCalendar: %v\n%s", err, out)
	}
}

func set(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// checkCronLine checks the cron.d example: five time fields, a user, and
// a bpkeys claim command.
func checkCronLine(t *testing.T, s string) {
	t.Helper()
	jobs := 0
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || regexp.MustCompile(`^[A-Z_]+=`).MatchString(line) {
			continue
		}
		f := strings.Fields(line)
		field := regexp.MustCompile(`^(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,[0-9]+)*$`)
		if len(f) < 7 {
			t.Fatalf("cron line %q: fewer than 7 fields", line)
		}
		for _, x := range f[:5] {
			if !field.MatchString(x) {
				t.Errorf("cron line %q: bad time field %q", line, x)
			}
		}
		if !strings.Contains(line, "/usr/local/bin/bpkeys claim ") {
			t.Errorf("cron line %q does not run bpkeys claim", line)
		}
		jobs++
	}
	if jobs != 1 {
		t.Errorf("%d cron jobs", jobs)
	}
}
