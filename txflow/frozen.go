package txflow

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/signer"
)

// Frozen is a transaction packed once: everything shown, checked, journalled,
// signed and pushed is derived from Packed and CFD.
type Frozen struct {
	ChainID signer.ChainID
	Packed  []byte
	CFD     []byte
	Digest  [32]byte
	ID      [32]byte
	// Decoded is Packed read back field by field (the display's source).
	Decoded *proposals.Transaction
	// Signatures are set by Sign (or read from a signed file).
	Signatures []signer.Signature
}

// NameError is a name that is not a valid EOSIO name: eos-go would pack
// something else than what was typed.
type NameError struct {
	Field string
	Name  string
}

func (e *NameError) Error() string {
	return fmt.Sprintf("%s %q is not a valid EOSIO name (up to 12 characters of a-z, 1-5 and '.', 13th a-j): it would be signed as another name; fix it", e.Field, e.Name)
}

// Freeze packs tx once for chainID and decodes the bytes back. Every account,
// action, actor and permission name must read back exactly as given.
func Freeze(chainID signer.ChainID, tx *eos.Transaction, cfd []byte) (*Frozen, error) {
	if tx == nil {
		return nil, fmt.Errorf("no transaction to freeze")
	}
	packed, err := eos.MarshalBinary(tx)
	if err != nil {
		return nil, fmt.Errorf("packing the transaction: %w", err)
	}
	f, err := FreezePacked(chainID, packed, cfd)
	if err != nil {
		return nil, err
	}
	if err := sameNames(tx, f.Decoded); err != nil {
		return nil, err
	}
	return f, nil
}

// FreezePacked takes bytes packed elsewhere (a proposal, a file).
func FreezePacked(chainID signer.ChainID, packed, cfd []byte) (*Frozen, error) {
	d, err := proposals.DecodePacked(packed)
	if err != nil {
		return nil, fmt.Errorf("the transaction's bytes do not decode: %w", err)
	}
	return &Frozen{
		ChainID: chainID, Packed: packed, CFD: cfd, Decoded: d,
		Digest: signer.Digest(chainID, packed, cfd), ID: sha256.Sum256(packed),
	}, nil
}

// IDHex is the transaction id in hex.
func (f *Frozen) IDHex() string { return hex.EncodeToString(f.ID[:]) }

// DigestHex is the signing digest in hex.
func (f *Frozen) DigestHex() string { return hex.EncodeToString(f.Digest[:]) }

// Transaction is the frozen bytes as eos-go's type, for the chain's
// get_required_keys (never for packing: Packed is the truth).
func (f *Frozen) Transaction() *eos.Transaction { return f.Decoded.EOS() }

// Expiration is the transaction's expiration, from the bytes.
func (f *Frozen) Expiration() time.Time { return f.Decoded.Expiration }

// earlier freezes the same transaction with its expiration one second
// earlier: another id and digest for the same intent.
func (f *Frozen) earlier() (*Frozen, error) {
	tx := f.Decoded.EOS()
	tx.Expiration = eos.JSONTime{Time: tx.Expiration.Add(-time.Second)}
	return Freeze(f.ChainID, tx, f.CFD)
}

// Pack is the signed transaction as send_transaction takes it.
func (f *Frozen) Pack() *chain.PackedTransaction {
	p := &chain.PackedTransaction{Compression: "none", PackedTrx: f.Packed, PackedContextFreeData: chain.HexBytes{}, Signatures: f.Signatures}
	if len(f.CFD) > 0 {
		p.PackedContextFreeData = f.CFD
	}
	return p
}

// sameNames compares the names given with the names packed.
func sameNames(tx *eos.Transaction, d *proposals.Transaction) error {
	check := func(kind string, given []*eos.Action, got []proposals.Action) error {
		if len(given) != len(got) {
			return fmt.Errorf("%s: %d given, %d packed", kind, len(given), len(got))
		}
		for i, a := range given {
			b := got[i]
			if string(a.Account) != string(b.Account) {
				return &NameError{Field: kind + " account", Name: string(a.Account)}
			}
			if string(a.Name) != string(b.Name) {
				return &NameError{Field: kind + " name", Name: string(a.Name)}
			}
			for j, l := range a.Authorization {
				if string(l.Actor) != string(b.Authorization[j].Actor) {
					return &NameError{Field: kind + " actor", Name: string(l.Actor)}
				}
				if string(l.Permission) != string(b.Authorization[j].Permission) {
					return &NameError{Field: kind + " permission", Name: string(l.Permission)}
				}
			}
		}
		return nil
	}
	if err := check("context-free action", tx.ContextFreeActions, d.ContextFreeActions); err != nil {
		return err
	}
	return check("action", tx.Actions, d.Actions)
}
