package pkcs11

import (
	"bytes"
	"encoding/asn1"
	"encoding/hex"
	"fmt"

	"github.com/bpkeys/bpkeys/signer"
)

// DER-encoded OIDs for CKA_EC_PARAMS.
var (
	oidK1 = []byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a}                   // secp256k1, 1.3.132.0.10
	oidR1 = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07} // P-256, 1.2.840.10045.3.1.7
)

// curveNames names curves a token may hold that EOSIO cannot use.
var curveNames = map[string]string{
	"1.3.132.0.34":          "P-384 (secp384r1)",
	"1.3.132.0.35":          "P-521 (secp521r1)",
	"1.2.840.10045.3.1.1":   "P-192 (prime192v1)",
	"1.3.132.0.33":          "P-224 (secp224r1)",
	"1.3.36.3.3.2.8.1.1.7":  "brainpoolP256r1",
	"1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1",
	"1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1",
	"1.3.101.112":           "Ed25519",
	"1.3.101.113":           "Ed448",
	"1.3.101.110":           "X25519",
	"1.2.156.10197.1.301":   "SM2",
}

// ecParams returns the CKA_EC_PARAMS value for a curve.
func ecParams(c signer.Curve) []byte {
	if c == signer.CurveK1 {
		return oidK1
	}
	return oidR1
}

// curveOf maps CKA_EC_PARAMS to an EOSIO curve, or a CurveError naming the
// curve the key is on.
func curveOf(params []byte) (signer.Curve, error) {
	switch {
	case bytes.Equal(params, oidK1):
		return signer.CurveK1, nil
	case bytes.Equal(params, oidR1):
		return signer.CurveR1, nil
	}
	name := fmt.Sprintf("unrecognised parameters %s", hex.EncodeToString(params))
	var oid asn1.ObjectIdentifier
	var str string
	if rest, err := asn1.Unmarshal(params, &oid); err == nil && len(rest) == 0 {
		name = "OID " + oid.String()
		if n, ok := curveNames[oid.String()]; ok {
			name = n + ", OID " + oid.String()
		}
	} else if rest, err := asn1.Unmarshal(params, &str); err == nil && len(rest) == 0 {
		name = "the curve named " + fmt.Sprintf("%q", str)
	} else if len(params) > 0 && params[0] == 0x30 {
		name = "explicit (unnamed) curve parameters"
	}
	return 0, &CurveError{Params: append([]byte(nil), params...), Name: name}
}

// publicKeyFromPoint decodes CKA_EC_POINT: a DER OCTET STRING wrapping the
// uncompressed point (PKCS#11 as written, SoftHSM2) or the raw 65-byte point
// (some HSMs). Compressed points are refused.
func publicKeyFromPoint(c signer.Curve, v []byte) (signer.PublicKey, error) {
	point := v
	if len(v) != 65 {
		var inner []byte
		rest, err := asn1.Unmarshal(v, &inner)
		if err != nil || len(rest) != 0 {
			if len(v) == 33 && (v[0] == 2 || v[0] == 3) {
				return signer.PublicKey{}, fmt.Errorf("%w: a compressed point (33 bytes): bpkeys reads uncompressed points only", ErrPointFormat)
			}
			return signer.PublicKey{}, fmt.Errorf("%w: %d bytes, neither a DER OCTET STRING nor a raw 65-byte uncompressed point", ErrPointFormat, len(v))
		}
		point = inner
	}
	switch {
	case len(point) == 65 && point[0] == 4:
	case len(point) == 33 && (point[0] == 2 || point[0] == 3):
		return signer.PublicKey{}, fmt.Errorf("%w: a compressed point (33 bytes): bpkeys reads uncompressed points only", ErrPointFormat)
	default:
		return signer.PublicKey{}, fmt.Errorf("%w: the point is %d bytes starting %#02x, expected 65 bytes starting 04 (uncompressed)", ErrPointFormat, len(point), first(point))
	}
	k, err := signer.PublicKeyFromUncompressed(c, point)
	if err != nil {
		return signer.PublicKey{}, fmt.Errorf("CKA_EC_POINT: %w", err)
	}
	return k, nil
}

func first(b []byte) byte {
	if len(b) == 0 {
		return 0
	}
	return b[0]
}
