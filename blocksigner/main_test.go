package blocksigner

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/hsm/pkcs11"
	"github.com/bpkeys/bpkeys/internal/oracle"
	"github.com/bpkeys/bpkeys/internal/softhsmtest"
	"github.com/bpkeys/bpkeys/internal/testenv"
	"github.com/bpkeys/bpkeys/signer"
)

// SoftHSM2 reads its token directory once per process: TestMain makes one
// token for this test binary. A child process started by a crash test
// (childEnv set) uses its parent's token directory instead, so that it
// serves the same keys.
const (
	testPIN   = "4321"
	testToken = "signer"
	pinEnv    = "BPKEYS_SIGNER_TEST_PIN"
	childEnv  = "BPKEYS_SIGNER_CHILD"
)

var hsmMissing string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Getenv(childEnv) == "" {
		toks := softhsmtest.Setup(testPIN, testToken)
		defer toks.Close()
		hsmMissing = toks.Missing
		os.Setenv(pinEnv, testPIN)
	}
	return m.Run()
}

func needHSM(tb testing.TB) {
	tb.Helper()
	if hsmMissing != "" {
		testenv.Missing(tb, "SoftHSM2 ("+hsmMissing+")", testenv.Hint)
	}
}

func hsmRef(object string) string {
	return fmt.Sprintf("pkcs11:token=%s;object=%s?module-path=%s&pin-source=env:%s", testToken, object, softhsmtest.Module, pinEnv)
}

var generated = struct {
	sync.Mutex
	m map[string]signer.PublicKey
}{m: map[string]signer.PublicKey{}}

// hsmKey generates (once per process) a key labelled object on the test token.
func hsmKey(tb testing.TB, object string, c signer.Curve) (signer.PublicKey, string) {
	tb.Helper()
	needHSM(tb)
	generated.Lock()
	defer generated.Unlock()
	if pub, ok := generated.m[object]; ok {
		return pub, hsmRef(object)
	}
	ref, err := signer.ParseRef(hsmRef(object))
	if err != nil {
		tb.Fatal(err)
	}
	pub, err := pkcs11.New().Generate(context.Background(), ref, devices.GenerateOptions{Curve: c})
	if err != nil {
		tb.Fatalf("generating %s: %v", object, err)
	}
	generated.m[object] = pub
	return pub, hsmRef(object)
}

// registry is the device registry the service uses in tests: the real
// PKCS#11 backend, PINs held by a PINs cache as in production.
func hsmOpener(pins *PINs) Opener {
	return devices.NewRegistry(pkcs11.New(pkcs11.WithPINReader(pins.Read))).Open
}

type testServer struct {
	srv    *Server
	cfg    *Config
	sock   string // unix socket path
	url    string // what nodeos's signature-provider line would name
	cancel context.CancelFunc
	done   chan error
}

