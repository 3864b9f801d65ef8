package piv

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-piv/piv-go/v2/piv"

	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/pinentry"
	"github.com/bpkeys/bpkeys/signer"
)

// yubikey lists the piv-go calls the backend makes, so tests can put the
// emulated card or a fault-injecting wrapper behind it. *piv.YubiKey has them.
type yubikey interface {
	Serial() (uint32, error)
	Version() piv.Version
	Retries() (int, error)
	KeyInfo(slot piv.Slot) (piv.KeyInfo, error)
	Certificate(slot piv.Slot) (*x509.Certificate, error)
	GenerateKey(mgmtKey []byte, slot piv.Slot, opts piv.Key) (crypto.PublicKey, error)
	PrivateKey(slot piv.Slot, public crypto.PublicKey, auth piv.KeyAuth) (crypto.PrivateKey, error)
	Attest(slot piv.Slot) (*x509.Certificate, error)
	AttestationCertificate() (*x509.Certificate, error)
	Metadata(pin string) (*piv.Metadata, error)
	Close() error
}

// smartcards finds and opens cards.
type smartcards interface {
	Cards() ([]string, error)
	Open(reader string) (yubikey, error)
}

type pcsc struct{}

func (pcsc) Cards() ([]string, error) { return piv.Cards() }
func (pcsc) Open(reader string) (yubikey, error) {
	yk, err := piv.Open(reader)
	if err != nil {
		return nil, err
	}
	return yk, nil
}

// SecretReader obtains a PIN or management key from a source; label says
// what for when prompting. The default is pinentry.
type SecretReader func(src pinentry.Source, label string) ([]byte, error)

// Options configure the backend.
type Options struct {
	// AttestationRoots verify attestations; nil means Yubico's roots.
	AttestationRoots *x509.CertPool
	// Notify shows an operator message (such as "Touch your YubiKey") before
	// the device call that needs it; nil writes it to stderr.
	Notify func(msg string)
	// ReadSecret obtains PINs and management keys; nil uses pinentry.
	ReadSecret SecretReader
	// ReaderFilter keeps readers whose name contains it (case-insensitive);
	// empty means "yubi", which matches YubiKeys and the emulated card.
	ReaderFilter string
	// Readers, when set, are the only readers used (exact names). Tests use
	// it to touch only their own cards: piv-go leaves a reader blocked for
	// the rest of the process when opening it fails half-way.
	Readers []string

	cards smartcards // the seam; nil means PC/SC
}

// Backend serves yubikey: references.
type Backend struct {
	opts  Options
	mu    sync.Mutex
	locks map[uint32]*sync.Mutex
}

var _ devices.Backend = (*Backend)(nil)
var _ devices.Attester = (*Backend)(nil)

// New builds the backend.
func New(opts Options) *Backend {
	if opts.cards == nil {
		opts.cards = pcsc{}
	}
	if opts.Notify == nil {
		opts.Notify = func(msg string) { fmt.Fprintln(os.Stderr, msg) }
	}
	if opts.ReadSecret == nil {
		opts.ReadSecret = func(src pinentry.Source, label string) ([]byte, error) { return src.Read(label) }
	}
	if opts.ReaderFilter == "" {
		opts.ReaderFilter = "yubi"
	}
	return &Backend{opts: opts, locks: map[uint32]*sync.Mutex{}}
}

// Scheme returns "yubikey".
func (b *Backend) Scheme() string { return "yubikey" }

