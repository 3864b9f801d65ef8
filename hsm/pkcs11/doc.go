// Package pkcs11 is bpkeys' backend for PKCS#11 hardware security modules
// (YubiHSM 2, cloud HSMs, SoftHSM2 on a test box), built on miekg/pkcs11.
// It lists tokens and EC keys, generates K1 (secp256k1) or R1 (P-256) keys
// on a token, and signs EOSIO digests with them as signer.Signer values.
//
// # Concepts
//
// A module is the vendor's shared library (for SoftHSM2 on Debian,
// /usr/lib/softhsm/libsofthsm2.so). It is loaded and initialized once per
// process and stays loaded. A module has slots; a slot holds a token, found
// by its label (and serial when labels repeat). A session on a token is
// logged in with the user PIN; objects on the token are keys, found by
// CKA_LABEL or CKA_ID. The private key signs (CKM_ECDSA over the 32-byte
// digest); the public half is read from the public key object with the same
// CKA_ID.
//
// # References
//
//	pkcs11:token=bp-hsm;object=claim?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:BPKEYS_PIN
//
// id=HEX may replace or accompany object=; serial= narrows token= (needed
// when two tokens share a label). Without module-path the backend's module
// (WithModule), then BPKEYS_PKCS11_MODULE, is used. pin-source is env:NAME,
// file:PATH or fd:N; absent means a masked prompt (package pinentry).
// Discover finds modules to list when none is named: p11-kit's proxy, else
// the usual SoftHSM2 and HSM modules, reporting every path it looked at.
//
// # What it refuses
//
//   - A PIN in the reference (pin-value=), on the command line, in an error
//     or a log. The PIN buffer is wiped after the login.
//   - Retrying a wrong PIN: every CKR_PIN_INCORRECT is reported with what the
//     token says about attempts left, and a locked PIN is reported without
//     asking for one.
//   - Retrying after the token went away (CKR_DEVICE_REMOVED,
//     CKR_SESSION_HANDLE_INVALID, CKR_TOKEN_NOT_PRESENT): the Key is dead and
//     must be opened again.
//   - Overwriting: Generate refuses a label or id already on the token.
//   - Keys on curves other than secp256k1 and P-256, and compressed or
//     otherwise unusual CKA_EC_POINT encodings.
//   - Private keys that are not sensitive, extractable, or cannot sign.
//
// # Typical workflow
//
//	b := pkcs11.New(pkcs11.WithModule("/usr/lib/softhsm/libsofthsm2.so"))
//	ref, _ := signer.ParseRef("pkcs11:token=bp-hsm;object=claim?pin-source=env:BPKEYS_PIN")
//	pub, err := b.Generate(ctx, ref, devices.GenerateOptions{Curve: signer.CurveK1})
//	key, err := b.Open(ctx, ref) // one session and login for many signatures
//	defer key.Close()
//	sig, err := key.Sign(ctx, signer.Digest(chainID, packedTrx, nil))
//
// Errors are typed: errors.Is with ErrTokenNotFound, ErrKeyNotFound,
// ErrPINIncorrect, ErrPINLocked, ErrTokenRemoved, ErrK1Unsupported, ... and
// errors.As with *TokenNotFoundError, *KeyNotFoundError, *PINError for the
// details (labels present, final try).
package pkcs11