// startServer builds the service for cfg and serves it on its listener
// until the test ends.
func startServer(tb testing.TB, cfg *Config, opts Options) *testServer {
	tb.Helper()
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	if opts.Open == nil {
		opts.Open = hsmOpener(NewPINs())
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv, err := New(context.Background(), cfg, opts)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := Listen(cfg)
	if err != nil {
		srv.Close()
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{srv: srv, cfg: cfg, cancel: cancel, done: make(chan error, 1)}
	network, addr, _ := ParseListen(cfg.Listen)
	if network == "unix" {
		ts.sock = addr
		ts.url = "unix://" + addr + PathSignDigest
	} else {
		ts.url = "http://" + ln.Addr().String() + PathSignDigest
	}
	go func() { ts.done <- srv.Serve(ctx, ln) }()
	tb.Cleanup(func() { ts.stop(tb) })
	return ts
}

func (ts *testServer) stop(tb testing.TB) {
	if ts.cancel == nil {
		return
	}
	ts.cancel()
	ts.cancel = nil
	if err := <-ts.done; err != nil {
		tb.Errorf("serve: %v", err)
	}
	if err := ts.srv.Close(); err != nil {
		tb.Errorf("close: %v", err)
	}
}

// socketDir is a short directory for unix sockets (paths are limited to
// 108 bytes, which t.TempDir can exceed).
func socketDir(tb testing.TB) string {
	tb.Helper()
	d, err := os.MkdirTemp("", "bps")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func unixConfig(tb testing.TB, keys ...KeyConfig) *Config {
	return &Config{Listen: "unix://" + filepath.Join(socketDir(tb), "signer.sock"), State: filepath.Join(tb.TempDir(), "state"), Keys: keys}
}

// blockID makes a Savanna-shaped block id at height: the height big-endian
// in the first four bytes, the rest random.
func blockID(tb testing.TB, height uint32) [32]byte {
	tb.Helper()
	var d [32]byte
	if _, err := rand.Read(d[:]); err != nil {
		tb.Fatal(err)
	}
	binary.BigEndian.PutUint32(d[:4], height)
	return d
}

// nodeosClient speaks to a KEOSD signature provider as nodeos does
// (libraries/libfc/src/network/http/http_client.cpp, post_sync): one
// keep-alive HTTP/1.1 connection, a POST of the JSON array [digest, key]
// with Content-Type application/json, status 500 read as an fc exception
// from the error body, 404 as "URL not found", anything else parsed as the
// JSON result (a signature string).
type nodeosClient struct {
	network, addr, host, path string
	conn                      net.Conn
	br                        *bufio.Reader
	timeout                   time.Duration
}

// newNodeosClient parses the KEOSD: URL as nodeos does. For unix:// the
// socket is found by walking up the path until a component is a socket.
func newNodeosClient(tb testing.TB, url string) *nodeosClient {
	tb.Helper()
	c := &nodeosClient{timeout: 5 * time.Second}
	if rest, ok := strings.CutPrefix(url, "unix://"); ok {
		sock, path := rest, ""
		for sock != "/" && sock != "" {
			if fi, err := os.Stat(sock); err == nil && fi.Mode()&os.ModeSocket != 0 {
				break
			}
			path = "/" + filepath.Base(sock) + path
			sock = filepath.Dir(sock)
		}
		if sock == "/" || sock == "" {
			tb.Fatalf("%s: couldn't discover socket path", url)
		}
		c.network, c.addr, c.host, c.path = "unix", sock, sock, path
	} else {
		rest := strings.TrimPrefix(url, "http://")
		hostport, path, _ := strings.Cut(rest, "/")
		c.network, c.addr, c.host, c.path = "tcp", hostport, hostport, "/"+path
	}
	tb.Cleanup(func() {
		if c.conn != nil {
			c.conn.Close()
		}
	})
	return c
}

// fcError is the exception nodeos would throw for a 500 answer.
type fcError struct {
	Status int
	Body   ErrorResults
}

func (e *fcError) Error() string {
	return fmt.Sprintf("%d %s (%d %s): %s", e.Status, e.Body.Message, e.Body.Error.Code, e.Body.Error.Name, e.Body.Error.What)
}

// post sends params and returns the raw JSON result, or the error nodeos
// would raise.
func (c *nodeosClient) post(params any) (json.RawMessage, error) {
	body, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	if c.conn == nil {
		conn, err := net.DialTimeout(c.network, c.addr, c.timeout)
		if err != nil {
			return nil, fmt.Errorf("Failed to connect: %w", err)
		}
		c.conn, c.br = conn, bufio.NewReader(conn)
	}
	_ = c.conn.SetDeadline(time.Now().Add(c.timeout))
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Boost.Beast/345\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", c.path, c.host, len(body))
	req.Write(body)
	if _, err := c.conn.Write(req.Bytes()); err != nil {
		c.reset()
		return nil, fmt.Errorf("Failed to send request: %w", err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.reset()
		return nil, fmt.Errorf("Failed to read response: %w", err)
	}
	rb, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.reset()
		return nil, err
	}
	if resp.Close {
		c.reset()
	}
	switch resp.StatusCode {
	case http.StatusInternalServerError:
		var er ErrorResults
		if err := json.Unmarshal(rb, &er); err != nil || er.Error.Name == "" || er.Error.What == "" {
			return nil, fmt.Errorf("Request failed with 500 response, but response was not parseable: %s", rb)
		}
		return nil, &fcError{Status: 500, Body: er}
	case http.StatusNotFound:
		return nil, fmt.Errorf("URL not found: %s", c.path)
	}
	return json.RawMessage(rb), nil
}

func (c *nodeosClient) reset() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// signDigest is nodeos's keosd signature provider: the digest as hex, the
// key as fc writes it (K1 in the legacy EOS form), the answer read as a
// signature.
func (c *nodeosClient) signDigest(digest [32]byte, pub signer.PublicKey) (signer.Signature, error) {
	raw, err := c.post([]string{hex.EncodeToString(digest[:]), keyString(pub)})
	if err != nil {
		return signer.Signature{}, err
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return signer.Signature{}, fmt.Errorf("the answer is not a signature string: %s", raw)
	}
	return signer.ParseSignature(s)
}

// mustSign signs and checks the signature verifies for pub.
func mustSign(tb testing.TB, c *nodeosClient, digest [32]byte, pub signer.PublicKey) signer.Signature {
	tb.Helper()
	sig, err := c.signDigest(digest, pub)
	if err != nil {
		tb.Fatalf("sign_digest at height %d: %v", Height(digest), err)
	}
	if err := sig.Verify(digest[:], pub); err != nil {
		tb.Fatalf("the signature does not verify: %v", err)
	}
	return sig
}

// refusedFor asserts err is the 500 refusal nodeos would raise, naming reason.
func refusedFor(tb testing.TB, err error, reason string) {
	tb.Helper()
	var fe *fcError
	if !errors.As(err, &fe) {
		tb.Fatalf("want a 500 refusal (%s), got %v", reason, err)
	}
	if !strings.Contains(fe.Body.Error.What, strings.ReplaceAll(reason, "_", " ")) {
		tb.Fatalf("refusal %q, want reason %s", fe.Body.Error.What, reason)
	}
}

// checkOracle has @wharfkit/antelope and eosjs recover every signature to its key.
func checkOracle(tb testing.TB, vs []oracle.Vector) {
	tb.Helper()
	oracle.CheckVectors(tb, vs)
}

func vector(digest [32]byte, sig signer.Signature, pub signer.PublicKey) oracle.Vector {
	return oracle.Vector{Digest: hex.EncodeToString(digest[:]), Signature: sig.String(), PublicKey: pub.String()}
}
