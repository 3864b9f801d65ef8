package pkcs11

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	cki "github.com/miekg/pkcs11"

	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/internal/softhsmtest"
	"github.com/bpkeys/bpkeys/internal/testenv"
	"github.com/bpkeys/bpkeys/signer"
)

// SoftHSM2 reads SOFTHSM2_CONF and its token directory once, at
// C_Initialize, and does not see tokens created afterwards. So TestMain makes
// one token directory for this test binary and every token the tests use,
// before any test loads the module. Each test works on its own token.
var softhsmModule = softhsmtest.Module

const (
	testPIN   = "1234"
	testSOPIN = softhsmtest.SOPIN
	pinEnv    = "BPKEYS_PKCS11_TEST_PIN"
)

var testTokens = []string{"main", "pin", "twin", "twin", "doomed", "inv", "gen", "seam", "lock", "bench", "pinfd"}

var hsm struct {
	dir     string
	missing string // why SoftHSM2 is unavailable
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if err := setupSoftHSM(); err != nil {
		hsm.missing = err.Error()
	}
	if hsm.dir != "" {
		defer os.RemoveAll(hsm.dir)
	}
	return m.Run()
}

func setupSoftHSM() error {
	toks := softhsmtest.Setup(testPIN, testTokens...)
	hsm.dir = toks.Dir
	if toks.Missing != "" {
		return errors.New(toks.Missing)
	}
	os.Setenv(pinEnv, testPIN)
	return nil
}

// needHSM ends the test when SoftHSM2 is unavailable (a failure under CI).
func needHSM(t testing.TB) {
	t.Helper()
	if hsm.missing != "" {
		testenv.Missing(t, "SoftHSM2 ("+hsm.missing+")", testenv.Hint)
	}
}

// ref builds a reference to key object on token, PIN from the test env var.
func ref(t testing.TB, tokenLabel, object string) signer.Ref {
	t.Helper()
	r, err := signer.ParseRef(fmt.Sprintf("pkcs11:token=%s;object=%s?module-path=%s&pin-source=env:%s", tokenLabel, object, softhsmModule, pinEnv))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var genMu sync.Mutex
var generated = map[string]signer.PublicKey{}

// generate makes (once per test binary) a key on a token.
func generate(t testing.TB, tokenLabel, object string, c signer.Curve) signer.PublicKey {
	t.Helper()
	needHSM(t)
	genMu.Lock()
	defer genMu.Unlock()
	k := tokenLabel + "/" + object
	if pub, ok := generated[k]; ok {
		return pub
	}
	pub, err := New().Generate(context.Background(), ref(t, tokenLabel, object), devices.GenerateOptions{Curve: c})
	if err != nil {
		t.Fatalf("generate %s: %v", k, err)
	}
	if pub.Curve != c {
		t.Fatalf("generated a %s key, asked for %s", pub.Curve, c)
	}
	generated[k] = pub
	return pub
}

// rawModule returns the process's SoftHSM2 module, for checks the backend
// does not offer (reading attributes of a generated key).
func rawModule(t testing.TB) module {
	t.Helper()
	needHSM(t)
	m, err := loadModule(softhsmModule)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// slotOf finds the slot of the single token with this label.
func slotOf(t testing.TB, m module, label string) token {
	t.Helper()
	tok, err := selectToken(m, signer.Ref{Scheme: Scheme, Path: map[string]string{"token": label}})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// removeTokenDir deletes a token's directory, as if the token were pulled
// out. SoftHSM2 names it <uuid>, whose last 16 hex digits are the serial.
func removeTokenDir(t testing.TB, serial string) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(hsm.dir, "tokens"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(strings.ReplaceAll(e.Name(), "-", ""), serial) {
			if err := os.RemoveAll(filepath.Join(hsm.dir, "tokens", e.Name())); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no token directory for serial %s", serial)
}

// faulty wraps the real module and lets a test change what chosen calls
// answer, and counts calls.
type faulty struct {
	module
	mu    sync.Mutex
	calls map[string]int

	tokenFlags uint // OR'd into GetTokenInfo flags
	slotFlags  uint // OR'd into GetSlotInfo flags
	login      func(pin string) error
	signInit   func() error
	sign       func(real []byte, err error) ([]byte, error)
	getAttr    func(o cki.ObjectHandle, got []*cki.Attribute) []*cki.Attribute
	generate   func() error
	findInit   func() error
}

func (f *faulty) FindObjectsInit(sh cki.SessionHandle, tmpl []*cki.Attribute) error {
	f.count("FindObjectsInit")
	if f.findInit != nil {
		if err := f.findInit(); err != nil {
			return err
		}
	}
	return f.module.FindObjectsInit(sh, tmpl)
}

func newFaulty() *faulty { return &faulty{calls: map[string]int{}} }

func (f *faulty) GetSlotInfo(slot uint) (cki.SlotInfo, error) {
	f.count("GetSlotInfo")
	si, err := f.module.GetSlotInfo(slot)
	si.Flags |= f.slotFlags
	return si, err
}

func (f *faulty) count(name string) {
	f.mu.Lock()
	f.calls[name]++
	f.mu.Unlock()
}

func (f *faulty) n(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

// backend returns a backend whose module is f wrapped around SoftHSM2.
func (f *faulty) backend(t testing.TB, opts ...Option) *Backend {
	t.Helper()
	needHSM(t)
	return New(append([]Option{withLoader(func(path string) (module, error) {
		m, err := loadModule(path)
		if err != nil {
			return nil, err
		}
		f.module = m
		return f, nil
	})}, opts...)...)
}

func (f *faulty) GetTokenInfo(slot uint) (cki.TokenInfo, error) {
	f.count("GetTokenInfo")
	ti, err := f.module.GetTokenInfo(slot)
	ti.Flags |= f.tokenFlags
	return ti, err
}

func (f *faulty) Login(sh cki.SessionHandle, userType uint, pin string) error {
	f.count("Login")
	if f.login != nil {
		return f.login(pin)
	}
	return f.module.Login(sh, userType, pin)
}

func (f *faulty) SignInit(sh cki.SessionHandle, m []*cki.Mechanism, o cki.ObjectHandle) error {
	f.count("SignInit")
	if f.signInit != nil {
		if err := f.signInit(); err != nil {
			return err
		}
	}
	return f.module.SignInit(sh, m, o)
}

func (f *faulty) Sign(sh cki.SessionHandle, msg []byte) ([]byte, error) {
	f.count("Sign")
	s, err := f.module.Sign(sh, msg)
	if f.sign != nil {
		return f.sign(s, err)
	}
	return s, err
}

func (f *faulty) GetAttributeValue(sh cki.SessionHandle, o cki.ObjectHandle, a []*cki.Attribute) ([]*cki.Attribute, error) {
	got, err := f.module.GetAttributeValue(sh, o, a)
	if err == nil && f.getAttr != nil {
		got = f.getAttr(o, got)
	}
	return got, err
}

func (f *faulty) GenerateKeyPair(sh cki.SessionHandle, m []*cki.Mechanism, pub, priv []*cki.Attribute) (cki.ObjectHandle, cki.ObjectHandle, error) {
	f.count("GenerateKeyPair")
	if f.generate != nil {
		if err := f.generate(); err != nil {
			return 0, 0, err
		}
	}
	return f.module.GenerateKeyPair(sh, m, pub, priv)
}
