package blocksigner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/hsm/piv"
	"github.com/bpkeys/bpkeys/hsm/pkcs11"
	"github.com/bpkeys/bpkeys/signer"
)

// Opener opens a key by device reference (devices.Registry.Open).
type Opener func(ctx context.Context, ref string) (devices.Key, error)

// reopenEvery bounds how often a device that stays away is tried again.
const reopenEvery = time.Second

// device is one configured key's device. It keeps the key open, and when
// the device goes away it opens it again (with the PIN held by PINs) on
// the next request, without a restart. Callers serialise calls.
type device struct {
	ref     string
	pub     signer.PublicKey
	open    Opener
	key     devices.Key
	halt    error // a PIN refused: never presented again
	lastTry time.Time
	reopens int
}

// pinRefused reports a wrong or blocked PIN: presenting it again could
// lock the device.
func pinRefused(err error) bool {
	var pe *pkcs11.PINError
	var ye *piv.PINError
	return errors.As(err, &pe) || errors.As(err, &ye)
}

// connect opens the key and checks it is the configured one.
func (d *device) connect(ctx context.Context) error {
	if d.halt != nil {
		return d.halt
	}
	d.lastTry = time.Now()
	k, err := d.open(ctx, d.ref)
	if err != nil {
		if pinRefused(err) {
			d.halt = fmt.Errorf("%s: the PIN was refused; the signer will not present it again (fix the pin-source and restart): %w", d.pub, err)
			return d.halt
		}
		return fmt.Errorf("opening the device of %s: %w", d.pub, err)
	}
	if k.PublicKey() != d.pub {
		got := k.PublicKey()
		_ = k.Close()
		return fmt.Errorf("the device %s holds %s, not the configured key %s: correct the configuration", signer.Describe(k), got, d.pub)
	}
	d.key = k
	return nil
}

func (d *device) drop() {
	if d.key != nil {
		_ = d.key.Close()
		d.key = nil
	}
}

// sign signs digest. After any device error other than a refused PIN or
// the caller giving up, the session is dropped and the device opened again
// once, at once (a token or card that went away and came back, a session
// the HSM closed); a device that stays away is tried again at most every
// reopenEvery. Opening again presents the PIN held by PINs, which the
// device accepted before, so it cannot use up PIN tries.
func (d *device) sign(ctx context.Context, digest [32]byte) (signer.Signature, error) {
	if d.key == nil {
		if time.Since(d.lastTry) < reopenEvery {
			return signer.Signature{}, fmt.Errorf("the device of %s is unavailable; trying again within %v", d.pub, reopenEvery)
		}
		if err := d.connect(ctx); err != nil {
			return signer.Signature{}, err
		}
		d.reopens++
	}
	sig, err := d.key.Sign(ctx, digest)
	if err == nil {
		return sig, nil
	}
	if pinRefused(err) {
		d.drop()
		d.halt = fmt.Errorf("%s: the PIN was refused; the signer will not present it again (fix the pin-source and restart): %w", d.pub, err)
		return signer.Signature{}, d.halt
	}
	if ctx.Err() != nil || errors.Is(err, signer.ErrDeterministicNonce) {
		return signer.Signature{}, err
	}
	d.drop()
	if cerr := d.connect(ctx); cerr != nil {
		return signer.Signature{}, fmt.Errorf("%w; opening it again: %w", err, cerr)
	}
	d.reopens++
	return d.key.Sign(ctx, digest)
}

func (d *device) close() error {
	if d.key == nil {
		return nil
	}
	err := d.key.Close()
	d.key = nil
	return err
}
