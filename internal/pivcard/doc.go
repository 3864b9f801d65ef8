// Package pivcard emulates the PIV applet of a YubiKey 5 for tests and demos:
// a Card answers the APDUs that piv-go, yubico-piv-tool, ykcs11 and OpenSC send
// (PIN/PUK, management-key authentication in 3DES and AES, EC P-256/P-384 key
// generation and import, ECDSA signing, GET METADATA, attestation, certificate
// objects, reset), and a Connector presents it to pcscd through the
// vsmartcard-vpcd driver so that those clients reach it as a real smart card.
// Every key, PIN and attestation CA lives only in process memory and is a test
// key: the emulator is not a signer, offers no protection of key material and
// must never hold keys that secure anything. The attestation chain ends in an
// emulator root (AttestationRoot), never in Yubico's CA, so attestations made
// here cannot pass for a real YubiKey's. Gaps: RSA, Ed25519/X25519, biometric
// verification, the management and OTP applets (their SELECT answers 6A82).
// Fault injection (forced status words, slow answers, removal mid-command,
// touch timeouts) lets tests exercise the error paths of a device backend.
package pivcard
