package bls

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"

	//lint:ignore SA1019 fc's BLS key and signature strings are defined with RIPEMD-160 checksums.
	"golang.org/x/crypto/ripemd160"
)

// String prefixes, as fc prints them.
const (
	PublicKeyPrefix = "PUB_BLS_"
	SignaturePrefix = "SIG_BLS_"
)

// Sizes of the raw forms.
const (
	PublicKeySize = 96
	SignatureSize = 192
	checksumSize  = 4
)

// PossessionDST is the domain separation tag of a proof of possession.
const PossessionDST = "BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"

// Errors returned when reading operator input or checking a proof.
var (
	ErrPrivateKey  = errors.New("that is a private key: bpkeys never handles finalizer private keys and has not stored or logged it; give the public key (PUB_BLS_...) and its proof of possession (SIG_BLS_...) printed by spring-util bls create key, and if the private key was shared by mistake treat it as exposed and make a new one")
	ErrPrefix      = errors.New("wrong prefix")
	ErrEncoding    = errors.New("not base64url of the expected length (a character is wrong, missing or extra)")
	ErrChecksum    = errors.New("checksum mismatch (a character is wrong)")
	ErrField       = errors.New("a coordinate is not below the field prime")
	ErrNotOnCurve  = errors.New("the point is not on the BLS12-381 curve")
	ErrSubgroup    = errors.New("the point is not in the prime-order subgroup")
	ErrIdentity    = errors.New("the point is the point at infinity")
	ErrPossession  = errors.New("the proof of possession does not verify against this public key")
	ErrInvalidSize = errors.New("wrong length")
)

var b64 = base64.RawURLEncoding.Strict()

// looksPrivate recognises private key strings (fc's PVT_ prefix in any case)
// so they are never parsed as something else or echoed.
func looksPrivate(s string) bool {
	return len(s) >= 4 && strings.EqualFold(s[:4], "PVT_")
}

// decode checks prefix, base64url and checksum and returns the raw bytes.
func decode(s, prefix string, size int) ([]byte, error) {
	if looksPrivate(s) {
		return nil, ErrPrivateKey
	}
	if !strings.HasPrefix(s, prefix) {
		return nil, ErrPrefix
	}
	body := s[len(prefix):]
	if strings.ContainsAny(body, "\r\n") || b64.DecodedLen(len(body)) != size+checksumSize {
		return nil, ErrEncoding
	}
	raw, err := b64.DecodeString(body)
	if err != nil || len(raw) != size+checksumSize {
		return nil, ErrEncoding
	}
	data, sum := raw[:size], raw[size:]
	if !bytes.Equal(sum, checksum(data)) {
		return nil, ErrChecksum
	}
	return data, nil
}

func encode(prefix string, data []byte) string {
	raw := append(append([]byte{}, data...), checksum(data)...)
	return prefix + b64.EncodeToString(raw)
}

// checksum is fc's checksummed_data check: the first 4 bytes of ripemd160 of
// the raw bytes (no suffix, unlike K1/R1 keys).
func checksum(data []byte) []byte {
	h := ripemd160.New()
	h.Write(data)
	return h.Sum(nil)[:checksumSize]
}

// DecodePublicKey checks only the string form (prefix, base64url, checksum)
// and returns the raw bytes, as the contract development kit's
// decode_bls_public_key_to_g1 does; curve checks are left to the caller.
func DecodePublicKey(s string) ([PublicKeySize]byte, error) {
	var out [PublicKeySize]byte
	data, err := decode(s, PublicKeyPrefix, PublicKeySize)
	if err != nil {
		return out, err
	}
	copy(out[:], data)
	return out, nil
}

// DecodeSignature is DecodePublicKey for SIG_BLS_ strings.
func DecodeSignature(s string) ([SignatureSize]byte, error) {
	var out [SignatureSize]byte
	data, err := decode(s, SignaturePrefix, SignatureSize)
	if err != nil {
		return out, err
	}
	copy(out[:], data)
	return out, nil
}

// fieldLE reads one 48-byte little-endian field element, refusing values
// not below the prime.
func fieldLE(b []byte) (fp.Element, error) {
	var buf [fp.Bytes]byte
	copy(buf[:], b)
	e, err := fp.LittleEndian.Element(&buf)
	if err != nil {
		return e, ErrField
	}
	return e, nil
}

func putFieldLE(dst []byte, e fp.Element) {
	var buf [fp.Bytes]byte
	fp.LittleEndian.PutElement(&buf, e)
	copy(dst, buf[:])
}
