package signer

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"filippo.io/nistec"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/eoscanada/eos-go/ecc"

	"github.com/bpkeys/bpkeys/internal/redact"
)

// PublicKey is an EOSIO public key: its type and the 33-byte compressed point.
// The zero value is not a valid key. PublicKey is comparable with ==.
type PublicKey struct {
	Curve Curve
	Point [33]byte
}

// LegacyPrefixes are the prefixes of legacy K1 key strings bpkeys reads
// (EOS and the chains that copied its format with another prefix).
var LegacyPrefixes = []string{"EOS", "FIO"}

// Errors returned when parsing operator input.
var (
	ErrPrivateKey   = errors.New("that is a private key: bpkeys never handles private keys and has not stored or logged it; give the public key (PUB_K1_..., PUB_R1_... or EOS...) instead, and if the private key was shared by mistake treat it as exposed")
	ErrKeyFormat    = errors.New("not an EOSIO public key")
	ErrChecksum     = errors.New("checksum mismatch (a character is wrong or missing)")
	ErrNotOnCurve   = errors.New("the point is not on the curve")
	ErrUnsupported  = errors.New("unsupported key type")
	ErrSigFormat    = errors.New("not an EOSIO signature")
	ErrDigestLength = errors.New("a digest must be 32 bytes (64 hex digits)")
)

// NewPublicKey builds a key from a curve and a 33-byte compressed point, and
// checks that the point lies on the curve.
func NewPublicKey(c Curve, compressed []byte) (PublicKey, error) {
	if !c.valid() {
		return PublicKey{}, fmt.Errorf("%w: %s", ErrUnsupported, c)
	}
	if len(compressed) != 33 || (compressed[0] != 2 && compressed[0] != 3) {
		return PublicKey{}, fmt.Errorf("%w: a %s key is a 33-byte compressed point starting with 02 or 03", ErrKeyFormat, c)
	}
	if err := checkOnCurve(c, compressed); err != nil {
		return PublicKey{}, err
	}
	var k PublicKey
	k.Curve = c
	copy(k.Point[:], compressed)
	return k, nil
}

func checkOnCurve(c Curve, compressed []byte) error {
	var err error
	switch c {
	case CurveK1:
		_, err = secp256k1.ParsePubKey(compressed)
	case CurveR1:
		_, err = nistec.NewP256Point().SetBytes(compressed)
	}
	if err != nil {
		return fmt.Errorf("%w (%s)", ErrNotOnCurve, c.Name())
	}
	return nil
}

// PublicKeyFromECDSA converts a P-256 public key as Go's crypto libraries
// and piv-go return it into an R1 key.
func PublicKeyFromECDSA(pub *ecdsa.PublicKey) (PublicKey, error) {
	if pub == nil {
		return PublicKey{}, fmt.Errorf("%w: empty public key", ErrKeyFormat)
	}
	if pub.Curve != elliptic.P256() {
		return PublicKey{}, fmt.Errorf("%w: only P-256 keys convert from crypto/ecdsa (got %s)", ErrUnsupported, pub.Curve.Params().Name)
	}
	u, err := pub.Bytes()
	if err != nil {
		return PublicKey{}, fmt.Errorf("%w: %w", ErrKeyFormat, err)
	}
	return PublicKeyFromUncompressed(CurveR1, u)
}

// PublicKeyFromUncompressed converts a 65-byte SEC1 uncompressed point
// (04 || X || Y), as PKCS#11 and PIV return it.
func PublicKeyFromUncompressed(c Curve, point []byte) (PublicKey, error) {
	if len(point) != 65 || point[0] != 4 {
		return PublicKey{}, fmt.Errorf("%w: expected a 65-byte uncompressed point, got %d bytes", ErrKeyFormat, len(point))
	}
	var comp [33]byte
	comp[0] = 2 | point[64]&1
	copy(comp[1:], point[1:33])
	k, err := NewPublicKey(c, comp[:])
	if err != nil {
		return k, err
	}
	// The compressed form only carries Y's parity: check Y itself too.
	if !bytes.Equal(k.uncompressed(), point) {
		return PublicKey{}, fmt.Errorf("%w (%s)", ErrNotOnCurve, c.Name())
	}
	return k, nil
}

func (k PublicKey) uncompressed() []byte {
	switch k.Curve {
	case CurveK1:
		p, err := secp256k1.ParsePubKey(k.Point[:])
		if err != nil {
			return nil
		}
		return p.SerializeUncompressed()
	case CurveR1:
		p, err := nistec.NewP256Point().SetBytes(k.Point[:])
		if err != nil {
			return nil
		}
		return p.Bytes()
	}
	return nil
}

// ECDSA returns the key as a Go ECDSA public key. Only R1 keys have a curve in
// the standard library; K1 keys return an error.
func (k PublicKey) ECDSA() (*ecdsa.PublicKey, error) {
	if k.Curve != CurveR1 {
		return nil, fmt.Errorf("%w: only R1 keys convert to crypto/ecdsa", ErrUnsupported)
	}
	u := k.uncompressed()
	if u == nil {
		return nil, ErrNotOnCurve
	}
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), u)
}

