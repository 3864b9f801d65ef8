package signer

import (
	"fmt"
	"math/big"
)

// Curve is an EOSIO key type, numbered as in its binary encoding.
type Curve byte

// The key types bpkeys handles. WebAuthn (WA, type 2) keys are recognised in
// errors but cannot be used.
const (
	CurveK1 Curve = 0 // secp256k1
	CurveR1 Curve = 1 // NIST P-256 (secp256r1), the only curve of YubiKey PIV
)

// String returns "K1" or "R1".
func (c Curve) String() string {
	switch c {
	case CurveK1:
		return "K1"
	case CurveR1:
		return "R1"
	case 2:
		return "WA"
	}
	return fmt.Sprintf("curve(%d)", byte(c))
}

// Name returns the curve's standard name (secp256k1 or P-256).
func (c Curve) Name() string {
	switch c {
	case CurveK1:
		return "secp256k1"
	case CurveR1:
		return "P-256"
	}
	return c.String()
}

func (c Curve) valid() bool { return c == CurveK1 || c == CurveR1 }

// ParseCurve accepts k1, r1, secp256k1, p256, p-256, secp256r1 (any case).
func ParseCurve(s string) (Curve, error) {
	switch lower(s) {
	case "k1", "secp256k1":
		return CurveK1, nil
	case "r1", "p256", "p-256", "secp256r1", "prime256v1":
		return CurveR1, nil
	}
	return 0, fmt.Errorf("unknown curve %q: use k1 (secp256k1) or r1 (P-256)", s)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func mustHex(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("bad constant " + s)
	}
	return n
}

var (
	k1N     = mustHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141")
	r1N     = mustHex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551")
	r1P     = mustHex("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF")
	k1HalfN = new(big.Int).Rsh(k1N, 1)
	r1HalfN = new(big.Int).Rsh(r1N, 1)
)

// order returns the group order n of the curve.
func (c Curve) order() *big.Int {
	if c == CurveK1 {
		return k1N
	}
	return r1N
}

func (c Curve) halfOrder() *big.Int {
	if c == CurveK1 {
		return k1HalfN
	}
	return r1HalfN
}
