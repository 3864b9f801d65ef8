package pkcs11

import (
	"errors"
	"fmt"
	"strings"

	cki "github.com/miekg/pkcs11"
)

// Sentinels, checked with errors.Is. The typed errors below match them and
// carry the details an operator needs.
var (
	// ErrNoModule: neither the reference, the backend options nor
	// BPKEYS_PKCS11_MODULE name a PKCS#11 module.
	ErrNoModule = errors.New("no PKCS#11 module: add module-path=/path/to/module.so to the key reference or set " + ModuleEnv + " (SoftHSM2 on Debian: /usr/lib/softhsm/libsofthsm2.so)")
	// ErrModuleNotFound: the module file does not exist.
	ErrModuleNotFound = errors.New("PKCS#11 module not found")
	// ErrNotModule: the file exists but could not be loaded as a PKCS#11
	// module (dlopen failed or it has no C_GetFunctionList).
	ErrNotModule = errors.New("not a loadable PKCS#11 module (dlopen failed or no C_GetFunctionList; check the path and that the library matches this machine's architecture)")
	// ErrTokenNotFound: no present token matches the reference.
	ErrTokenNotFound = errors.New("token not found")
	// ErrAmbiguousToken: several tokens match and the reference does not say which.
	ErrAmbiguousToken = errors.New("several tokens match")
	// ErrKeyNotFound: no EC private key on the token matches the reference.
	ErrKeyNotFound = errors.New("key not found")
	// ErrAmbiguousKey: several keys match object= and no id= tells them apart.
	ErrAmbiguousKey = errors.New("several keys match")
	// ErrPINIncorrect: the token refused the PIN. It is never retried automatically.
	ErrPINIncorrect = errors.New("wrong PIN")
	// ErrPINLocked: the user PIN is blocked.
	ErrPINLocked = errors.New("the user PIN is locked: unblock it with the token's SO PIN (for example softhsm2-util or your HSM's admin tool; C_InitPIN after an SO login) before using this token again")
	// ErrTokenRemoved: the token went away during the operation.
	ErrTokenRemoved = errors.New("the token was removed or became unavailable")
	// ErrUnsupportedCurve: the key is on a curve EOSIO cannot use.
	ErrUnsupportedCurve = errors.New("unsupported curve: EOSIO keys are secp256k1 (K1) or P-256 (R1)")
	// ErrPointFormat: CKA_EC_POINT is neither a DER OCTET STRING nor a raw
	// uncompressed point.
	ErrPointFormat = errors.New("unsupported CKA_EC_POINT encoding")
	// ErrK1Unsupported: the token cannot make secp256k1 keys.
	ErrK1Unsupported = errors.New("this token cannot make secp256k1 (K1) keys: use --curve r1 for a P-256 (EOSIO R1) key, which every PKCS#11 token supports")
	// ErrLabelExists: Generate refuses to reuse a label or id.
	ErrLabelExists = errors.New("an object with this label or id already exists on the token (bpkeys never overwrites a key): choose another object= label")
	// ErrKeyClosed: Sign after Close.
	ErrKeyClosed = errors.New("the key was closed")
	// ErrCannotSign: the private key object has CKA_SIGN false.
	ErrCannotSign = errors.New("the private key object does not allow signing (CKA_SIGN is false)")
)

// TokenSummary names a token in an error or a listing.
type TokenSummary struct {
	Slot         uint
	Label        string
	Serial       string
	Manufacturer string
	Model        string
}

// String names the token by label, serial and slot.
func (t TokenSummary) String() string {
	return fmt.Sprintf("%q (serial %s, slot %d)", t.Label, t.Serial, t.Slot)
}

// TokenNotFoundError lists the tokens present when none matched.
type TokenNotFoundError struct {
	Want    string // what the reference asked for
	Present []TokenSummary
}

// Error says what happened and what to do.
func (e *TokenNotFoundError) Error() string {
	if len(e.Present) == 0 {
		return fmt.Sprintf("no token %s: the module shows no initialized token", e.Want)
	}
	var s []string
	for _, t := range e.Present {
		s = append(s, t.String())
	}
	return fmt.Sprintf("no token %s; tokens present: %s", e.Want, strings.Join(s, ", "))
}

// Is matches ErrTokenNotFound.
func (e *TokenNotFoundError) Is(target error) bool { return target == ErrTokenNotFound }

// AmbiguousTokenError lists the tokens that all match the reference.
type AmbiguousTokenError struct {
	Want       string
	Candidates []TokenSummary
}

// Error says what happened and what to do.
func (e *AmbiguousTokenError) Error() string {
	var s []string
	for _, t := range e.Candidates {
		s = append(s, t.String())
	}
	return fmt.Sprintf("%d tokens match %s: %s; add serial=SERIAL to the reference to pick one", len(e.Candidates), e.Want, strings.Join(s, ", "))
}