// lock serialises operations on one YubiKey within this process.
func (b *Backend) lock(serial uint32) func() {
	b.mu.Lock()
	l, ok := b.locks[serial]
	if !ok {
		l = &sync.Mutex{}
		b.locks[serial] = l
	}
	b.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// slots lists the PIV slots that can hold an EOSIO key.
func slots() []piv.Slot {
	s := []piv.Slot{piv.SlotAuthentication, piv.SlotSignature, piv.SlotKeyManagement, piv.SlotCardAuthentication}
	for k := uint32(0x82); k <= 0x95; k++ {
		r, _ := piv.RetiredKeyManagementSlot(k)
		s = append(s, r)
	}
	return s
}

// parseSlot reads "9c", "0x9c", "82".."95".
func parseSlot(s string) (piv.Slot, error) {
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 32)
	if err == nil {
		for _, sl := range slots() {
			if uint64(sl.Key) == v {
				return sl, nil
			}
		}
	}
	return piv.Slot{}, fmt.Errorf("slot %q: use 9a, 9c, 9d, 9e or 82..95", s)
}

func slotName(s piv.Slot) string { return fmt.Sprintf("%02x", s.Key) }

// found is one YubiKey seen during discovery.
type found struct {
	reader string
	serial uint32
}

// discover opens every YubiKey reader briefly to read its serial. Readers
// another process holds are skipped.
func (b *Backend) discover() ([]found, error) {
	readers, err := b.opts.cards.Cards()
	if err != nil {
		if c := classify(err); errors.Is(c, ErrPCSCD) {
			return nil, c
		}
		if strings.Contains(err.Error(), "cannot find a smart card reader") {
			return nil, nil
		}
		return nil, fmt.Errorf("listing smart card readers: %w", classify(err))
	}
	var out []found
	for _, r := range readers {
		if !strings.Contains(strings.ToLower(r), strings.ToLower(b.opts.ReaderFilter)) {
			continue
		}
		if len(b.opts.Readers) > 0 && !slices.Contains(b.opts.Readers, r) {
			continue
		}
		yk, err := b.openReader(r, discoverPatience)
		if err != nil {
			continue // no card in this reader, or another program holds it
		}
		serial, err := yk.Serial()
		yk.Close()
		if err != nil {
			continue
		}
		out = append(out, found{reader: r, serial: serial})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].serial < out[j].serial })
	return out, nil
}

// choose picks the YubiKey a reference names.
func (b *Backend) choose(ref signer.Ref) (found, error) {
	all, err := b.discover()
	if err != nil {
		return found{}, err
	}
	serials := make([]uint32, len(all))
	for i, f := range all {
		serials[i] = f.serial
	}
	if s := ref.Get("serial"); s != "" {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return found{}, fmt.Errorf("serial %q: a YubiKey serial is a decimal number", s)
		}
		for _, f := range all {
			if f.serial == uint32(n) {
				return f, nil
			}
		}
		return found{}, &NotFoundError{Serial: uint32(n), Present: serials}
	}
	switch len(all) {
	case 0:
		return found{}, ErrNoYubiKey
	case 1:
		return all[0], nil
	}
	return found{}, &SeveralError{Serials: serials}
}

// How long to wait for a reader another program holds: briefly while
// looking around, longer for the YubiKey an operation needs.
const (
	discoverPatience = 300 * time.Millisecond
	openPatience     = 5 * time.Second
)

