package blocksigner

import (
	"fmt"
	"sync"

	"github.com/bpkeys/bpkeys/pinentry"
	"github.com/bpkeys/bpkeys/signer"
)

// PINs holds device PINs for the life of the service, so that a device
// that went away can be logged in again without an operator: each source is
// read once (an fd: can only be read once anyway). Backends get a copy,
// which they wipe after use; Wipe clears the originals at shutdown.
type PINs struct {
	mu   sync.Mutex
	m    map[string][]byte
	read func(src pinentry.Source, label string) ([]byte, error)
}

// NewPINs returns an empty cache reading sources with pinentry.
func NewPINs() *PINs {
	return &PINs{m: map[string][]byte{}, read: func(src pinentry.Source, label string) ([]byte, error) { return src.Read(label) }}
}

// cacheKey identifies a PIN: the source itself for env:, file: and fd:;
// the label (which names the device) for a prompt.
func cacheKey(src pinentry.Source, label string) string {
	if src.Kind == pinentry.Prompt {
		return "prompt\x00" + label
	}
	return src.String()
}

// Read returns a copy of the PIN from src, reading it the first time.
func (p *PINs) Read(src pinentry.Source, label string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := cacheKey(src, label)
	pin, ok := p.m[k]
	if !ok {
		var err error
		if pin, err = p.read(src, label); err != nil {
			return nil, err
		}
		p.m[k] = pin
	}
	return append([]byte(nil), pin...), nil
}

// Preload reads, at start-up, the PIN of every configured key whose
// device asks for it only when signing (YubiKey), and every non-prompt
// source, so that no signature ever waits for an operator. PKCS#11 tokens
// log in when opened, which reads their PIN.
func (p *PINs) Preload(cfg *Config) error {
	for i, k := range cfg.Keys {
		ref := k.Ref()
		src, err := pinentry.Parse(ref.Get("pin-source"))
		if err != nil {
			return fmt.Errorf("keys[%d].device: %w", i, err)
		}
		label, ok := pinLabel(ref)
		if src.Kind == pinentry.Prompt && !ok {
			continue
		}
		if _, err := p.Read(src, label); err != nil {
			return fmt.Errorf("keys[%d] (%s): %w", i, k.Key, err)
		}
	}
	return nil
}

// pinLabel is the label the YubiKey backend reads a PIN with; false when
// the device reads it at open (PKCS#11) or the label cannot be known.
func pinLabel(ref signer.Ref) (string, bool) {
	if ref.Scheme == "yubikey" && ref.Get("serial") != "" {
		return "PIN for YubiKey " + ref.Get("serial"), true
	}
	return "PIN for " + ref.Scheme + " key", false
}

// Wipe overwrites every PIN held.
func (p *PINs) Wipe() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, v := range p.m {
		pinentry.Wipe(v)
		delete(p.m, k)
	}
}
