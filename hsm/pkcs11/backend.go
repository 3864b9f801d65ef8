package pkcs11

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	cki "github.com/miekg/pkcs11"

	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/pinentry"
	"github.com/bpkeys/bpkeys/signer"
)

// Scheme is the key reference scheme this backend serves.
const Scheme = "pkcs11"

// ModuleEnv names the environment variable holding the default module path.
const ModuleEnv = "BPKEYS_PKCS11_MODULE"

// PINReader obtains a PIN from src; prompt says what it is for. The backend
// wipes the returned buffer after the login.
type PINReader func(src pinentry.Source, prompt string) ([]byte, error)

// Option configures a Backend.
type Option func(*Backend)

// WithModule sets the module used when a reference has no module-path (it
// takes precedence over BPKEYS_PKCS11_MODULE).
func WithModule(path string) Option { return func(b *Backend) { b.module = path } }

// WithoutCardReaders skips slots that are smart-card readers (removable
// devices): for a module bpkeys found itself (p11-kit's proxy also loads
// OpenSC and ykcs11), whose readers the YubiKey backend lists, and where a
// card held by another program would block the listing.
func WithoutCardReaders() Option { return func(b *Backend) { b.noReaders = true } }

// WithPINReader replaces how PINs are read (default: pinentry's Source.Read,
// which handles env:, file:, fd: and the masked prompt).
func WithPINReader(r PINReader) Option { return func(b *Backend) { b.readPIN = r } }

// withLoader puts another module (a fault-injecting wrapper) behind the seam.
func withLoader(l loader) Option { return func(b *Backend) { b.load = l } }

// Backend is the PKCS#11 devices.Backend. It is safe for concurrent use.
type Backend struct {
	module  string
	readPIN PINReader
	load    loader
	// noReaders skips smart-card reader slots (removable devices).
	noReaders bool
}

var _ devices.Backend = (*Backend)(nil)

// New returns a PKCS#11 backend.
func New(opts ...Option) *Backend {
	b := &Backend{
		readPIN: func(src pinentry.Source, prompt string) ([]byte, error) { return src.Read(prompt) },
		load:    loadModule,
	}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Scheme returns "pkcs11".
func (b *Backend) Scheme() string { return Scheme }

// defaultModule is the module used when a reference names none.
func (b *Backend) defaultModule() string {
	if b.module != "" {
		return b.module
	}
	return os.Getenv(ModuleEnv)
}

// modulePath resolves the module for ref: module-path, module-name searched
// in the usual library directories, then the default.
func (b *Backend) modulePath(ref signer.Ref) (string, error) {
	if p := ref.Get("module-path"); p != "" {
		return p, nil
	}
	if n := ref.Get("module-name"); n != "" {
		if strings.ContainsRune(n, '/') {
			return "", fmt.Errorf("module-name %q: give a library name such as softhsm2, or use module-path for a path", n)
		}
		for _, dir := range []string{"/usr/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib/softhsm", "/usr/local/lib", "/usr/lib64"} {
			for _, f := range []string{n, n + ".so", "lib" + n + ".so"} {
				p := filepath.Join(dir, f)
				if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
					return p, nil
				}
			}
		}
		return "", fmt.Errorf("module-name %q: %w in the usual library directories; use module-path=/path/to/module.so", n, ErrModuleNotFound)
	}
	if p := b.defaultModule(); p != "" {
		return p, nil
	}
	return "", ErrNoModule
}

// token is a selected token.
type token struct {
	TokenSummary
	Flags uint
}

func (t token) name() string { return fmt.Sprintf("%s (serial %s)", t.Label, t.Serial) }

func summarize(slot uint, ti cki.TokenInfo) token {
	return token{TokenSummary{Slot: slot, Label: ti.Label, Serial: ti.SerialNumber, Manufacturer: ti.ManufacturerID, Model: ti.Model}, ti.Flags}
}

// tokens lists the initialized tokens present, by label and serial. A token whose information
// cannot be read (being removed) is left out.
func tokens(m module) ([]token, error) { return tokensOf(m, false) }

