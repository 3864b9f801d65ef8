package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/internal/softhsmtest"
	"github.com/bpkeys/bpkeys/internal/testenv"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/signer/signertest"
)

var p11Module = softhsmtest.Module

const (
	p11PINEnv = "BPKEYS_CLI_TEST_PIN"
)

// SoftHSM2 reads SOFTHSM2_CONF and its token directory once per process, at
// C_Initialize, so the tokens are made once, before any command loads the
// module, and every PKCS#11 CLI test runs inside TestPKCS11CLI.
var p11Setup struct {
	once sync.Once
	dir  string
	err  error
	runs int
}

func setupCLIHSM(t *testing.T) {
	t.Helper()
	p11Setup.runs++
	if p11Setup.runs > 1 {
		t.Skip("SoftHSM2 reads its token directory once per process: run with -count=1")
	}
	p11Setup.once.Do(func() {
		toks := softhsmtest.Setup("4321", "cli", "cli-other")
		p11Setup.dir = toks.Dir
		if toks.Missing != "" {
			p11Setup.err = errors.New(toks.Missing)
		}
	})
	if p11Setup.err != nil {
		testenv.Missing(t, "SoftHSM2 ("+p11Setup.err.Error()+")", testenv.Hint)
	}
	t.Cleanup(func() { os.RemoveAll(p11Setup.dir) })
}

