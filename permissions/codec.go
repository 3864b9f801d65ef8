package permissions

import (
	"bytes"
	"encoding/json"
	"fmt"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/signer"
)

// EOS converts the authority to eos-go's type, for encoding actions. Keys
// bpkeys cannot represent (WebAuthn) are left out: callers refuse such
// authorities before encoding (see Validate).
func (au Authority) EOS() eos.Authority {
	out := eos.Authority{Threshold: au.Threshold, Keys: []eos.KeyWeight{}, Accounts: []eos.PermissionLevelWeight{}, Waits: []eos.WaitWeight{}}
	for _, k := range au.Keys {
		if k.Unsupported != "" {
			continue
		}
		out.Keys = append(out.Keys, eos.KeyWeight{PublicKey: k.Key.ECC(), Weight: k.Weight})
	}
	for _, a := range au.Accounts {
		out.Accounts = append(out.Accounts, eos.PermissionLevelWeight{
			Permission: eos.PermissionLevel{Actor: eos.AccountName(a.Permission.Actor), Permission: eos.PermissionName(a.Permission.Permission)},
			Weight:     a.Weight,
		})
	}
	for _, w := range au.Waits {
		out.Waits = append(out.Waits, eos.WaitWeight{WaitSec: w.WaitSec, Weight: w.Weight})
	}
	return out
}

// AuthorityFromEOS converts from eos-go's type.
func AuthorityFromEOS(a eos.Authority) (Authority, error) {
	out := Authority{Threshold: a.Threshold, Keys: []KeyWeight{}, Accounts: []AccountWeight{}, Waits: []WaitWeight{}}
	for i, k := range a.Keys {
		p, err := signer.PublicKeyFromECC(k.PublicKey)
		if err != nil {
			return Authority{}, fmt.Errorf("keys[%d]: %w", i, err)
		}
		out.Keys = append(out.Keys, KeyWeight{Key: p, Weight: k.Weight})
	}
	for _, l := range a.Accounts {
		out.Accounts = append(out.Accounts, AccountWeight{Permission: Level{string(l.Permission.Actor), string(l.Permission.Permission)}, Weight: l.Weight})
	}
	for _, w := range a.Waits {
		out.Waits = append(out.Waits, WaitWeight{WaitSec: w.WaitSec, Weight: w.Weight})
	}
	return out, nil
}

// ParseAuthorityJSON reads an authority as nodeos prints it ({"threshold",
// "keys", "accounts", "waits"}; keys in any form signer.ParsePublicKey
// reads), refusing unknown fields and trailing data, then normalizes it and
// checks it as nodeos's updateauth would (names, order, duplicates,
// threshold). A private key is refused with signer.ErrPrivateKey.
func ParseAuthorityJSON(b []byte) (Authority, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var au Authority
	if err := dec.Decode(&au); err != nil {
		return Authority{}, fmt.Errorf("authority JSON: %w", err)
	}
	if dec.More() {
		return Authority{}, fmt.Errorf("authority JSON: unexpected data after the authority")
	}
	for _, a := range au.Accounts {
		if _, err := ParseLevel(a.Permission.String()); err != nil {
			return Authority{}, fmt.Errorf("authority JSON: %w", err)
		}
	}
	au.Normalize()
	if err := au.Validate(); err != nil {
		return Authority{}, fmt.Errorf("authority JSON: %w", err)
	}
	return au, nil
}