// tokensOf is tokens, leaving out smart-card reader slots when noReaders.
func tokensOf(m module, noReaders bool) ([]token, error) {
	slots, err := m.GetSlotList(true)
	if err != nil {
		return nil, fmt.Errorf("listing slots: %w", err)
	}
	var out []token
	for _, s := range slots {
		if noReaders {
			si, err := m.GetSlotInfo(s)
			if err != nil {
				return nil, fmt.Errorf("reading slot %d: %w", s, err)
			}
			if si.Flags&cki.CKF_REMOVABLE_DEVICE != 0 {
				continue
			}
		}
		ti, err := m.GetTokenInfo(s)
		if err != nil || ti.Flags&cki.CKF_TOKEN_INITIALIZED == 0 {
			continue
		}
		out = append(out, summarize(s, ti))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Label != out[j].Label {
			return out[i].Label < out[j].Label
		}
		return out[i].Serial < out[j].Serial
	})
	return out, nil
}

// selectToken finds the one token ref names by token=, serial=,
// manufacturer=, model= and slot-id=.
func selectToken(m module, ref signer.Ref) (token, error) {
	all, err := tokens(m)
	if err != nil {
		return token{}, err
	}
	var want []string
	for _, k := range []string{"token", "serial", "manufacturer", "model", "slot-id"} {
		if v, ok := ref.Path[k]; ok {
			want = append(want, fmt.Sprintf("%s=%q", k, v))
		}
	}
	desc := strings.Join(want, " ")
	if desc == "" {
		desc = "(any)"
	}
	var match []token
	for _, t := range all {
		if v, ok := ref.Path["token"]; ok && v != t.Label {
			continue
		}
		if v, ok := ref.Path["serial"]; ok && v != t.Serial {
			continue
		}
		if v, ok := ref.Path["manufacturer"]; ok && v != t.Manufacturer {
			continue
		}
		if v, ok := ref.Path["model"]; ok && v != t.Model {
			continue
		}
		if v, ok := ref.Path["slot-id"]; ok && v != strconv.FormatUint(uint64(t.Slot), 10) {
			continue
		}
		match = append(match, t)
	}
	sums := func(ts []token) []TokenSummary {
		out := make([]TokenSummary, len(ts))
		for i, t := range ts {
			out[i] = t.TokenSummary
		}
		return out
	}
	switch len(match) {
	case 0:
		return token{}, &TokenNotFoundError{Want: desc, Present: sums(all)}
	case 1:
		return match[0], nil
	}
	return token{}, &AmbiguousTokenError{Want: desc, Candidates: sums(match)}
}

// parseID reads id=: an even number of hex digits is hex, anything else is
// the (percent-decoded) bytes themselves.
func parseID(s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("id= is empty")
	}
	if len(s)%2 == 0 {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return []byte(s), nil
}

// keySelector is what a reference says about the key.
type keySelector struct {
	label    string
	hasLabel bool
	id       []byte
}

func (k keySelector) String() string {
	var s []string
	if k.hasLabel {
		s = append(s, fmt.Sprintf("object=%q", k.label))
	}
	if k.id != nil {
		s = append(s, "id="+hex.EncodeToString(k.id))
	}
	return strings.Join(s, " ")
}

func (k keySelector) template(class uint) []*cki.Attribute {
	t := []*cki.Attribute{cki.NewAttribute(cki.CKA_CLASS, class), cki.NewAttribute(cki.CKA_KEY_TYPE, cki.CKK_EC)}
	if k.hasLabel {
		t = append(t, cki.NewAttribute(cki.CKA_LABEL, k.label))
	}
	if k.id != nil {
		t = append(t, cki.NewAttribute(cki.CKA_ID, k.id))
	}
	return t
}