// Is matches ErrAmbiguousToken.
func (e *AmbiguousTokenError) Is(target error) bool { return target == ErrAmbiguousToken }

// KeySummary names a key in an error.
type KeySummary struct {
	Label     string
	ID        string // hex
	Curve     string // "K1", "R1", or the unsupported curve's name
	PublicKey string // EOSIO form, when the public half is readable
}

// String names the key by label, id, curve and public key.
func (k KeySummary) String() string {
	s := fmt.Sprintf("label %q id %s %s", k.Label, k.ID, k.Curve)
	if k.PublicKey != "" {
		s += " " + k.PublicKey
	}
	return s
}

// KeyNotFoundError lists the EC keys on the token when none matched.
type KeyNotFoundError struct {
	Token   string
	Want    string
	Present []KeySummary
}

// Error says what happened and what to do.
func (e *KeyNotFoundError) Error() string {
	if len(e.Present) == 0 {
		return fmt.Sprintf("no EC private key %s on token %q, and the token holds no EC key (create one with 'bpkeys keys generate')", e.Want, e.Token)
	}
	var s []string
	for _, k := range e.Present {
		s = append(s, k.String())
	}
	return fmt.Sprintf("no EC private key %s on token %q; keys present: %s", e.Want, e.Token, strings.Join(s, "; "))
}

// Is matches ErrKeyNotFound.
func (e *KeyNotFoundError) Is(target error) bool { return target == ErrKeyNotFound }

// PINError reports a refused or locked PIN, with what the token says about
// the attempts left. PKCS#11 tokens report no count, only these flags.
type PINError struct {
	Token    string
	CountLow bool // CKF_USER_PIN_COUNT_LOW: an earlier attempt failed
	FinalTry bool // CKF_USER_PIN_FINAL_TRY: one more wrong PIN locks it
	Locked   bool // CKR_PIN_LOCKED or CKF_USER_PIN_LOCKED
	Err      error
}

// Error says what happened and what to do.
func (e *PINError) Error() string {
	switch {
	case e.Locked:
		return fmt.Sprintf("token %q: %v", e.Token, ErrPINLocked)
	case e.FinalTry:
		return fmt.Sprintf("token %q: wrong PIN; ONE attempt left before the PIN locks: check the PIN before trying again (bpkeys never retries a PIN by itself)", e.Token)
	case e.CountLow:
		return fmt.Sprintf("token %q: wrong PIN; the token reports few attempts left (bpkeys never retries a PIN by itself)", e.Token)
	}
	return fmt.Sprintf("token %q: wrong PIN (bpkeys never retries a PIN by itself)", e.Token)
}

// Is matches ErrPINLocked for a locked PIN, ErrPINIncorrect otherwise.
func (e *PINError) Is(target error) bool {
	if e.Locked {
		return target == ErrPINLocked
	}
	return target == ErrPINIncorrect
}

// Unwrap returns the PKCS#11 error, if any.
func (e *PINError) Unwrap() error { return e.Err }

// TokenRemovedError reports a token that went away mid-operation. The
// operation is not retried: open the key again once the token is back.
type TokenRemovedError struct {
	Token string
	Op    string
	Err   error
}

// Error says what happened and what to do.
func (e *TokenRemovedError) Error() string {
	return fmt.Sprintf("token %q: %s: %v: reconnect the token and run the command again (nothing was retried): %v", e.Token, e.Op, ErrTokenRemoved, e.Err)
}

// Is matches ErrTokenRemoved.
func (e *TokenRemovedError) Is(target error) bool { return target == ErrTokenRemoved }

// Unwrap returns the PKCS#11 error.
func (e *TokenRemovedError) Unwrap() error { return e.Err }

// CurveError names the curve of a key EOSIO cannot use.
type CurveError struct {
	Params []byte // CKA_EC_PARAMS as the token gave it
	Name   string // the curve's name or OID
}

// Error says what happened and what to do.
func (e *CurveError) Error() string {
	return fmt.Sprintf("%v: this key is on %s", ErrUnsupportedCurve, e.Name)
}

// Is matches ErrUnsupportedCurve.
func (e *CurveError) Is(target error) bool { return target == ErrUnsupportedCurve }

// rv extracts the PKCS#11 return value from err, or 0.
func rv(err error) uint {
	var e cki.Error
	if errors.As(err, &e) {
		return uint(e)
	}
	return 0
}

// isRemoval reports return values that mean the token or the session is gone.
func isRemoval(err error) bool {
	switch rv(err) {
	case cki.CKR_DEVICE_REMOVED, cki.CKR_SESSION_HANDLE_INVALID, cki.CKR_TOKEN_NOT_PRESENT,
		cki.CKR_SESSION_CLOSED, cki.CKR_TOKEN_NOT_RECOGNIZED, cki.CKR_SLOT_ID_INVALID:
		return true
	}
	return false
}

// Permanent: a wrong or locked PIN is never retried (signer.IsPermanent).
func (e *PINError) Permanent() bool { return true }