// openReader opens a reader, waiting (boundedly) while another program holds
// it: PC/SC grants one exclusive connection at a time, and tools such as
// scdaemon or ykcs11 hold cards briefly.
func (b *Backend) openReader(reader string, patience time.Duration) (yubikey, error) {
	deadline := time.Now().Add(patience)
	delay := 10 * time.Millisecond
	for {
		yk, err := b.opts.cards.Open(reader)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			if err != nil && isBusy(err) {
				return nil, fmt.Errorf("%w: %v", ErrBusy, err)
			}
			return yk, err
		}
		time.Sleep(delay)
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// isTransport recognises failures of the PC/SC exchange itself, as opposed
// to a status word from the card.
func isTransport(err error) bool {
	m := err.Error()
	return strings.Contains(m, "response too short") || strings.Contains(m, "transmitting") || strings.Contains(m, "communications error")
}

func isBusy(err error) bool { return strings.Contains(err.Error(), "other connections outstanding") }

// open opens the chosen YubiKey and checks it is still the same one.
func (b *Backend) open(f found) (yubikey, error) {
	yk, err := b.openReader(f.reader, openPatience)
	if err != nil {
		return nil, fmt.Errorf("opening YubiKey %d: %w", f.serial, classify(err))
	}
	s, err := yk.Serial()
	if err != nil || s != f.serial {
		yk.Close()
		if err == nil {
			err = fmt.Errorf("reader now holds YubiKey %d", s)
		}
		return nil, fmt.Errorf("YubiKey %d: %w: %v", f.serial, ErrCardRemoved, err)
	}
	return yk, nil
}

// slotKey reads the public key and policies of a slot.
func slotKey(yk yubikey, slot piv.Slot) (signer.PublicKey, piv.KeyInfo, error) {
	v := yk.Version()
	var info piv.KeyInfo
	if v.Major > 5 || (v.Major == 5 && v.Minor >= 3) {
		ki, err := yk.KeyInfo(slot)
		if err != nil {
			if errors.Is(err, piv.ErrNotFound) {
				return signer.PublicKey{}, info, fmt.Errorf("slot %s: %w", slotName(slot), ErrEmptySlot)
			}
			return signer.PublicKey{}, info, fmt.Errorf("reading slot %s: %w", slotName(slot), classify(err))
		}
		info = ki
	} else {
		// Older firmware: the slot certificate carries the public key.
		cert, err := yk.Certificate(slot)
		if err != nil {
			if errors.Is(err, piv.ErrNotFound) {
				return signer.PublicKey{}, info, fmt.Errorf("slot %s: %w (or it has no certificate, which firmware before 5.3 needs to read its public key)", slotName(slot), ErrEmptySlot)
			}
			return signer.PublicKey{}, info, fmt.Errorf("reading slot %s: %w", slotName(slot), classify(err))
		}
		info = piv.KeyInfo{Algorithm: piv.AlgorithmEC256, PublicKey: cert.PublicKey}
	}
	ec, ok := info.PublicKey.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return signer.PublicKey{}, info, fmt.Errorf("slot %s holds a %s key, not P-256: EOSIO can only use P-256 (R1) keys from a YubiKey", slotName(slot), algName(info.Algorithm))
	}
	pub, err := signer.PublicKeyFromECDSA(ec)
	return pub, info, err
}

func algName(a piv.Algorithm) string {
	switch a {
	case piv.AlgorithmEC256:
		return "P-256"
	case piv.AlgorithmEC384:
		return "P-384"
	case piv.AlgorithmEd25519:
		return "Ed25519"
	case piv.AlgorithmRSA1024, piv.AlgorithmRSA2048:
		return "RSA"
	}
	return "non-EC"
}

func pinPolicyName(p piv.PINPolicy) string {
	switch p {
	case piv.PINPolicyNever:
		return "never"
	case piv.PINPolicyOnce:
		return "once"
	case piv.PINPolicyAlways:
		return "always"
	case piv.PINPolicyMatchOnce:
		return "match-once"
	case piv.PINPolicyMatchAlways:
		return "match-always"
	}
	return "unknown"
}

func touchPolicyName(p piv.TouchPolicy) string {
	switch p {
	case piv.TouchPolicyNever:
		return "never"
	case piv.TouchPolicyAlways:
		return "always"
	case piv.TouchPolicyCached:
		return "cached"
	}
	return "unknown"
}

func originName(o piv.Origin) string {
	switch o {
	case piv.OriginGenerated:
		return "generated"
	case piv.OriginImported:
		return "imported"
	}
	return "unknown"
}