func parseSelector(ref signer.Ref) (keySelector, error) {
	var k keySelector
	k.label, k.hasLabel = ref.Path["object"]
	if v, ok := ref.Path["id"]; ok {
		id, err := parseID(v)
		if err != nil {
			return k, err
		}
		k.id = id
	}
	if t, ok := ref.Path["type"]; ok && t != "private" {
		return k, fmt.Errorf("type=%s: bpkeys addresses private keys (type=private, or leave type out)", t)
	}
	if !k.hasLabel && k.id == nil {
		return k, fmt.Errorf("the key reference names no key: add object=LABEL or id=HEX (see 'bpkeys keys list')")
	}
	return k, nil
}

// login logs the session's application in as the user unless it already
// is. A wrong PIN is reported, never retried.
func (b *Backend) login(m module, tok token, sh cki.SessionHandle, ref signer.Ref) error {
	if si, err := m.GetSessionInfo(sh); err == nil && (si.State == cki.CKS_RO_USER_FUNCTIONS || si.State == cki.CKS_RW_USER_FUNCTIONS) {
		return nil
	}
	if tok.Flags&cki.CKF_USER_PIN_LOCKED != 0 {
		return &PINError{Token: tok.name(), Locked: true}
	}
	src, err := pinentry.Parse(ref.Get("pin-source"))
	if err != nil {
		return err
	}
	pin, err := b.readPIN(src, fmt.Sprintf("PIN for PKCS#11 token %q", tok.Label))
	if err != nil {
		return err
	}
	// The PIN is handed over without a Go string copy, so wiping the buffer
	// wipes it everywhere Go holds it.
	err = m.Login(sh, cki.CKU_USER, unsafe.String(unsafe.SliceData(pin), len(pin)))
	pinentry.Wipe(pin)
	switch rv(err) {
	case 0, cki.CKR_USER_ALREADY_LOGGED_IN:
		return nil
	case cki.CKR_PIN_INCORRECT:
		pe := &PINError{Token: tok.name(), Err: err}
		if ti, ierr := m.GetTokenInfo(tok.Slot); ierr == nil {
			pe.CountLow = ti.Flags&cki.CKF_USER_PIN_COUNT_LOW != 0
			pe.FinalTry = ti.Flags&cki.CKF_USER_PIN_FINAL_TRY != 0
			pe.Locked = ti.Flags&cki.CKF_USER_PIN_LOCKED != 0
		}
		return pe
	case cki.CKR_PIN_LOCKED:
		return &PINError{Token: tok.name(), Locked: true, Err: err}
	case cki.CKR_PIN_LEN_RANGE, cki.CKR_PIN_INVALID:
		return &PINError{Token: tok.name(), Err: err}
	}
	if isRemoval(err) {
		return &TokenRemovedError{Token: tok.name(), Op: "logging in", Err: err}
	}
	return fmt.Errorf("token %q: logging in: %w", tok.name(), err)
}

// session opens a session on tok and, if asked, logs in.
func (b *Backend) session(m module, tok token, rw, login bool, ref signer.Ref) (cki.SessionHandle, error) {
	flags := uint(cki.CKF_SERIAL_SESSION)
	if rw {
		flags |= cki.CKF_RW_SESSION
	}
	sh, err := m.OpenSession(tok.Slot, flags)
	if err != nil {
		if isRemoval(err) {
			return 0, &TokenRemovedError{Token: tok.name(), Op: "opening a session", Err: err}
		}
		return 0, fmt.Errorf("token %q: opening a session: %w", tok.name(), err)
	}
	if login {
		if err := b.login(m, tok, sh, ref); err != nil {
			_ = m.CloseSession(sh)
			return 0, err
		}
	}
	return sh, nil
}

// Open opens the key ref names: it selects the token, logs in (reading the
// PIN from pin-source) and finds the private key and its public half. The
// session and the login last until Close.
func (b *Backend) Open(ctx context.Context, ref signer.Ref) (devices.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ref.Scheme != Scheme {
		return nil, fmt.Errorf("%s: not a pkcs11: reference", ref)
	}
	sel, err := parseSelector(ref)
	if err != nil {
		return nil, fmt.Errorf("key reference %s: %w", ref, err)
	}
	path, err := b.modulePath(ref)
	if err != nil {
		return nil, err
	}
	m, err := b.load(path)
	if err != nil {
		return nil, err
	}
	tok, err := selectToken(m, ref)
	if err != nil {
		return nil, err
	}
	lk := lockFor(path, tok.Slot)
	if err := lk.lock(ctx); err != nil {
		return nil, err
	}
	defer lk.unlock()
	sh, err := b.session(m, tok, false, true, ref)
	if err != nil {
		return nil, err
	}
	k, err := openKey(m, tok, sh, sel)
	if err != nil {
		_ = m.CloseSession(sh)
		return nil, err
	}
	k.lock = lk
	return k, nil
}

