package pkcs11

import (
	"context"
	"encoding/hex"
	"fmt"

	cki "github.com/miekg/pkcs11"

	"github.com/bpkeys/bpkeys/signer"
)

// Key is an opened PKCS#11 key. It holds one logged-in session until Close;
// signatures on one token are made one at a time.
type Key struct {
	m     module
	lock  tokenLock
	sh    cki.SessionHandle
	priv  cki.ObjectHandle
	pub   signer.PublicKey
	token token
	label string
	id    []byte

	closed bool
	broken error // set once the token is gone: never retried
}

var ecdsaMech = []*cki.Mechanism{cki.NewMechanism(cki.CKM_ECDSA, nil)}

// PublicKey returns the key's EOSIO public key.
func (k *Key) PublicKey() signer.PublicKey { return k.pub }

// Label returns the key's CKA_LABEL.
func (k *Key) Label() string { return k.label }

// ID returns the key's CKA_ID in hex.
func (k *Key) ID() string { return hex.EncodeToString(k.id) }

// Describe names the key for an operator.
func (k *Key) Describe() string {
	return fmt.Sprintf("PKCS#11 token %s key %q (id %s)", k.token.name(), k.label, k.ID())
}

// Sign signs a 32-byte digest with CKM_ECDSA and returns a verified EOSIO
// signature: low-S, and for K1 canonical (asking the token again as
// signer.SignRaw decides). It returns ctx.Err() before asking the device
// once ctx has ended. A token that went away is reported, never retried.
func (k *Key) Sign(ctx context.Context, digest [32]byte) (signer.Signature, error) {
	if err := k.lock.lock(ctx); err != nil {
		return signer.Signature{}, err
	}
	defer k.lock.unlock()
	if k.closed {
		return signer.Signature{}, ErrKeyClosed
	}
	if k.broken != nil {
		return signer.Signature{}, k.broken
	}
	return signer.SignRaw(ctx, k.pub, digest, k.rawSign)
}

// rawSign is one C_SignInit + C_Sign; the caller holds the token lock.
func (k *Key) rawSign(ctx context.Context, digest []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := k.m.SignInit(k.sh, ecdsaMech, k.priv); err != nil {
		return nil, k.deviceErr("starting a signature", err)
	}
	sig, err := k.m.Sign(k.sh, digest)
	if err != nil {
		return nil, k.deviceErr("signing", err)
	}
	return sig, nil
}

// deviceErr classifies a signing error. Removal codes, and errors after
// which the token no longer answers as the same token (SoftHSM2 reports a
// deleted token as CKR_OBJECT_HANDLE_INVALID, then CKR_GENERAL_ERROR for its
// token information), mark the key broken.
func (k *Key) deviceErr(op string, err error) error {
	removed := isRemoval(err)
	if !removed {
		switch rv(err) {
		case cki.CKR_OBJECT_HANDLE_INVALID, cki.CKR_KEY_HANDLE_INVALID, cki.CKR_GENERAL_ERROR,
			cki.CKR_DEVICE_ERROR, cki.CKR_FUNCTION_FAILED:
			ti, ierr := k.m.GetTokenInfo(k.token.Slot)
			removed = ierr != nil || ti.SerialNumber != k.token.Serial || ti.Label != k.token.Label
			if !removed && (rv(err) == cki.CKR_OBJECT_HANDLE_INVALID || rv(err) == cki.CKR_KEY_HANDLE_INVALID) {
				k.broken = fmt.Errorf("token %q: %s: the key object %q is gone from the token (deleted?): %w: %w", k.token.name(), op, k.label, ErrKeyNotFound, err)
				return k.broken
			}
		}
	}
	if removed {
		k.broken = &TokenRemovedError{Token: k.token.name(), Op: op, Err: err}
		return k.broken
	}
	if rv(err) == cki.CKR_USER_NOT_LOGGED_IN {
		return fmt.Errorf("token %q: %s: the token logged this session out; open the key again: %w", k.token.name(), op, err)
	}
	return fmt.Errorf("token %q: %s: %w", k.token.name(), op, err)
}

// Close ends the session. The login ends with the application's last
// session on the token. Close is idempotent.
func (k *Key) Close() error {
	k.lock <- struct{}{}
	defer k.lock.unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	if err := k.m.CloseSession(k.sh); err != nil && k.broken == nil && !isRemoval(err) {
		return fmt.Errorf("token %q: closing the session: %w", k.token.name(), err)
	}
	return nil
}
