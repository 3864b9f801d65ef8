// Package demokeys holds in-memory keys for the local demo chain.
//
// DEMO ONLY: in-memory keys for the local demo chain; never used against a
// real chain. They are generated fresh each time the demo starts, live only
// in process memory, are never written anywhere and never printed (only
// their public keys are). Real bpkeys signing happens on YubiKeys and HSMs.
package demokeys

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/bpkeys/bpkeys/signer"
)

// Key is an in-memory R1 (P-256) key, like a YubiKey's, implementing
// signer.Signer for the demo chain.
type Key struct {
	Label string
	priv  *ecdsa.PrivateKey
	pub   signer.PublicKey
	mu    sync.Mutex
}

// NewR1 generates a fresh demo key.
func NewR1(label string) (*Key, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating demo key %s: %w", label, err)
	}
	pub, err := signer.PublicKeyFromECDSA(&priv.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("demo key %s: %w", label, err)
	}
	return &Key{Label: label, priv: priv, pub: pub}, nil
}

// PublicKey returns the key's EOSIO public key.
func (k *Key) PublicKey() signer.PublicKey { return k.pub }

// Describe names the key as a demo key.
func (k *Key) Describe() string { return "demo key " + k.Label + " (in memory, demo chain only)" }

// Sign signs a digest through signer.SignRaw, like a device would.
func (k *Key) Sign(ctx context.Context, digest [32]byte) (signer.Signature, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return signer.SignRaw(ctx, k.pub, digest, func(ctx context.Context, d []byte) ([]byte, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return ecdsa.SignASN1(rand.Reader, k.priv, d)
	})
}

// NewK1PublicKey returns the public key of a fresh K1 key whose private half
// is discarded at once: a block-signing key for a demo producer, which the
// devchain never asks to sign anything.
func NewK1PublicKey() (signer.PublicKey, error) {
	priv, err := secp256k1.GeneratePrivateKey()
	if err != nil {
		return signer.PublicKey{}, fmt.Errorf("generating a demo block-signing key: %w", err)
	}
	return signer.NewPublicKey(signer.CurveK1, priv.PubKey().SerializeCompressed())
}

var _ signer.Signer = (*Key)(nil)