// openKey finds the private key sel names and its public key.
func openKey(m module, tok token, sh cki.SessionHandle, sel keySelector) (*Key, error) {
	hs, err := findObjects(m, sh, sel.template(cki.CKO_PRIVATE_KEY))
	if err != nil {
		return nil, wrapDevice(tok, "finding the key", err)
	}
	if len(hs) == 0 {
		present, err := listKeys(m, sh)
		if err != nil {
			return nil, fmt.Errorf("token %q: no key matches %s, and listing the keys present failed: %w", tok.name(), sel, err)
		}
		return nil, &KeyNotFoundError{Token: tok.name(), Want: sel.String(), Present: summaries(present)}
	}
	if len(hs) > 1 {
		present, _ := listKeys(m, sh) // only to name them; the error is the ambiguity
		return nil, fmt.Errorf("token %q: %w: %d private keys match %s; add id=HEX (keys present: %s)", tok.name(), ErrAmbiguousKey, len(hs), sel, joinSummaries(summaries(present)))
	}
	priv := hs[0]
	a, err := attrs(m, sh, priv, cki.CKA_LABEL, cki.CKA_ID, cki.CKA_EC_PARAMS, cki.CKA_SIGN)
	if err != nil {
		return nil, wrapDevice(tok, "reading the private key's attributes", err)
	}
	if !isTrue(a[cki.CKA_SIGN]) {
		return nil, fmt.Errorf("token %q key %s: %w", tok.name(), sel, ErrCannotSign)
	}
	curve, err := curveOf(a[cki.CKA_EC_PARAMS])
	if err != nil {
		return nil, fmt.Errorf("token %q key %s: %w", tok.name(), sel, err)
	}
	label, id := string(a[cki.CKA_LABEL]), a[cki.CKA_ID]
	pub, err := publicHalf(m, sh, priv, label, id, curve)
	if err != nil {
		return nil, fmt.Errorf("token %q key %s: %w", tok.name(), sel, err)
	}
	return &Key{m: m, sh: sh, priv: priv, pub: pub, token: tok, label: label, id: id}, nil
}

// publicHalf reads the public key of a private key: from the public key
// object with the same CKA_ID (or, without an id, the same label), else from
// the private object's CKA_EC_POINT where the token offers one.
func publicHalf(m module, sh cki.SessionHandle, priv cki.ObjectHandle, label string, id []byte, curve signer.Curve) (signer.PublicKey, error) {
	sel := keySelector{id: id}
	if len(id) == 0 {
		sel = keySelector{label: label, hasLabel: true}
	}
	hs, err := findObjects(m, sh, sel.template(cki.CKO_PUBLIC_KEY))
	if err != nil {
		return signer.PublicKey{}, err
	}
	if len(hs) > 0 {
		a, err := attrs(m, sh, hs[0], cki.CKA_EC_PARAMS, cki.CKA_EC_POINT)
		if err != nil {
			return signer.PublicKey{}, fmt.Errorf("reading the public key: %w", err)
		}
		c, err := curveOf(a[cki.CKA_EC_PARAMS])
		if err != nil {
			return signer.PublicKey{}, err
		}
		if c != curve {
			return signer.PublicKey{}, fmt.Errorf("the public key object with this id is %s but the private key is %s", c, curve)
		}
		return publicKeyFromPoint(curve, a[cki.CKA_EC_POINT])
	}
	if a, err := attrs(m, sh, priv, cki.CKA_EC_POINT); err == nil {
		return publicKeyFromPoint(curve, a[cki.CKA_EC_POINT])
	}
	return signer.PublicKey{}, fmt.Errorf("no public key object with CKA_ID %s, and the private key object does not expose CKA_EC_POINT: import the public key onto the token with the same CKA_ID", hex.EncodeToString(id))
}

