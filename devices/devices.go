// Package devices is the contract between bpkeys' commands (CLI and TUI) and
// its hardware backends (hsm/pkcs11, hsm/piv): list the keys a backend can
// see, open one as a signer.Signer, generate a key on the device, and, where
// the device can, attest that a key was generated on it. It holds no key
// material and imports no device library.
package devices

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/bpkeys/bpkeys/signer"
)

// KeyInfo describes one key a backend found.
type KeyInfo struct {
	Scheme    string            `json:"scheme"`          // "pkcs11" or "yubikey"
	Device    string            `json:"device"`          // token label and serial, or YubiKey serial
	Ref       string            `json:"ref"`             // a reference --signer accepts for this key
	Label     string            `json:"label,omitempty"` // key label (PKCS#11) or slot (PIV)
	ID        string            `json:"id,omitempty"`    // CKA_ID in hex (PKCS#11)
	PublicKey signer.PublicKey  `json:"public_key"`
	CanSign   bool              `json:"can_sign"`
	Details   map[string]string `json:"details,omitempty"` // PIN and touch policy, origin, firmware, ...
}

// DeviceInfo describes a device (token or YubiKey) a backend found, including
// devices holding no key.
type DeviceInfo struct {
	Scheme  string            `json:"scheme"`
	Name    string            `json:"name"`
	Serial  string            `json:"serial,omitempty"`
	Details map[string]string `json:"details,omitempty"` // firmware, PIN retries left, ...
}

// Inventory is what a backend sees now.
type Inventory struct {
	Devices []DeviceInfo `json:"devices"`
	Keys    []KeyInfo    `json:"keys"`
}

// GenerateOptions are the choices for a new key. Fields a backend does not
// support must be empty or the backend refuses with a reason.
type GenerateOptions struct {
	Curve       signer.Curve
	PINPolicy   string // YubiKey: "once" or "always"
	TouchPolicy string // YubiKey: "never", "always" or "cached"
	Force       bool   // overwrite an occupied YubiKey slot
}

// Key is an opened key: a signer that holds a device session until Close.
type Key interface {
	signer.Signer
	Close() error
}

// Backend is one kind of device.
type Backend interface {
	// Scheme is the key reference scheme this backend serves.
	Scheme() string
	// Inventory lists devices and keys. A backend with no device present
	// returns an empty inventory, not an error.
	Inventory(ctx context.Context) (Inventory, error)
	// Open opens the key ref names, ready to sign.
	Open(ctx context.Context, ref signer.Ref) (Key, error)
	// Generate creates a key on the device at ref and returns its public key.
	Generate(ctx context.Context, ref signer.Ref, opts GenerateOptions) (signer.PublicKey, error)
}

// Attestation is a device's statement that a key was generated on it.
type Attestation struct {
	PublicKey   signer.PublicKey  `json:"public_key"`
	Verified    bool              `json:"verified"` // chains to the vendor's roots
	Generated   bool              `json:"generated_on_device"`
	Serial      string            `json:"serial,omitempty"`
	Firmware    string            `json:"firmware,omitempty"`
	PINPolicy   string            `json:"pin_policy,omitempty"`
	TouchPolicy string            `json:"touch_policy,omitempty"`
	Details     map[string]string `json:"details,omitempty"`
	Certificate string            `json:"certificate_pem,omitempty"`
}

// Attester is implemented by backends whose devices can attest keys.
type Attester interface {
	Attest(ctx context.Context, ref signer.Ref) (Attestation, error)
}

// ErrUnknownScheme is returned for a reference no registered backend serves.
var ErrUnknownScheme = errors.New("no backend for this key reference")

// Registry maps schemes to backends.
type Registry struct{ backends map[string]Backend }

// NewRegistry builds a registry of the given backends.
func NewRegistry(bs ...Backend) *Registry {
	r := &Registry{backends: map[string]Backend{}}
	for _, b := range bs {
		r.backends[b.Scheme()] = b
	}
	return r
}

// Backend returns the backend for a scheme.
func (r *Registry) Backend(scheme string) (Backend, error) {
	b, ok := r.backends[scheme]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownScheme, scheme)
	}
	return b, nil
}

// Schemes lists the registered schemes in order.
func (r *Registry) Schemes() []string {
	var s []string
	for k := range r.backends {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Open parses ref and opens it with its backend.
func (r *Registry) Open(ctx context.Context, ref string) (Key, error) {
	p, err := signer.ParseRef(ref)
	if err != nil {
		return nil, err
	}
	b, err := r.Backend(p.Scheme)
	if err != nil {
		return nil, err
	}
	return b.Open(ctx, p)
}
