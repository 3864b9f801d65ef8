package signer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/internal/redact"
)

// ChainID identifies an EOSIO chain; it is part of every signature digest.
type ChainID [32]byte

// ParseChainID reads 64 hex digits.
func ParseChainID(s string) (ChainID, error) {
	var id ChainID
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != 32 {
		return id, fmt.Errorf("chain id %s: expected 64 hex digits", redact.Quote(s))
	}
	copy(id[:], b)
	return id, nil
}

// String returns the chain id in hex.
func (c ChainID) String() string { return hex.EncodeToString(c[:]) }

// MarshalText writes hex.
func (c ChainID) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads hex.
func (c *ChainID) UnmarshalText(b []byte) error {
	id, err := ParseChainID(string(b))
	if err != nil {
		return err
	}
	*c = id
	return nil
}

// Digest is the digest EOSIO signs: sha256(chain id || packed transaction ||
// sha256(packed context-free data), or 32 zero bytes when there is none).
// packedCFD is the packed vector<bytes> (as eos-go's PackedTransactionAndCFD
// returns it); nil, empty or a packed empty vector all mean none, as in nodeos.
func Digest(chainID ChainID, packedTrx, packedCFD []byte) [32]byte {
	h := sha256.New()
	h.Write(chainID[:])
	h.Write(packedTrx)
	if len(packedCFD) == 0 || (len(packedCFD) == 1 && packedCFD[0] == 0) {
		h.Write(make([]byte, 32))
	} else {
		c := sha256.Sum256(packedCFD)
		h.Write(c[:])
	}
	var d [32]byte
	h.Sum(d[:0])
	return d
}

// MissingSignerError lists required keys no available signer holds.
type MissingSignerError struct{ Keys []PublicKey }

func (e *MissingSignerError) Error() string {
	s := make([]string, len(e.Keys))
	for i, k := range e.Keys {
		s[i] = k.String()
	}
	return "no signer available for required key(s) " + strings.Join(s, ", ") + ": connect the device that holds them or pass its --signer reference"
}

// SignPacked signs the digest of packedTrx with exactly the required keys,
// each by the signer that holds it, and verifies every signature. Signers
// whose key is not required are not used: nodeos rejects irrelevant
// signatures. Duplicate required keys are signed once.
func SignPacked(ctx context.Context, chainID ChainID, packedTrx, packedCFD []byte, required []PublicKey, signers []Signer) ([]Signature, error) {
	if len(required) == 0 {
		return nil, errors.New("no keys are required: nothing to sign")
	}
	byKey := make(map[PublicKey]Signer, len(signers))
	for _, s := range signers {
		byKey[s.PublicKey()] = s
	}
	var todo []PublicKey
	var missing []PublicKey
	seen := map[PublicKey]bool{}
	for _, k := range required {
		if seen[k] {
			continue
		}
		seen[k] = true
		if _, ok := byKey[k]; !ok {
			missing = append(missing, k)
		}
		todo = append(todo, k)
	}
	if len(missing) > 0 {
		return nil, &MissingSignerError{Keys: missing}
	}
	digest := Digest(chainID, packedTrx, packedCFD)
	sigs := make([]Signature, 0, len(todo))
	for _, k := range todo {
		s := byKey[k]
		sig, err := s.Sign(ctx, digest)
		if err != nil {
			return nil, fmt.Errorf("signing with %s: %w", Describe(s), err)
		}
		if err := sig.Verify(digest[:], k); err != nil {
			return nil, fmt.Errorf("signature from %s: %w", Describe(s), err)
		}
		sigs = append(sigs, sig)
	}
	return sigs, nil
}

// SignTransaction packs tx, signs it with the required keys and appends the
// signatures. Keys that already signed tx are not asked again.
func SignTransaction(ctx context.Context, tx *eos.SignedTransaction, chainID ChainID, required []PublicKey, signers []Signer) error {
	packed, cfd, err := tx.PackedTransactionAndCFD()
	if err != nil {
		return fmt.Errorf("packing the transaction: %w", err)
	}
	digest := Digest(chainID, packed, cfd)
	var todo []PublicKey
	for _, k := range required {
		done := false
		for _, e := range tx.Signatures {
			if s, err := SignatureFromECC(e); err == nil {
				if got, err := s.Recover(digest[:]); err == nil && got == k {
					done = true
				}
			}
		}
		if !done {
			todo = append(todo, k)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	sigs, err := SignPacked(ctx, chainID, packed, cfd, todo, signers)
	if err != nil {
		return err
	}
	for _, s := range sigs {
		tx.Signatures = append(tx.Signatures, s.ECC())
	}
	return nil
}
