package blocksigner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/bpkeys/bpkeys/signer"
)

// The crash tests run the service in a child process (this test binary,
// running TestSignerChildProcess) and kill it with SIGKILL at the worst
// moment: after the mark is durable, before the signature is answered.
const (
	childConfigEnv = "BPKEYS_SIGNER_CHILD_CONFIG"
	childModeEnv   = "BPKEYS_SIGNER_CHILD_MODE" // "hang" or "pause" after the mark at crashHeight
	crashHeight    = 50
)

// TestSignerChildProcess is the child's body; it is skipped in a normal run.
func TestSignerChildProcess(t *testing.T) {
	path := os.Getenv(childConfigEnv)
	if os.Getenv(childEnv) == "" || path == "" {
		t.Skip("runs only as the child process of the crash tests")
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Open: hsmOpener(NewPINs()), Logger: newTextLogger(os.Stderr)}
	switch os.Getenv(childModeEnv) {
	case "hang":
		opts.afterMark = func(m Mark) {
			if m.Height == crashHeight {
				fmt.Println("MARKED")
				select {} // the parent sends SIGKILL now
			}
		}
	case "pause":
		in := bufio.NewReader(os.Stdin)
		opts.afterMark = func(m Mark) {
			if m.Height == crashHeight {
				fmt.Println("MARKED")
				_, _ = in.ReadString('\n') // the parent sends SIGTERM, then lets go
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	srv, err := New(ctx, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("READY")
	if err := srv.Serve(ctx, ln); err != nil {
		t.Error(err)
	}
	if err := srv.Close(); err != nil {
		t.Error(err)
	}
	fmt.Println("STOPPED")
}

type child struct {
	cmd   *exec.Cmd
	lines chan string
	stdin io.WriteCloser
}

// startChild runs the service in a child process and waits until it listens.
func startChild(t *testing.T, cfgPath, mode string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSignerChildProcess$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1", childConfigEnv+"="+cfgPath, childModeEnv+"="+mode)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, lines: make(chan string, 100), stdin: stdin}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Logf("child stderr:\n%s", stderr.String())
	})
	c.expect(t, "READY")
	return c
}

// expect waits for a line of the child's output.
func (c *child) expect(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatalf("the child exited before printing %s", want)
			}
			if strings.Contains(l, "--- SKIP") {
				t.Skipf("child skipped: %s", l)
			}
			if l == want {
				return
			}
		case <-deadline:
			t.Fatalf("the child did not print %s", want)
		}
	}
}

func writeConfig(t *testing.T, cfg *Config) string {
	t.Helper()
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "signer.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCrashBetweenMarkAndAnswer: the service is killed (SIGKILL) after
// the mark for block 50 is durable and before nodeos got the signature.
// After a restart a conflicting block at 50 (and anything lower) is still
// refused, and the original block id gets the signature that was withheld.
func TestCrashBetweenMarkAndAnswer(t *testing.T) {
	pub, ref := hsmKey(t, "crash-k1", signer.CurveK1)
	cfg := unixConfig(t, KeyConfig{Key: pub.String(), Device: ref, Role: RoleBlock})
	path := writeConfig(t, cfg)
	_, sock, _ := ParseListen(cfg.Listen)
	url := "unix://" + sock + PathSignDigest

	ch := startChild(t, path, "hang")
	c := newNodeosClient(t, url)
	mustSign(t, c, blockID(t, 49), pub)
	first := blockID(t, crashHeight)
	answered := make(chan error, 1)
	go func() {
		_, err := newNodeosClient(t, url).signDigest(first, pub)
		answered <- err
	}()
	ch.expect(t, "MARKED")
	if err := ch.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-answered; err == nil {
		t.Fatal("a signature was answered although the service was killed before answering")
	}
	_ = ch.cmd.Wait()

	ch = startChild(t, path, "")
	c = newNodeosClient(t, url)
	_, err := c.signDigest(blockID(t, 50), pub)
	refusedFor(t, err, ReasonSameHeight)
	_, err = c.signDigest(blockID(t, 49), pub)
	refusedFor(t, err, ReasonLowerHeight)
	mustSign(t, c, first, pub) // nodeos retrying gets the withheld signature
	mustSign(t, c, blockID(t, 51), pub)

	// SIGTERM stops it cleanly.
	if err := ch.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ch.expect(t, "STOPPED")
	if err := ch.cmd.Wait(); err != nil {
		t.Fatalf("the child did not exit cleanly on SIGTERM: %v", err)
	}
	if _, err := VerifyLog(cfg.State); err != nil {
		t.Fatal(err)
	}
}

// TestSIGTERMFinishesSignatureInFlight: SIGTERM arriving while a block is
// being signed lets that signature be answered, then the service stops and
// new connections are refused.
func TestSIGTERMFinishesSignatureInFlight(t *testing.T) {
	pub, ref := hsmKey(t, "term-k1", signer.CurveK1)
	cfg := unixConfig(t, KeyConfig{Key: pub.String(), Device: ref, Role: RoleBlock})
	path := writeConfig(t, cfg)
	_, sock, _ := ParseListen(cfg.Listen)
	url := "unix://" + sock + PathSignDigest

	ch := startChild(t, path, "pause")
	idle := newNodeosClient(t, url)
	mustSign(t, idle, blockID(t, 1), pub) // a second, idle keep-alive connection
	d := blockID(t, crashHeight)
	type result struct {
		sig signer.Signature
		err error
	}
	answered := make(chan result, 1)
	go func() {
		sig, err := newNodeosClient(t, url).signDigest(d, pub)
		answered <- result{sig, err}
	}()
	ch.expect(t, "MARKED")
	if err := ch.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The listener closes before the signature in flight is released.
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(sock); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the socket is still there after SIGTERM")
		}
		<-tick.C
	}
	if _, err := ch.stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	r := <-answered
	if r.err != nil {
		t.Fatalf("the signature in flight was not answered: %v", r.err)
	}
	if err := r.sig.Verify(d[:], pub); err != nil {
		t.Fatal(err)
	}
	ch.expect(t, "STOPPED")
	if err := ch.cmd.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
}
