package contracts

import (
	"errors"
	"fmt"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/signer"
)

// ErrInvalidAuthority is matched (errors.Is) by every AuthorityError.
var ErrInvalidAuthority = errors.New("invalid authority")

// AuthorityError says why nodeos would refuse an authority. nodeos itself
// only says "Invalid authority: {...}" (action_validate_exception); Reason
// names the rule that failed so an operator can fix it.
type AuthorityError struct {
	Reason string
}

func (e *AuthorityError) Error() string { return "Invalid authority: " + e.Reason }

// Is makes errors.Is(err, ErrInvalidAuthority) true.
func (e *AuthorityError) Is(target error) bool { return target == ErrInvalidAuthority }

// MaxAuthoritySize is nodeos's limit on keys+accounts+waits in an authority.
const MaxAuthoritySize = 1 << 16

// NameValue is the uint64 value of an EOSIO name; nodeos orders names by it.
// Invalid names give 0 and an error.
func NameValue(n string) (uint64, error) {
	v, err := eos.StringToName(n)
	if err != nil {
		return 0, fmt.Errorf("name %q: %w", n, err)
	}
	if eos.NameToString(v) != n {
		return 0, fmt.Errorf("name %q is not a valid EOSIO name (up to 12 characters a-z, 1-5 and '.', not ending in '.')", n)
	}
	return v, nil
}

// ComparePermissionLevels orders permission levels as nodeos does: by the
// actor's uint64 name value, then the permission's.
func ComparePermissionLevels(a, b eos.PermissionLevel) int {
	av, _ := eos.StringToName(string(a.Actor))
	bv, _ := eos.StringToName(string(b.Actor))
	if av != bv {
		if av < bv {
			return -1
		}
		return 1
	}
	ap, _ := eos.StringToName(string(a.Permission))
	bp, _ := eos.StringToName(string(b.Permission))
	switch {
	case ap < bp:
		return -1
	case ap > bp:
		return 1
	}
	return 0
}

// ValidateAuthority applies nodeos's validate(authority) (authority.hpp):
// at most 65536 entries, threshold != 0, keys strictly ascending (sorted by
// signer.Compare and unique), accounts strictly ascending by (actor,
// permission) as uint64 names, waits strictly ascending with the first
// wait_sec != 0, and the sum of weights reaching the threshold.
func ValidateAuthority(a eos.Authority) error {
	if len(a.Keys)+len(a.Accounts)+len(a.Waits) > MaxAuthoritySize {
		return &AuthorityError{fmt.Sprintf("more than %d keys, accounts and waits", MaxAuthoritySize)}
	}
	if a.Threshold == 0 {
		return &AuthorityError{"threshold is 0; it must be at least 1"}
	}
	var sum uint64
	var prev signer.PublicKey
	for i, kw := range a.Keys {
		k, err := signer.PublicKeyFromECC(kw.PublicKey)
		if err != nil {
			return &AuthorityError{fmt.Sprintf("keys[%d] is not a valid K1 or R1 public key: %v", i, err)}
		}
		if i > 0 {
			switch c := signer.Compare(prev, k); {
			case c == 0:
				return &AuthorityError{fmt.Sprintf("key %s appears twice", k.Legacy())}
			case c > 0:
				return &AuthorityError{fmt.Sprintf("keys are not sorted: %s must come before %s (K1 before R1, then by the bytes of the point)", k.Legacy(), prev.Legacy())}
			}
		}
		prev = k
		sum += uint64(kw.Weight)
	}
	for i, aw := range a.Accounts {
		if _, err := NameValue(string(aw.Permission.Actor)); err != nil {
			return &AuthorityError{fmt.Sprintf("accounts[%d]: %v", i, err)}
		}
		if _, err := NameValue(string(aw.Permission.Permission)); err != nil {
			return &AuthorityError{fmt.Sprintf("accounts[%d]: %v", i, err)}
		}
		if i > 0 {
			p := a.Accounts[i-1].Permission
			switch c := ComparePermissionLevels(p, aw.Permission); {
			case c == 0:
				return &AuthorityError{fmt.Sprintf("account %s@%s appears twice", aw.Permission.Actor, aw.Permission.Permission)}
			case c > 0:
				return &AuthorityError{fmt.Sprintf("accounts are not sorted: %s@%s must come before %s@%s (names compare as uint64 values)", aw.Permission.Actor, aw.Permission.Permission, p.Actor, p.Permission)}
			}
		}
		sum += uint64(aw.Weight)
	}
	for i, w := range a.Waits {
		if i == 0 && w.WaitSec == 0 {
			return &AuthorityError{"the first wait has wait_sec 0"}
		}
		if i > 0 && a.Waits[i-1].WaitSec >= w.WaitSec {
			return &AuthorityError{"waits are not strictly ascending by wait_sec"}
		}
		sum += uint64(w.Weight)
	}
	if sum < uint64(a.Threshold) {
		return &AuthorityError{fmt.Sprintf("the weights add up to %d, less than the threshold %d: it can never be satisfied", sum, a.Threshold)}
	}
	return nil
}

// SortAuthority sorts keys and accounts (and waits) into the order nodeos
// requires. It does not remove duplicates; ValidateAuthority reports them.
func SortAuthority(a *eos.Authority) {
	sortSlice(a.Keys, func(x, y eos.KeyWeight) int {
		kx, errx := signer.PublicKeyFromECC(x.PublicKey)
		ky, erry := signer.PublicKeyFromECC(y.PublicKey)
		if errx != nil || erry != nil {
			return 0
		}
		return signer.Compare(kx, ky)
	})
	sortSlice(a.Accounts, func(x, y eos.PermissionLevelWeight) int {
		return ComparePermissionLevels(x.Permission, y.Permission)
	})
	sortSlice(a.Waits, func(x, y eos.WaitWeight) int {
		switch {
		case x.WaitSec < y.WaitSec:
			return -1
		case x.WaitSec > y.WaitSec:
			return 1
		}
		return 0
	})
}
