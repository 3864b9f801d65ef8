package pkcs11

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	cki "github.com/miekg/pkcs11"
)

// module lists the PKCS#11 calls bpkeys makes, and no others. *cki.Ctx
// satisfies it; tests put the real module or a fault-injecting wrapper
// behind it.
type module interface {
	GetSlotList(tokenPresent bool) ([]uint, error)
	GetSlotInfo(slotID uint) (cki.SlotInfo, error)
	GetTokenInfo(slotID uint) (cki.TokenInfo, error)
	GetMechanismInfo(slotID uint, m []*cki.Mechanism) (cki.MechanismInfo, error)
	OpenSession(slotID uint, flags uint) (cki.SessionHandle, error)
	CloseSession(sh cki.SessionHandle) error
	GetSessionInfo(sh cki.SessionHandle) (cki.SessionInfo, error)
	Login(sh cki.SessionHandle, userType uint, pin string) error
	FindObjectsInit(sh cki.SessionHandle, temp []*cki.Attribute) error
	FindObjects(sh cki.SessionHandle, max int) ([]cki.ObjectHandle, bool, error)
	FindObjectsFinal(sh cki.SessionHandle) error
	GetAttributeValue(sh cki.SessionHandle, o cki.ObjectHandle, a []*cki.Attribute) ([]*cki.Attribute, error)
	GenerateKeyPair(sh cki.SessionHandle, m []*cki.Mechanism, public, private []*cki.Attribute) (cki.ObjectHandle, cki.ObjectHandle, error)
	SignInit(sh cki.SessionHandle, m []*cki.Mechanism, o cki.ObjectHandle) error
	Sign(sh cki.SessionHandle, message []byte) ([]byte, error)
}

// loader returns the initialized module at path.
type loader func(path string) (module, error)

// loaded holds every module this process has loaded. A PKCS#11 module is
// process-global (C_Initialize may run once), so it is loaded once per path
// and stays initialized until the process exits: finalizing it under another
// key's open session would break that session.
var loaded = struct {
	sync.Mutex
	m map[string]*cki.Ctx
}{m: map[string]*cki.Ctx{}}

// loadModule is the real loader.
func loadModule(path string) (module, error) {
	key := path
	if strings.ContainsRune(path, '/') {
		key = filepath.Clean(path)
	}
	loaded.Lock()
	defer loaded.Unlock()
	if c, ok := loaded.m[key]; ok {
		return c, nil
	}
	if strings.ContainsRune(path, '/') {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrModuleNotFound, path, err)
		}
	}
	c := cki.New(path)
	if c == nil {
		return nil, fmt.Errorf("%s: %w", path, ErrNotModule)
	}
	if err := c.Initialize(); err != nil && rv(err) != cki.CKR_CRYPTOKI_ALREADY_INITIALIZED {
		c.Destroy()
		return nil, fmt.Errorf("initializing PKCS#11 module %s: %w", path, err)
	}
	loaded.m[key] = c
	return c, nil
}

// tokenLocks serialise operations on one token (module path and slot) across
// every Backend and Key in the process.
var tokenLocks sync.Map // string -> chan struct{}

// tokenLock is a mutex that waiting callers can give up on when ctx ends.
type tokenLock chan struct{}

func lockFor(path string, slot uint) tokenLock {
	ch, _ := tokenLocks.LoadOrStore(fmt.Sprintf("%s\x00%d", path, slot), make(tokenLock, 1))
	return ch.(tokenLock)
}

func (l tokenLock) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l tokenLock) unlock() { <-l }

// findObjects returns every object matching tmpl.
func findObjects(m module, sh cki.SessionHandle, tmpl []*cki.Attribute) ([]cki.ObjectHandle, error) {
	if err := m.FindObjectsInit(sh, tmpl); err != nil {
		return nil, fmt.Errorf("searching objects: %w", err)
	}
	var all []cki.ObjectHandle
	for {
		hs, _, err := m.FindObjects(sh, 64)
		if err != nil {
			_ = m.FindObjectsFinal(sh)
			return nil, fmt.Errorf("searching objects: %w", err)
		}
		if len(hs) == 0 {
			break
		}
		all = append(all, hs...)
	}
	if err := m.FindObjectsFinal(sh); err != nil {
		return nil, fmt.Errorf("searching objects: %w", err)
	}
	return all, nil
}

// attrs reads attributes that must all exist, keyed by type.
func attrs(m module, sh cki.SessionHandle, o cki.ObjectHandle, types ...uint) (map[uint][]byte, error) {
	q := make([]*cki.Attribute, len(types))
	for i, t := range types {
		q[i] = cki.NewAttribute(t, nil)
	}
	got, err := m.GetAttributeValue(sh, o, q)
	if err != nil {
		return nil, err
	}
	out := make(map[uint][]byte, len(got))
	for _, a := range got {
		out[a.Type] = a.Value
	}
	return out, nil
}

// isTrue reads a CK_BBOOL attribute value.
func isTrue(v []byte) bool { return len(v) > 0 && v[0] != 0 }
