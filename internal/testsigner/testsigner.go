// Package testsigner holds in-memory EOSIO keys for tests only. It produces
// raw ECDSA signatures with random nonces, exactly as a device would (DER or
// r||s, high S half of the time), and signs through signer.SignRaw, so tests
// exercise the same conversion path as hardware. No production code imports
// it: bpkeys never holds private keys outside tests and the labelled demo.
package testsigner

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strings"
	"sync"

	"filippo.io/nistec"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	//lint:ignore SA1019 EOSIO private key strings carry RIPEMD-160 checksums.
	"golang.org/x/crypto/ripemd160"

	"github.com/bpkeys/bpkeys/signer"
)

var (
	nK1, _ = new(big.Int).SetString("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", 16)
	nR1, _ = new(big.Int).SetString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)
)

// Key is an in-memory key pair implementing signer.Signer.
type Key struct {
	curve signer.Curve
	d     *big.Int
	pub   signer.PublicKey

	mu    sync.Mutex
	busy  bool
	Calls int // device signatures made, for tests of the retry loop
}

func order(c signer.Curve) *big.Int {
	if c == signer.CurveK1 {
		return nK1
	}
	return nR1
}

// New makes a random key on curve c.
func New(c signer.Curve) *Key {
	for {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			panic(err)
		}
		if k, err := FromScalar(c, b[:]); err == nil {
			return k
		}
	}
}

// FromSeed makes a reproducible key from a seed string.
func FromSeed(c signer.Curve, seed string) *Key {
	h := sha256.Sum256([]byte(seed))
	k, err := FromScalar(c, h[:])
	if err != nil {
		panic(err)
	}
	return k
}

// FromScalar makes a key from a 32-byte big-endian private scalar.
func FromScalar(c signer.Curve, d []byte) (*Key, error) {
	di := new(big.Int).SetBytes(d)
	if di.Sign() == 0 || di.Cmp(order(c)) >= 0 {
		return nil, fmt.Errorf("scalar out of range")
	}
	var b [32]byte
	di.FillBytes(b[:])
	comp, err := baseMultCompressed(c, b[:])
	if err != nil {
		return nil, err
	}
	pub, err := signer.NewPublicKey(c, comp)
	if err != nil {
		return nil, err
	}
	return &Key{curve: c, d: di, pub: pub}, nil
}

// FromString reads a PVT_K1_/PVT_R1_ or WIF string (test vectors only).
func FromString(s string) (*Key, error) {
	switch {
	case strings.HasPrefix(s, "PVT_K1_"), strings.HasPrefix(s, "PVT_R1_"):
		c := signer.CurveK1
		if s[4:6] == "R1" {
			c = signer.CurveR1
		}
		raw := b58decode(s[7:])
		if len(raw) != 36 {
			return nil, fmt.Errorf("bad length")
		}
		h := ripemd160.New()
		h.Write(raw[:32])
		h.Write([]byte(c.String()))
		if !bytes.Equal(h.Sum(nil)[:4], raw[32:]) {
			return nil, fmt.Errorf("bad checksum")
		}
		return FromScalar(c, raw[:32])
	default:
		raw := b58decode(s)
		if len(raw) != 37 || raw[0] != 0x80 {
			return nil, fmt.Errorf("not WIF")
		}
		a := sha256.Sum256(raw[:33])
		b := sha256.Sum256(a[:])
		if !bytes.Equal(b[:4], raw[33:]) {
			return nil, fmt.Errorf("bad WIF checksum")
		}
		return FromScalar(signer.CurveK1, raw[1:33])
	}
}

func b58decode(s string) []byte {
	const alpha = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	n := new(big.Int)
	for _, c := range s {
		i := strings.IndexRune(alpha, c)
		if i < 0 {
			return nil
		}
		n.Mul(n, big.NewInt(58)).Add(n, big.NewInt(int64(i)))
	}
	return n.Bytes()
}

func baseMultCompressed(c signer.Curve, k []byte) ([]byte, error) {
	if c == signer.CurveR1 {
		p, err := nistec.NewP256Point().ScalarBaseMult(k)
		if err != nil {
			return nil, err
		}
		return p.BytesCompressed(), nil
	}
	var s secp256k1.ModNScalar
	s.SetByteSlice(k)
	var j secp256k1.JacobianPoint
	secp256k1.ScalarBaseMultNonConst(&s, &j)
	j.ToAffine()
	return secp256k1.NewPublicKey(&j.X, &j.Y).SerializeCompressed(), nil
}

// baseMultX returns the affine x coordinate of k·G.
func baseMultX(c signer.Curve, k []byte) *big.Int {
	comp, err := baseMultCompressed(c, k)
	if err != nil {
		panic(err)
	}
	return new(big.Int).SetBytes(comp[1:])
}

// PublicKey returns the key's EOSIO public key.
func (k *Key) PublicKey() signer.PublicKey { return k.pub }

// Describe labels the key as what it is.
func (k *Key) Describe() string { return "in-memory test key " + k.pub.String() }

// RawRS makes one plain ECDSA signature with a random nonce, neither
// normalised nor canonicalised, as a device returns it.
func (k *Key) RawRS(digest []byte) (r, s *big.Int) {
	n := order(k.curve)
	e := new(big.Int).SetBytes(digest)
	for {
		var kb [32]byte
		if _, err := rand.Read(kb[:]); err != nil {
			panic(err)
		}
		nonce := new(big.Int).SetBytes(kb[:])
		if nonce.Sign() == 0 || nonce.Cmp(n) >= 0 {
			continue
		}
		r = baseMultX(k.curve, kb[:])
		r.Mod(r, n)
		if r.Sign() == 0 {
			continue
		}
		s = new(big.Int).Mul(r, k.d)
		s.Add(s, e)
		s.Mul(s, new(big.Int).ModInverse(nonce, n))
		s.Mod(s, n)
		if s.Sign() == 0 {
			continue
		}
		return r, s
	}
}

// DER returns RawRS encoded as ASN.1 DER, as PIV cards answer.
func (k *Key) DER(digest []byte) []byte {
	r, s := k.RawRS(digest)
	b, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if err != nil {
		panic(err)
	}
	return b
}

// Raw returns RawRS as 64 bytes r||s, as PKCS#11 CKM_ECDSA answers.
func (k *Key) Raw(digest []byte) []byte {
	r, s := k.RawRS(digest)
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out
}

// Sign signs through signer.SignRaw, alternating DER and raw device output.
// Concurrent calls are serialised like a device's, and a call that overlaps
// another panics, so the conformance suite notices a missing lock.
func (k *Key) Sign(ctx context.Context, digest [32]byte) (signer.Signature, error) {
	if err := ctx.Err(); err != nil {
		return signer.Signature{}, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.busy {
		panic("overlapping device calls")
	}
	k.busy = true
	defer func() { k.busy = false }()
	return signer.SignRaw(ctx, k.pub, digest, func(ctx context.Context, d []byte) ([]byte, error) {
		k.Calls++
		if k.Calls%2 == 0 {
			return k.DER(d), nil
		}
		return k.Raw(d), nil
	})
}