// Inventory lists every YubiKey and every slot holding a P-256 key. It
// needs no PIN.
func (b *Backend) Inventory(ctx context.Context) (devices.Inventory, error) {
	var inv devices.Inventory
	all, err := b.discover()
	if err != nil {
		return inv, err
	}
	for _, f := range all {
		if err := ctx.Err(); err != nil {
			return inv, err
		}
		unlock := b.lock(f.serial)
		err := func() error {
			yk, err := b.open(f)
			if err != nil {
				return err
			}
			defer yk.Close()
			v := yk.Version()
			d := devices.DeviceInfo{Scheme: "yubikey", Name: fmt.Sprintf("YubiKey %d", f.serial), Serial: fmt.Sprint(f.serial),
				Details: map[string]string{"firmware": fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch), "reader": f.reader}}
			if n, err := yk.Retries(); err == nil {
				d.Details["pin_retries"] = fmt.Sprint(n)
			}
			inv.Devices = append(inv.Devices, d)
			for _, sl := range slots() {
				pub, info, err := slotKey(yk, sl)
				if err != nil {
					continue
				}
				ref := fmt.Sprintf("yubikey:serial=%d;slot=%s", f.serial, slotName(sl))
				inv.Keys = append(inv.Keys, devices.KeyInfo{
					Scheme: "yubikey", Device: d.Name, Ref: ref, Label: "slot " + slotName(sl),
					PublicKey: pub, CanSign: true,
					Details: map[string]string{"pin_policy": pinPolicyName(info.PINPolicy), "touch_policy": touchPolicyName(info.TouchPolicy), "origin": originName(info.Origin)},
				})
			}
			return nil
		}()
		unlock()
		if err != nil {
			return inv, err
		}
	}
	return inv, nil
}

// key is an opened YubiKey slot.
type key struct {
	b      *Backend
	f      found
	slot   piv.Slot
	pub    signer.PublicKey
	pinSrc pinentry.Source

	mu  sync.Mutex
	pin []byte
}

// Open finds the YubiKey and reads the slot's public key. The PIN is asked
// for at the first signature that needs it.
func (b *Backend) Open(ctx context.Context, ref signer.Ref) (devices.Key, error) {
	if ref.Scheme != "yubikey" {
		return nil, fmt.Errorf("not a yubikey reference: %s", ref)
	}
	slot, err := parseSlot(ref.Get("slot"))
	if err != nil {
		return nil, err
	}
	src, err := pinentry.Parse(ref.Get("pin-source"))
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := b.choose(ref)
	if err != nil {
		return nil, err
	}
	unlock := b.lock(f.serial)
	defer unlock()
	yk, err := b.open(f)
	if err != nil {
		return nil, err
	}
	defer yk.Close()
	pub, _, err := slotKey(yk, slot)
	if err != nil {
		return nil, fmt.Errorf("YubiKey %d: %w", f.serial, err)
	}
	return &key{b: b, f: f, slot: slot, pub: pub, pinSrc: src}, nil
}

func (k *key) PublicKey() signer.PublicKey { return k.pub }

// Describe names the device, e.g. "YubiKey 12345678 slot 9c".
func (k *key) Describe() string {
	return fmt.Sprintf("YubiKey %d slot %s", k.f.serial, slotName(k.slot))
}

// Close forgets the PIN.
func (k *key) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	pinentry.Wipe(k.pin)
	k.pin = nil
	return nil
}

