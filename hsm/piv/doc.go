// Package piv is bpkeys' YubiKey backend: keys generated in a PIV slot, used
// there through piv-go (github.com/go-piv/piv-go/v2) and never read out.
// YubiKey PIV holds P-256 keys only, so every YubiKey key is an EOSIO R1 key;
// asking for K1 is refused with an explanation.
//
// References name a key by YubiKey serial and slot:
//
//	yubikey:serial=12345678;slot=9c?pin-source=env:BPKEYS_PIN
//
// (serial may be left out when one YubiKey is present; slots 9a, 9c, 9d,
// 9e and the retired slots 82..95). A typical use:
//
//	b := piv.New(piv.Options{})
//	key, err := b.Open(ctx, ref)  // finds the YubiKey, reads the slot's public key
//	defer key.Close()
//	sig, err := key.Sign(ctx, digest) // PIN from pin-source, "Touch your YubiKey" when the slot needs it
//
// The card is opened for each operation and released right after, so other
// tools can use it between signatures; one operation at a time per YubiKey.
// The PIN is kept in memory only between Open and Close of a Key, so a run of
// signatures asks once, and is wiped at Close.
package piv
