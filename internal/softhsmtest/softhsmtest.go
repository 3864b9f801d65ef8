// Package softhsmtest makes SoftHSM2 tokens in a temporary directory for
// tests, so they never touch a user's real tokens. SoftHSM2 reads
// SOFTHSM2_CONF and its token directory once per process, at the first
// C_Initialize: call Setup from TestMain, or in a child test process, before
// any PKCS#11 module is loaded.
package softhsmtest

import (
	"fmt"
	"os"
	"os/exec"

	"github.com/miekg/pkcs11"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/internal/testenv"
)

// SOPIN is the security officer PIN of every test token.
const SOPIN = "12345678"

// Module is SoftHSM2's PKCS#11 module as Debian installs it.
var Module = func() string {
	for _, p := range []string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "/usr/lib/softhsm/libsofthsm2.so"
}()

// Tokens is a token directory made for one test process.
type Tokens struct {
	Dir     string // removed by Close
	Missing string // why SoftHSM2 is unavailable; empty when the tokens exist
}

// Setup points SOFTHSM2_CONF at a new temporary token directory and
// initialises one token per label with the user PIN pin. When SoftHSM2 is
// not installed, or a step fails, Missing says why.
func Setup(pin string, labels ...string) *Tokens {
	t := &Tokens{}
	if _, err := os.Stat(Module); err != nil {
		t.Missing = Module + " missing"
		return t
	}
	dir, err := os.MkdirTemp("", "bpkeys-softhsm-")
	if err != nil {
		t.Missing = err.Error()
		return t
	}
	t.Dir = dir
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.Mkdir(filepath.Join(dir, "tokens"), 0o700); err != nil {
		t.Missing = err.Error()
		return t
	}
	body := fmt.Sprintf("directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", dir)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Missing = err.Error()
		return t
	}
	os.Setenv("SOFTHSM2_CONF", conf)
	if err := initTokens(pin, labels); err != nil {
		t.Missing = err.Error()
		return t
	}
	return t
}

// Require ends the test through testenv.Missing (a failure under CI=true)
// when the tokens could not be made.
func (t *Tokens) Require(tb testing.TB) {
	tb.Helper()
	if t.Missing != "" {
		testenv.Missing(tb, "SoftHSM2 ("+t.Missing+")", testenv.Hint)
	}
}

// Close removes the token directory.
func (t *Tokens) Close() {
	if t.Dir != "" {
		os.RemoveAll(t.Dir)
	}
}

// InChildProcess runs body in a child process of the test binary, so that
// it can make its own token directory: SoftHSM2 reads SOFTHSM2_CONF once per
// process, and another test may already own this process's. name is the
// calling test's name; the child's output is logged, its failure fails the
// test, and its skip skips it.
func InChildProcess(t *testing.T, name string, body func(t *testing.T)) {
	t.Helper()
	env := "BPKEYS_SOFTHSM_CHILD_" + name
	if os.Getenv(env) != "" {
		body(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("child process:\n%s", out)
	if err != nil {
		t.Fatalf("%s failed in its child process: %v", name, err)
	}
	if strings.Contains(string(out), "--- SKIP: "+name) {
		t.Skip("skipped in the child process (see the log)")
	}
}

// initTokens initialises one token per label through the PKCS#11 API, as
// softhsm2-util --init-token --free does, so that no PIN is ever on a
// command line. The module is finalized afterwards: SoftHSM2 reads
// SOFTHSM2_CONF again at the next C_Initialize.
func initTokens(pin string, labels []string) error {
	p := pkcs11.New(Module)
	if p == nil {
		return fmt.Errorf("%s: not a PKCS#11 module", Module)
	}
	defer p.Destroy()
	if err := p.Initialize(); err != nil {
		return fmt.Errorf("C_Initialize: %w", err)
	}
	defer p.Finalize()
	for _, label := range labels {
		if err := initToken(p, pin, label); err != nil {
			return fmt.Errorf("token %s: %w", label, err)
		}
	}
	return nil
}

func initToken(p *pkcs11.Ctx, pin, label string) error {
	slots, err := p.GetSlotList(false)
	if err != nil {
		return err
	}
	free := -1
	for i, s := range slots {
		ti, err := p.GetTokenInfo(s)
		if err == nil && ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			free = i
			break
		}
	}
	if free < 0 {
		return fmt.Errorf("no free SoftHSM2 slot")
	}
	if err := p.InitToken(slots[free], SOPIN, label); err != nil {
		return fmt.Errorf("C_InitToken: %w", err)
	}
	// SoftHSM2 moves an initialised token to a slot of its own: find it.
	if slots, err = p.GetSlotList(true); err != nil {
		return err
	}
	for _, s := range slots {
		ti, err := p.GetTokenInfo(s)
		if err != nil || ti.Label != label || ti.Flags&pkcs11.CKF_USER_PIN_INITIALIZED != 0 {
			continue
		}
		sh, err := p.OpenSession(s, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
		if err != nil {
			return err
		}
		defer p.CloseSession(sh)
		if err := p.Login(sh, pkcs11.CKU_SO, SOPIN); err != nil {
			return fmt.Errorf("C_Login as SO: %w", err)
		}
		defer p.Logout(sh)
		if err := p.InitPIN(sh, pin); err != nil {
			return fmt.Errorf("C_InitPIN: %w", err)
		}
		return nil
	}
	return fmt.Errorf("the token is not found after C_InitToken")
}