// Sign opens the YubiKey, checks the slot still holds the key, signs the
// digest (PIN and touch as the slot's policy says), converts and verifies
// the signature, and releases the card.
func (k *key) Sign(ctx context.Context, digest [32]byte) (signer.Signature, error) {
	if err := ctx.Err(); err != nil {
		return signer.Signature{}, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	unlock := k.b.lock(k.f.serial)
	defer unlock()
	if err := ctx.Err(); err != nil {
		return signer.Signature{}, err
	}
	yk, err := k.b.open(k.f)
	if err != nil {
		// Plugged back into another port, the YubiKey has another reader name.
		f, ferr := k.b.choose(signer.Ref{Path: map[string]string{"serial": fmt.Sprint(k.f.serial)}})
		if ferr != nil || f.reader == k.f.reader {
			return signer.Signature{}, err
		}
		k.f = f
		if yk, err = k.b.open(f); err != nil {
			return signer.Signature{}, err
		}
	}
	defer yk.Close()
	pub, info, err := slotKey(yk, k.slot)
	if err != nil {
		return signer.Signature{}, fmt.Errorf("%s: %w", k.Describe(), err)
	}
	if pub != k.pub {
		return signer.Signature{}, fmt.Errorf("%s: %w (now %s)", k.Describe(), ErrKeyChanged, pub)
	}
	auth := piv.KeyAuth{PINPolicy: info.PINPolicy}
	if info.PINPolicy != piv.PINPolicyNever {
		if k.pin == nil {
			pin, err := k.b.opts.ReadSecret(k.pinSrc, fmt.Sprintf("PIN for YubiKey %d", k.f.serial))
			if err != nil {
				return signer.Signature{}, err
			}
			k.pin = pin
		}
		auth.PIN = string(k.pin)
	}
	ecPub, err := k.pub.ECDSA()
	if err != nil {
		return signer.Signature{}, err
	}
	priv, err := yk.PrivateKey(k.slot, ecPub, auth)
	if err != nil {
		return signer.Signature{}, fmt.Errorf("%s: %w", k.Describe(), classify(err))
	}
	cs, ok := priv.(crypto.Signer)
	if !ok {
		return signer.Signature{}, fmt.Errorf("%s: the slot's key cannot sign", k.Describe())
	}
	touch := info.TouchPolicy == piv.TouchPolicyAlways || info.TouchPolicy == piv.TouchPolicyCached
	if touch {
		k.b.opts.Notify(fmt.Sprintf("Touch your YubiKey (%d) to sign", k.f.serial))
	}
	sig, err := signer.SignRaw(ctx, k.pub, digest, func(ctx context.Context, d []byte) ([]byte, error) {
		return cs.Sign(rand.Reader, d, crypto.SHA256)
	})
	if err != nil {
		var pe *PINError
		if c := classify(err); errors.As(c, &pe) {
			// A wrong PIN is never retried: forget it, so the next attempt asks.
			pinentry.Wipe(k.pin)
			k.pin = nil
			return signer.Signature{}, fmt.Errorf("%s: %w", k.Describe(), c)
		}
		if touch && (cardStatus(err) == 0x6982 || cardStatus(err) == 0x6985) {
			return signer.Signature{}, fmt.Errorf("%s: %w", k.Describe(), ErrTouchTimeout)
		}
		if c := classify(err); cardStatus(err) == 0 && !errors.Is(c, ErrCardRemoved) && !errors.Is(err, context.Canceled) && isTransport(err) {
			// The card stopped answering mid-command. It is not probed here:
			// opening a reader whose card has just gone can leave it blocked.
			return signer.Signature{}, fmt.Errorf("%s: %w (it stopped answering: %v)", k.Describe(), ErrCardRemoved, err)
		}
		return signer.Signature{}, fmt.Errorf("%s: %w", k.Describe(), classify(err))
	}
	return sig, nil
}

// Generate makes a P-256 key in the slot. The management key comes from the
// reference's management-key-source (hex), else from the YubiKey's
// PIN-protected metadata, else from a prompt.
func (b *Backend) Generate(ctx context.Context, ref signer.Ref, opts devices.GenerateOptions) (signer.PublicKey, error) {
	if opts.Curve != signer.CurveR1 {
		return signer.PublicKey{}, ErrK1Unsupported
	}
	slot, err := parseSlot(ref.Get("slot"))
	if err != nil {
		return signer.PublicKey{}, err
	}
	pp, err := parsePINPolicy(opts.PINPolicy)
	if err != nil {
		return signer.PublicKey{}, err
	}
	tpName := opts.TouchPolicy
	if tpName == "" {
		tpName = "never"
		if slot == piv.SlotSignature {
			tpName = "always"
		}
	}
	tp, err := parseTouchPolicy(tpName)
	if err != nil {
		return signer.PublicKey{}, err
	}
	pinSrc, err := pinentry.Parse(ref.Get("pin-source"))
	if err != nil {
		return signer.PublicKey{}, err
	}
	var mkSrc *pinentry.Source
	if s := ref.Get("management-key-source"); s != "" {
		src, err := pinentry.Parse(s)
		if err != nil {
			return signer.PublicKey{}, fmt.Errorf("management-key-source: %w", err)
		}
		mkSrc = &src
	}
	if err := ctx.Err(); err != nil {
		return signer.PublicKey{}, err
	}
	f, err := b.choose(ref)
	if err != nil {
		return signer.PublicKey{}, err
	}
	unlock := b.lock(f.serial)
	defer unlock()
	yk, err := b.open(f)
	if err != nil {
		return signer.PublicKey{}, err
	}
	defer yk.Close()
	if _, _, err := slotKey(yk, slot); err == nil && !opts.Force {
		return signer.PublicKey{}, fmt.Errorf("YubiKey %d slot %s: %w: the key there would be destroyed; pick another slot or pass --force", f.serial, slotName(slot), ErrSlotOccupied)
	}
	mgmt, err := b.managementKey(yk, f.serial, mkSrc, pinSrc)
	if err != nil {
		return signer.PublicKey{}, err
	}
	defer pinentry.Wipe(mgmt)
	pk, err := yk.GenerateKey(mgmt, slot, piv.Key{Algorithm: piv.AlgorithmEC256, PINPolicy: pp, TouchPolicy: tp})
	if err != nil {
		if cardStatus(err) == 0x6982 {
			return signer.PublicKey{}, fmt.Errorf("YubiKey %d: the management key was not accepted: %w", f.serial, err)
		}
		return signer.PublicKey{}, fmt.Errorf("generating a key in YubiKey %d slot %s: %w", f.serial, slotName(slot), classify(err))
	}
	ec, ok := pk.(*ecdsa.PublicKey)
	if !ok {
		return signer.PublicKey{}, fmt.Errorf("YubiKey %d returned a %T, not a P-256 key", f.serial, pk)
	}
	return signer.PublicKeyFromECDSA(ec)
}

func (b *Backend) managementKey(yk yubikey, serial uint32, mkSrc *pinentry.Source, pinSrc pinentry.Source) ([]byte, error) {
	label := fmt.Sprintf("Management key (hex) for YubiKey %d", serial)
	if mkSrc == nil {
		// The PIN-protected management key, when the YubiKey holds one.
		pin, err := b.opts.ReadSecret(pinSrc, fmt.Sprintf("PIN for YubiKey %d", serial))
		if err != nil {
			return nil, err
		}
		md, err := yk.Metadata(string(pin))
		pinentry.Wipe(pin)
		if err != nil {
			if c := classify(err); errors.Is(c, ErrPINBlocked) || errors.As(c, new(*PINError)) {
				return nil, fmt.Errorf("YubiKey %d: %w", serial, c)
			}
		} else if md.ManagementKey != nil {
			return append([]byte(nil), (*md.ManagementKey)...), nil
		}
		src := pinentry.Source{Kind: pinentry.Prompt}
		mkSrc = &src
	}
	raw, err := b.opts.ReadSecret(*mkSrc, label)
	if err != nil {
		return nil, fmt.Errorf("management key: %w", err)
	}
	defer pinentry.Wipe(raw)
	mk := make([]byte, hex.DecodedLen(len(raw)))
	n, err := hex.Decode(mk, []byte(strings.TrimSpace(string(raw))))
	if err != nil || (n != 24 && n != 16 && n != 32) {
		pinentry.Wipe(mk)
		return nil, errors.New("management key: expected 48 hex digits (3DES or AES-192), or 32/64 for AES-128/256")
	}
	return mk[:n], nil
}

func parsePINPolicy(s string) (piv.PINPolicy, error) {
	switch s {
	case "", "once":
		return piv.PINPolicyOnce, nil
	case "always":
		return piv.PINPolicyAlways, nil
	}
	return 0, fmt.Errorf("--pin-policy %q: use once or always (a key that signs without a PIN is not offered)", s)
}

func parseTouchPolicy(s string) (piv.TouchPolicy, error) {
	switch s {
	case "never":
		return piv.TouchPolicyNever, nil
	case "always":
		return piv.TouchPolicyAlways, nil
	case "cached":
		return piv.TouchPolicyCached, nil
	}
	return 0, fmt.Errorf("--touch-policy %q: use never, always or cached", s)
}

// Attest reads the slot's attestation and verifies it to the configured
// roots (Yubico's by default).
func (b *Backend) Attest(ctx context.Context, ref signer.Ref) (devices.Attestation, error) {
	slot, err := parseSlot(ref.Get("slot"))
	if err != nil {
		return devices.Attestation{}, err
	}
	if err := ctx.Err(); err != nil {
		return devices.Attestation{}, err
	}
	f, err := b.choose(ref)
	if err != nil {
		return devices.Attestation{}, err
	}
	unlock := b.lock(f.serial)
	defer unlock()
	yk, err := b.open(f)
	if err != nil {
		return devices.Attestation{}, err
	}
	defer yk.Close()
	pub, info, err := slotKey(yk, slot)
	if err != nil {
		return devices.Attestation{}, fmt.Errorf("YubiKey %d: %w", f.serial, err)
	}
	if info.Origin == piv.OriginImported {
		return devices.Attestation{}, fmt.Errorf("YubiKey %d slot %s: %w", f.serial, slotName(slot), ErrNotAttestable)
	}
	slotCert, err := yk.Attest(slot)
	if err != nil {
		if errors.Is(err, piv.ErrNotFound) {
			return devices.Attestation{}, fmt.Errorf("YubiKey %d slot %s: %w", f.serial, slotName(slot), ErrNotAttestable)
		}
		return devices.Attestation{}, fmt.Errorf("attesting YubiKey %d slot %s: %w", f.serial, slotName(slot), classify(err))
	}
	devCert, err := yk.AttestationCertificate()
	if err != nil {
		return devices.Attestation{}, fmt.Errorf("reading YubiKey %d's attestation certificate: %w", f.serial, classify(err))
	}
	v := piv.Verifier{Roots: b.opts.AttestationRoots}
	att, err := v.Verify(devCert, slotCert)
	if err != nil {
		return devices.Attestation{}, fmt.Errorf("YubiKey %d slot %s: the attestation does not verify to the trusted roots: %w", f.serial, slotName(slot), err)
	}
	ec, ok := slotCert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return devices.Attestation{}, fmt.Errorf("attested key is not ECDSA")
	}
	attested, err := signer.PublicKeyFromECDSA(ec)
	if err != nil {
		return devices.Attestation{}, err
	}
	if attested != pub {
		return devices.Attestation{}, fmt.Errorf("YubiKey %d slot %s: the attestation is for %s, but the slot holds %s", f.serial, slotName(slot), attested, pub)
	}
	if att.Serial != f.serial {
		return devices.Attestation{}, fmt.Errorf("attestation names YubiKey %d, but the card answered as %d", att.Serial, f.serial)
	}
	return devices.Attestation{
		PublicKey:   pub,
		Verified:    true,
		Generated:   true,
		Serial:      fmt.Sprint(att.Serial),
		Firmware:    fmt.Sprintf("%d.%d.%d", att.Version.Major, att.Version.Minor, att.Version.Patch),
		PINPolicy:   pinPolicyName(att.PINPolicy),
		TouchPolicy: touchPolicyName(att.TouchPolicy),
		Details:     map[string]string{"slot": slotName(slot), "form_factor": att.Formfactor.String()},
		Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: slotCert.Raw})),
	}, nil
}
