package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpkeys/bpkeys/internal/softhsmtest"
)

// TestSignerCLI runs bpkeys signer serve as an operator would (its own
// SoftHSM2 token, in a child process), asks it for a block signature over
// its socket, reads bpkeys signer status, and stops it with the context
// SIGTERM cancels.
func TestSignerCLI(t *testing.T) {
	softhsmtest.InChildProcess(t, "TestSignerCLI", func(t *testing.T) {
		toks := softhsmtest.Setup("4321", "signer-cli")
		defer toks.Close()
		toks.Require(t)
		t.Setenv("BPKEYS_SIGNER_CLI_PIN", "4321")
		ref := fmt.Sprintf("pkcs11:token=signer-cli;object=block?module-path=%s&pin-source=env:BPKEYS_SIGNER_CLI_PIN", softhsmtest.Module)
		code, out, errOut := runCLI(t, "keys", "generate", ref, "--curve", "k1", "--json")
		if code != 0 {
			t.Fatalf("keys generate: exit %d: %s", code, errOut)
		}
		pub := between(out, `"public_key": "`, `"`)
		sockDir, err := os.MkdirTemp("", "bpc")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(sockDir)
		sock := filepath.Join(sockDir, "signer.sock")
		cfg := filepath.Join(t.TempDir(), "signer.yaml")
		body := fmt.Sprintf("listen: unix://%s\nstate: %s\nkeys:\n  - key: %s\n    device: %q\n    role: block\n", sock, filepath.Join(t.TempDir(), "state"), pub, ref)
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}

		ctx, cancel := context.WithCancel(context.Background())
		var serveOut, serveErr serveOutput
		var wg sync.WaitGroup
		serveCode := -1
		wg.Add(1)
		go func() {
			defer wg.Done()
			serveCode = run(ctx, []string{"signer", "serve", "--config", cfg}, strings.NewReader(""), &serveOut, &serveErr)
		}()
		deadline := time.Now().Add(30 * time.Second)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if c, err := net.Dial("unix", sock); err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				cancel()
				wg.Wait()
				t.Fatalf("the signer did not listen: %s", serveErr.String())
			}
			<-tick.C
		}
		client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
		digest := "0000007b" + strings.Repeat("ab", 28)
		resp, err := client.Post("http://signer/v1/wallet/sign_digest", "application/json", strings.NewReader(fmt.Sprintf(`[%q,%q]`, digest, pub)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("sign_digest answered %s", resp.Status)
		}

		code, out, errOut = runCLI(t, "signer", "status", "--config", cfg)
		if code != 0 || !strings.Contains(out, "running") || !strings.Contains(out, "high-water mark: block 123") || !strings.Contains(out, "1 signed, 0 refused), hash chain intact") {
			t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
		}
		if !strings.Contains(serveErr.String(), "nodeos config.ini: signature-provider = "+pub+"=KEOSD:unix://"+sock+"/v1/wallet/sign_digest") {
			t.Fatalf("serve did not print the config.ini line:\n%s", serveErr.String())
		}

		cancel() // what SIGTERM does in main
		wg.Wait()
		if serveCode != 0 {
			t.Fatalf("serve exited %d after its context ended:\n%s", serveCode, serveErr.String())
		}
		if code, out, _ := runCLI(t, "signer", "status", "--config", cfg); code != exitFailed || !strings.Contains(out, "NOT ANSWERING") {
			t.Fatalf("status of a stopped signer: exit %d\n%s", code, out)
		}
	})
}

func TestSignerCLIUsage(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("listen: 0.0.0.0:8900\nstate: /tmp/x\n"), 0o600)
	for _, args := range [][]string{
		{"signer", "serve"},
		{"signer", "serve", "--config", bad},
		{"signer", "status", "--config", bad},
	} {
		if code, _, errOut := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d (%s)", args, code, errOut)
		}
	}
}

func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return v
}

// TestRotateGenerateOffersSigner: rotate-key --generate (text output) offers
// the block signer as where the new key is served from: the signer entry
// and the KEOSD config.ini line, never a private key.
func TestRotateGenerateOffersSigner(t *testing.T) {
	cc := newCLIChain(t)
	gen := "pkcs11:token=bp-hsm;object=block-2027?pin-source=env:BPKEYS_PIN"
	out := cc.mustRun(t, "--yes", "producer", "rotate-key", cliTeam, "--generate", gen, "--signer", hsmRotate)
	pub := cc.hsm.keys["block-2027"].PublicKey()
	for _, want := range []string{
		"serve it:     add to the bpkeys signer config: {key: " + pub.String() + ", device: \"" + gen + "\", role: block}",
		"nodeos:       signature-provider = " + pub.String() + "=KEOSD:unix:///run/bpkeys/signer.sock/v1/wallet/sign_digest",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rotate-key output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "PVT_") || strings.Contains(out, "=KEY:") {
		t.Fatalf("rotate-key printed something like a private key:\n%s", out)
	}
}

// serveOutput is an output the serving goroutine and the test share.
type serveOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *serveOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *serveOutput) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
