package bls_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/internal/blstest"
	"github.com/bpkeys/bpkeys/signer/bls"
)

type popVectors struct {
	Pairs []struct {
		PublicKey string `json:"public_key"`
		PoP       string `json:"proof_of_possession"`
	} `json:"pairs"`
}

type fcStrings struct {
	PublicKey  string   `json:"public_key"`
	Signature  string   `json:"signature"`
	PrivateKey string   `json:"private_key_refused"`
	Refused    []string `json:"refused"`
}

func loadJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func loadPairs(t testing.TB) popVectors {
	var v popVectors
	loadJSON(t, "pop-vectors.json", &v)
	if len(v.Pairs) < 2 {
		t.Fatalf("want at least 2 vectors, have %d", len(v.Pairs))
	}
	return v
}

// Spring's strings parse and print back byte for byte.
func TestSpringStringsRoundTrip(t *testing.T) {
	v := loadPairs(t)
	var fc fcStrings
	loadJSON(t, "fc-strings.json", &fc)
	keys := []string{fc.PublicKey}
	sigs := []string{fc.Signature}
	for _, p := range v.Pairs {
		keys = append(keys, p.PublicKey)
		sigs = append(sigs, p.PoP)
	}
	for _, s := range keys {
		k, err := bls.ParsePublicKey(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if k.String() != s {
			t.Errorf("printed %s, want %s", k, s)
		}
		raw := k.Bytes()
		k2, err := bls.PublicKeyFromBytes(raw[:])
		if err != nil || !k2.Equal(k) {
			t.Errorf("raw bytes of %s do not read back: %v", s, err)
		}
	}
	for _, s := range sigs {
		sig, err := bls.ParseSignature(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if sig.String() != s {
			t.Errorf("printed %s, want %s", sig, s)
		}
	}
}

// The strings fc refuses in test_bls.cpp are refused.
func TestSpringRefusedStrings(t *testing.T) {
	var fc fcStrings
	loadJSON(t, "fc-strings.json", &fc)
	for _, s := range fc.Refused {
		var err error
		if strings.Contains(s, "SIG") || strings.HasPrefix(s, "Rrwv") {
			_, err = bls.ParseSignature(s)
		} else {
			_, err = bls.ParsePublicKey(s)
		}
		if err == nil {
			t.Errorf("%s parsed", s)
		}
	}
}

// Every one-character change of a valid string is refused: the prefix, each
// base64url character (including the last one, whose low bits are padding)
// replaced by every other character of the alphabet.
func TestEveryOneCharacterCorruptionRefused(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var fc fcStrings
	loadJSON(t, "fc-strings.json", &fc)
	cases := []struct {
		s     string
		parse func(string) error
	}{
		{fc.PublicKey, func(s string) error { _, err := bls.ParsePublicKey(s); return err }},
		{fc.Signature, func(s string) error { _, err := bls.ParseSignature(s); return err }},
	}
	if testing.Short() {
		cases = cases[:1]
	}
	for _, c := range cases {
		n := 0
		for i := 0; i < len(c.s); i++ {
			repl := alphabet + "=. \n"
			if i < 8 {
				repl = "PUBSIGVTKR_LX"
			}
			for _, r := range repl {
				if byte(r) == c.s[i] {
					continue
				}
				bad := c.s[:i] + string(r) + c.s[i+1:]
				if err := c.parse(bad); err == nil {
					t.Fatalf("corruption at %d (%q) parsed", i, r)
				}
				n++
			}
		}
		if n < 60*len(c.s)-600 {
			t.Fatalf("only %d corruptions tried", n)
		}
		// Dropping or adding a character is refused too.
		if c.parse(c.s[:len(c.s)-1]) == nil || c.parse(c.s+"A") == nil {
			t.Fatal("a string of the wrong length parsed")
		}
	}
}

// The proofs in Spring's launcher.py verify against their keys and against
// no other key.
func TestLauncherProofsVerify(t *testing.T) {
	v := loadPairs(t)
	for i, p := range v.Pairs {
		if _, err := bls.VerifyPossessionStrings(p.PublicKey, p.PoP); err != nil {
			t.Errorf("pair %d: %v", i, err)
		}
		other := v.Pairs[(i+1)%len(v.Pairs)]
		_, err := bls.VerifyPossessionStrings(other.PublicKey, p.PoP)
		if !errors.Is(err, bls.ErrPossession) {
			t.Errorf("proof %d with key %d: got %v, want ErrPossession", i, (i+1)%len(v.Pairs), err)
		}
	}
}

// Pairs made here (same construction as spring-util) verify, and a
// signature over anything but the key under the PoP tag does not.
func TestGeneratedPairs(t *testing.T) {
	a, b := blstest.NewPair("a"), blstest.NewPair("b")
	if err := bls.VerifyPossession(a.Key, a.PoP); err != nil {
		t.Fatal(err)
	}
	if err := bls.VerifyPossession(b.Key, a.PoP); !errors.Is(err, bls.ErrPossession) {
		t.Fatalf("proof of a with key b: %v", err)
	}
	msg := a.Key.Bytes()
	wrongTag, err := blstest.Sign("a", msg[:], "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_")
	if err != nil {
		t.Fatal(err)
	}
	if err := bls.VerifyPossession(a.Key, wrongTag); !errors.Is(err, bls.ErrPossession) {
		t.Fatalf("signature under the plain tag accepted as a proof: %v", err)
	}
	if err := bls.VerifyPossession(bls.PublicKey{}, a.PoP); !errors.Is(err, bls.ErrPossession) {
		t.Fatalf("zero key: %v", err)
	}
}

// A private key is refused with ErrPrivateKey and never echoed.
func TestPrivateKeyRefusedNotEchoed(t *testing.T) {
	var fc fcStrings
	loadJSON(t, "fc-strings.json", &fc)
	secret := fc.PrivateKey[len("PVT_BLS_"):]
	for _, s := range []string{fc.PrivateKey, strings.ToLower(fc.PrivateKey[:4]) + fc.PrivateKey[4:]} {
		_, err1 := bls.ParsePublicKey(s)
		_, err2 := bls.ParseSignature(s)
		_, err3 := bls.DecodePublicKey(s)
		for _, err := range []error{err1, err2, err3} {
			if !errors.Is(err, bls.ErrPrivateKey) {
				t.Fatalf("got %v, want ErrPrivateKey", err)
			}
			if strings.Contains(err.Error(), secret[:6]) {
				t.Fatal("the error echoes the private key")
			}
		}
	}
}