// ParsePublicKey reads PUB_K1_..., PUB_R1_... and legacy EOS... (or FIO...)
// strings. A private key is refused with ErrPrivateKey.
func ParsePublicKey(s string) (PublicKey, error) {
	s = strings.TrimSpace(s)
	if looksPrivate(s) {
		return PublicKey{}, ErrPrivateKey
	}
	var (
		c      Curve
		body   string
		suffix string
	)
	switch {
	case strings.HasPrefix(s, "PUB_K1_"):
		c, body, suffix = CurveK1, s[7:], "K1"
	case strings.HasPrefix(s, "PUB_R1_"):
		c, body, suffix = CurveR1, s[7:], "R1"
	case strings.HasPrefix(s, "PUB_WA_"):
		return PublicKey{}, fmt.Errorf("%w: WebAuthn (PUB_WA_) keys cannot sign from a device; use a K1 or R1 key", ErrUnsupported)
	default:
		for _, p := range LegacyPrefixes {
			if strings.HasPrefix(s, p) && len(s) > len(p) {
				c, body = CurveK1, s[len(p):]
				break
			}
		}
		if body == "" {
			return PublicKey{}, fmt.Errorf("%w: %s: expected PUB_K1_, PUB_R1_ or EOS followed by base58", ErrKeyFormat, preview(s))
		}
	}
	raw, err := b58Decode(body, 37)
	if err != nil || len(raw) != 37 {
		return PublicKey{}, fmt.Errorf("%w: %s: the base58 part must encode 37 bytes (33-byte key + 4-byte checksum); is it truncated?", ErrKeyFormat, preview(s))
	}
	if !bytes.Equal(ripemdChecksum(raw[:33], suffix), raw[33:]) {
		return PublicKey{}, fmt.Errorf("public key %s: %w", preview(s), ErrChecksum)
	}
	k, err := NewPublicKey(c, raw[:33])
	if err != nil {
		return PublicKey{}, fmt.Errorf("public key %s: %w", preview(s), err)
	}
	return k, nil
}

// preview shortens operator input for error messages; input that could be
// a secret is described, never repeated, even in part.
func preview(s string) string {
	if redact.Kind(s) != "" {
		return redact.Quote(s)
	}
	if len(s) > 24 {
		return fmt.Sprintf("%q", s[:12]+"..."+s[len(s)-6:])
	}
	return fmt.Sprintf("%q", s)
}

// looksPrivate recognises private key strings, including mistyped ones
// (a character missing or added, lower case), so that they are never
// echoed or treated as something else.
func looksPrivate(s string) bool {
	return redact.PrivateKeyLike(s)
}

// String returns PUB_K1_... or PUB_R1_..., the unambiguous modern form.
func (k PublicKey) String() string {
	suffix := k.Curve.String()
	data := append(k.Point[:0:0], k.Point[:]...)
	data = append(data, ripemdChecksum(k.Point[:], suffix)...)
	return "PUB_" + suffix + "_" + b58Encode(data)
}

// Legacy returns the EOS... form of a K1 key (what nodeos prints), or the
// PUB_R1_ form for R1 keys, which have no legacy form.
func (k PublicKey) Legacy() string { return k.LegacyWithPrefix("EOS") }

// LegacyWithPrefix is Legacy with another chain's prefix, such as FIO.
func (k PublicKey) LegacyWithPrefix(prefix string) string {
	if k.Curve != CurveK1 {
		return k.String()
	}
	data := append(k.Point[:0:0], k.Point[:]...)
	data = append(data, ripemdChecksum(k.Point[:], "")...)
	return prefix + b58Encode(data)
}

// Bytes returns the binary form nodeos serialises: type byte then the point.
func (k PublicKey) Bytes() []byte {
	return append([]byte{byte(k.Curve)}, k.Point[:]...)
}

// Hex returns the compressed point in hex.
func (k PublicKey) Hex() string { return hex.EncodeToString(k.Point[:]) }

// IsZero reports whether k is the zero value.
func (k PublicKey) IsZero() bool { return k == PublicKey{} }

// Compare orders keys as nodeos does in an authority: by type, then by the
// bytes of the compressed point. It returns -1, 0 or +1.
func Compare(a, b PublicKey) int {
	if a.Curve != b.Curve {
		if a.Curve < b.Curve {
			return -1
		}
		return 1
	}
	return bytes.Compare(a.Point[:], b.Point[:])
}

// ECC converts to eos-go's type, for building eos-go actions and transactions.
func (k PublicKey) ECC() ecc.PublicKey {
	p, err := ecc.NewPublicKeyFromData(k.Bytes())
	if err != nil {
		// Unreachable: K1 and R1 are both known to eos-go.
		panic(fmt.Sprintf("eos-go refused a %s key: %v", k.Curve, err))
	}
	return p
}

// PublicKeyFromECC converts from eos-go's type (never through its String,
// which mis-encodes PUB_K1_ checksums).
func PublicKeyFromECC(p ecc.PublicKey) (PublicKey, error) {
	return NewPublicKey(Curve(p.Curve), p.Content)
}

// MarshalText writes the PUB_ form, so keys appear in JSON as strings.
func (k PublicKey) MarshalText() ([]byte, error) {
	if !k.Curve.valid() {
		return nil, fmt.Errorf("%w: %s", ErrUnsupported, k.Curve)
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads any form ParsePublicKey accepts.
func (k *PublicKey) UnmarshalText(b []byte) error {
	p, err := ParsePublicKey(string(b))
	if err != nil {
		return err
	}
	*k = p
	return nil
}