// wrapDevice adds context to a device error, recognising a removed token.
func wrapDevice(tok token, op string, err error) error {
	if isRemoval(err) {
		return &TokenRemovedError{Token: tok.name(), Op: op, Err: err}
	}
	return fmt.Errorf("token %q: %s: %w", tok.name(), op, err)
}

// Generate creates a key pair on the token ref names, labelled with object=
// and identified by id= or 8 random bytes, and returns its public key. The
// private key is a token object that is private, sensitive, not extractable
// and can sign. An existing label or id is never overwritten.
func (b *Backend) Generate(ctx context.Context, ref signer.Ref, opts devices.GenerateOptions) (signer.PublicKey, error) {
	if err := ctx.Err(); err != nil {
		return signer.PublicKey{}, err
	}
	if opts.PINPolicy != "" || opts.TouchPolicy != "" || opts.Force {
		return signer.PublicKey{}, fmt.Errorf("--pin-policy, --touch-policy and --force are YubiKey options; a PKCS#11 token's policies are set with its own tools, and bpkeys never overwrites a key")
	}
	if opts.Curve != signer.CurveK1 && opts.Curve != signer.CurveR1 {
		return signer.PublicKey{}, fmt.Errorf("curve %s: use k1 or r1", opts.Curve)
	}
	label, ok := ref.Path["object"]
	if !ok || label == "" {
		return signer.PublicKey{}, fmt.Errorf("key reference %s: a new key needs a label: add object=LABEL", ref)
	}
	var id []byte
	if v, ok := ref.Path["id"]; ok {
		var err error
		if id, err = parseID(v); err != nil {
			return signer.PublicKey{}, err
		}
	} else {
		id = make([]byte, 8)
		if _, err := rand.Read(id); err != nil {
			return signer.PublicKey{}, fmt.Errorf("choosing a key id: %w", err)
		}
	}
	path, err := b.modulePath(ref)
	if err != nil {
		return signer.PublicKey{}, err
	}
	m, err := b.load(path)
	if err != nil {
		return signer.PublicKey{}, err
	}
	tok, err := selectToken(m, ref)
	if err != nil {
		return signer.PublicKey{}, err
	}
	if err := checkMechanisms(m, tok, opts.Curve); err != nil {
		return signer.PublicKey{}, err
	}
	lk := lockFor(path, tok.Slot)
	if err := lk.lock(ctx); err != nil {
		return signer.PublicKey{}, err
	}
	defer lk.unlock()
	sh, err := b.session(m, tok, true, true, ref)
	if err != nil {
		return signer.PublicKey{}, err
	}
	defer m.CloseSession(sh)

	for _, q := range [][]*cki.Attribute{
		{cki.NewAttribute(cki.CKA_LABEL, label)},
		{cki.NewAttribute(cki.CKA_ID, id)},
	} {
		hs, err := findObjects(m, sh, q)
		if err != nil {
			return signer.PublicKey{}, wrapDevice(tok, "checking for an existing key", err)
		}
		if len(hs) > 0 {
			return signer.PublicKey{}, fmt.Errorf("token %q, object=%q id=%s: %w", tok.name(), label, hex.EncodeToString(id), ErrLabelExists)
		}
	}
	if err := ctx.Err(); err != nil {
		return signer.PublicKey{}, err
	}
	pubT := []*cki.Attribute{
		cki.NewAttribute(cki.CKA_CLASS, cki.CKO_PUBLIC_KEY),
		cki.NewAttribute(cki.CKA_KEY_TYPE, cki.CKK_EC),
		cki.NewAttribute(cki.CKA_TOKEN, true),
		cki.NewAttribute(cki.CKA_PRIVATE, false),
		cki.NewAttribute(cki.CKA_VERIFY, true),
		cki.NewAttribute(cki.CKA_EC_PARAMS, ecParams(opts.Curve)),
		cki.NewAttribute(cki.CKA_LABEL, label),
		cki.NewAttribute(cki.CKA_ID, id),
	}
	privT := []*cki.Attribute{
		cki.NewAttribute(cki.CKA_CLASS, cki.CKO_PRIVATE_KEY),
		cki.NewAttribute(cki.CKA_KEY_TYPE, cki.CKK_EC),
		cki.NewAttribute(cki.CKA_TOKEN, true),
		cki.NewAttribute(cki.CKA_PRIVATE, true),
		cki.NewAttribute(cki.CKA_SIGN, true),
		cki.NewAttribute(cki.CKA_SENSITIVE, true),
		cki.NewAttribute(cki.CKA_EXTRACTABLE, false),
		cki.NewAttribute(cki.CKA_LABEL, label),
		cki.NewAttribute(cki.CKA_ID, id),
	}
	pubH, privH, err := m.GenerateKeyPair(sh, []*cki.Mechanism{cki.NewMechanism(cki.CKM_EC_KEY_PAIR_GEN, nil)}, pubT, privT)
	if err != nil {
		switch rv(err) {
		case cki.CKR_CURVE_NOT_SUPPORTED, cki.CKR_DOMAIN_PARAMS_INVALID, cki.CKR_TEMPLATE_INCONSISTENT, cki.CKR_ATTRIBUTE_VALUE_INVALID:
			if opts.Curve == signer.CurveK1 {
				return signer.PublicKey{}, fmt.Errorf("token %q: %w (the token answered %w)", tok.name(), ErrK1Unsupported, err)
			}
		}
		return signer.PublicKey{}, wrapDevice(tok, "generating the key pair", err)
	}
	a, err := attrs(m, sh, privH, cki.CKA_SENSITIVE, cki.CKA_EXTRACTABLE, cki.CKA_SIGN)
	if err != nil {
		return signer.PublicKey{}, wrapDevice(tok, "reading the new private key's attributes", err)
	}
	if !isTrue(a[cki.CKA_SENSITIVE]) || isTrue(a[cki.CKA_EXTRACTABLE]) || !isTrue(a[cki.CKA_SIGN]) {
		return signer.PublicKey{}, fmt.Errorf("token %q did not honour the template for key %q (sensitive, not extractable, can sign): do not use this key", tok.name(), label)
	}
	pa, err := attrs(m, sh, pubH, cki.CKA_EC_POINT)
	if err != nil {
		return signer.PublicKey{}, wrapDevice(tok, "reading the new public key", err)
	}
	return publicKeyFromPoint(opts.Curve, pa[cki.CKA_EC_POINT])
}