func runP11(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestPKCS11CLI drives keys generate, keys list --json and sign-digest
// against a SoftHSM2 token, and checks that a signature verifies to the key
// keys list printed.
func TestPKCS11CLI(t *testing.T) {
	setupCLIHSM(t)
	t.Setenv(p11PINEnv, "4321")
	t.Setenv("BPKEYS_PKCS11_MODULE", p11Module)
	base := "pkcs11:token=cli;object=%s?module-path=" + p11Module + "&pin-source=env:" + p11PINEnv

	generated := map[string]signer.PublicKey{}
	t.Run("generate", func(t *testing.T) {
		for _, tc := range []struct{ object, curve string }{{"claim", "k1"}, {"sign-r1", "r1"}} {
			code, out, errOut := runP11(t, "keys", "generate", fmt.Sprintf(base, tc.object), "--curve", tc.curve)
			if code != exitOK {
				t.Fatalf("keys generate %s: exit %d: %s", tc.object, code, errOut)
			}
			pub, err := signer.ParsePublicKey(strings.TrimSpace(out))
			if err != nil {
				t.Fatalf("keys generate printed %q: %v", out, err)
			}
			if !strings.EqualFold(pub.Curve.String(), tc.curve) {
				t.Fatalf("asked for %s, got %s", tc.curve, pub.Curve)
			}
			generated[tc.object] = pub
		}
		code, _, errOut := runP11(t, "keys", "generate", fmt.Sprintf(base, "claim"), "--curve", "k1")
		if code != exitFailed || !strings.Contains(errOut, "already exists") {
			t.Fatalf("generate over an existing label: exit %d: %s", code, errOut)
		}
	})

	var listed []devices.KeyInfo
	t.Run("list", func(t *testing.T) {
		// The module comes from --module alone here.
		t.Setenv("BPKEYS_PKCS11_MODULE", "")
		if code, _, errOut := runP11(t, "keys", "list", "--module", "/nonexistent/module.so"); code != exitUsage || !strings.Contains(errOut, "--module") {
			t.Fatalf("keys list with a missing module: exit %d: %s", code, errOut)
		}
		code, out, errOut := runP11(t, "--json", "keys", "list", "--module", p11Module)
		if code != exitOK {
			t.Fatalf("keys list: exit %d: %s", code, errOut)
		}
		var inv struct {
			devices.Inventory
			Problems []string `json:"problems"`
		}
		if err := json.Unmarshal([]byte(out), &inv); err != nil {
			t.Fatalf("keys list --json: %v\n%s", err, out)
		}
		var labels []string
		for _, d := range inv.Devices {
			if d.Scheme == "pkcs11" {
				labels = append(labels, d.Details["label"])
			}
		}
		if strings.Join(labels, ",") != "cli,cli-other" {
			t.Errorf("tokens listed: %v", labels)
		}
		for _, k := range inv.Keys {
			if k.Scheme != "pkcs11" {
				continue
			}
			listed = append(listed, k)
			if want, ok := generated[k.Label]; !ok || k.PublicKey != want {
				t.Errorf("listed %s %s, generated %s", k.Label, k.PublicKey, want)
			}
			if k.CanSign || k.Details["can_sign"] != "unknown without login" {
				t.Errorf("%s: can_sign %v %v before any login", k.Label, k.CanSign, k.Details)
			}
		}
		if len(listed) != 2 {
			t.Fatalf("%d pkcs11 keys listed, want 2: %s", len(listed), out)
		}
	})

	t.Run("sign-digest", func(t *testing.T) {
		if len(listed) == 0 {
			t.Skip("nothing listed")
		}
		for _, k := range listed {
			d := sha256.Sum256([]byte("sign-digest " + k.Label))
			ref := k.Ref + "&pin-source=env:" + p11PINEnv
			code, out, errOut := runP11(t, "--yes", "sign-digest", ref, hex.EncodeToString(d[:]))
			if code != exitOK {
				t.Fatalf("sign-digest %s: exit %d: %s", ref, code, errOut)
			}
			sig, err := signer.ParseSignature(strings.TrimSpace(out))
			if err != nil {
				t.Fatalf("sign-digest printed %q: %v", out, err)
			}
			signertest.Check(t, sig, d, k.PublicKey)
		}
	})

	t.Run("wrong-pin", func(t *testing.T) {
		t.Setenv(p11PINEnv, "000000")
		d := sha256.Sum256([]byte("x"))
		code, out, errOut := runP11(t, "--yes", "sign-digest", fmt.Sprintf(base, "claim"), hex.EncodeToString(d[:]))
		if code != exitFailed || !strings.Contains(errOut, "wrong PIN") || out != "" {
			t.Fatalf("wrong PIN: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		if strings.Contains(errOut, "000000") {
			t.Fatal("the PIN appears in the error")
		}
	})

	t.Run("unknown-token", func(t *testing.T) {
		d := sha256.Sum256([]byte("x"))
		code, _, errOut := runP11(t, "--yes", "sign-digest", strings.Replace(fmt.Sprintf(base, "claim"), "token=cli;", "token=nope;", 1), hex.EncodeToString(d[:]))
		if code != exitFailed || !strings.Contains(errOut, `"cli"`) || !strings.Contains(errOut, `"cli-other"`) {
			t.Fatalf("unknown token: exit %d, stderr %q", code, errOut)
		}
	})

	t.Run("pin-value-refused", func(t *testing.T) {
		ref := "pkcs11:token=cli;object=new?module-path=" + p11Module + "&pin-value=4321"
		code, _, errOut := runP11(t, "keys", "generate", ref, "--curve", "k1")
		if code != exitUsage || !strings.Contains(errOut, "pin-value is refused") {
			t.Fatalf("keys generate with pin-value: exit %d, stderr %q; want exit 2", code, errOut)
		}
		if strings.Contains(errOut, "4321") {
			t.Fatal("the PIN is echoed")
		}
		// sign-digest refuses it too, before any device is touched.
		d := sha256.Sum256([]byte("x"))
		code, out, errOut := runP11(t, "--yes", "sign-digest", ref, hex.EncodeToString(d[:]))
		if code == exitOK || out != "" || !strings.Contains(errOut, "pin-value is refused") || strings.Contains(errOut, "4321") {
			t.Fatalf("sign-digest with pin-value: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		if code != exitUsage {
			t.Fatalf("sign-digest with pin-value: exit %d, want %d", code, exitUsage)
		}
	})
}