// checkMechanisms makes sure the token can generate and sign with EC keys.
func checkMechanisms(m module, tok token, c signer.Curve) error {
	for _, mech := range []struct {
		t    uint
		name string
	}{{cki.CKM_EC_KEY_PAIR_GEN, "generate EC keys (CKM_EC_KEY_PAIR_GEN)"}, {cki.CKM_ECDSA, "sign with ECDSA (CKM_ECDSA)"}} {
		info, err := m.GetMechanismInfo(tok.Slot, []*cki.Mechanism{cki.NewMechanism(mech.t, nil)})
		if rv(err) == cki.CKR_MECHANISM_INVALID {
			return fmt.Errorf("token %q cannot %s", tok.name(), mech.name)
		}
		if err != nil {
			return wrapDevice(tok, "reading mechanism information", err)
		}
		// Sizes are in bits for EC mechanisms; a token that caps them
		// below 256 cannot hold either EOSIO curve.
		if info.MaxKeySize != 0 && info.MaxKeySize < 256 {
			if c == signer.CurveK1 {
				return fmt.Errorf("token %q: %w (largest EC key %d bits)", tok.name(), ErrK1Unsupported, info.MaxKeySize)
			}
			return fmt.Errorf("token %q cannot make 256-bit EC keys (largest %d bits)", tok.name(), info.MaxKeySize)
		}
	}
	return nil
}
