package signer_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

// Known answers from nodeos's own test suites (spring libfc
// test_cypher_suites.cpp and unittests/state_history_tests.cpp).
func TestKnownAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, private, public, legacy string
	}{
		{"spring R1", "PVT_R1_iyQmnyPEGvFd8uffnk152WC2WryBjgTrg22fXQryuGL9mU6qW", "PUB_R1_6EPHFSKVYHBjQgxVGQPrwCxTg7BbZ69H9i4gztN9deKTEXYne4", ""},
		{"spring K1 WIF", "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3", "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63", "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"},
		{"spring K1 PVT", "PVT_K1_2bfGi9rYsXQSXXTvJbDAPhHLQUojjaNLomdm3cEJ1XTzMqUt3V", "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63", "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := testsigner.FromString(tc.private)
			if err != nil {
				t.Fatal(err)
			}
			if got := k.PublicKey().String(); got != tc.public {
				t.Errorf("derived %s, want %s", got, tc.public)
			}
			if tc.legacy != "" {
				if got := k.PublicKey().Legacy(); got != tc.legacy {
					t.Errorf("legacy %s, want %s", got, tc.legacy)
				}
			}
			for _, s := range []string{tc.public, tc.legacy} {
				if s == "" {
					continue
				}
				p, err := signer.ParsePublicKey(s)
				if err != nil {
					t.Fatalf("parse %s: %v", s, err)
				}
				if p != k.PublicKey() {
					t.Errorf("parse %s gave another key", s)
				}
			}
		})
	}

	// PUB_K1_12wkB... from spring's state_history_tests has a checksum made
	// with the "K1" suffix (which eos-go v0.10.2 rejects), but its data is
	// 00 ff..ff: not a secp256k1 point, so bpkeys refuses it after the
	// checksum passes. A key nobody can sign with must never enter an
	// authority.
	const springK1 = "PUB_K1_12wkBET2rRgE8pahuaczxKbmv7ciehqsne57F9gtzf1PVb7Rf7o"
	if _, err := signer.ParsePublicKey(springK1); !errors.Is(err, signer.ErrKeyFormat) || errors.Is(err, signer.ErrChecksum) {
		t.Fatalf("parse %s: %v; want a point error after a good checksum", springK1, err)
	}
	bad := springK1[:len(springK1)-1] + "p"
	if _, err := signer.ParsePublicKey(bad); !errors.Is(err, signer.ErrChecksum) {
		t.Fatalf("altered spring key: %v, want checksum error", err)
	}
}

func TestParsePublicKeyErrors(t *testing.T) {
	good := "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63"
	for _, tc := range []struct {
		name, in string
		want     error
		contains string
	}{
		{"wrong checksum", good[:len(good)-1] + "4", signer.ErrChecksum, "checksum"},
		{"truncated", good[:len(good)-5], signer.ErrKeyFormat, "truncated"},
		{"legacy checksum under PUB_K1_", "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV", signer.ErrChecksum, ""},
		{"R1 prefix on K1 data", "PUB_R1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63", signer.ErrChecksum, ""},
		{"wrong prefix", "PUB_X1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63", signer.ErrKeyFormat, "expected PUB_K1_"},
		{"not base58", "PUB_K1_0OIl", signer.ErrKeyFormat, ""},
		{"empty", "", signer.ErrKeyFormat, ""},
		{"webauthn", "PUB_WA_abc", signer.ErrUnsupported, "WebAuthn"},
		{"PVT key", "PVT_K1_2bfGi9rYsXQSXXTvJbDAPhHLQUojjaNLomdm3cEJ1XTzMqUt3V", signer.ErrPrivateKey, "never handles private keys"},
		{"WIF key", "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3", signer.ErrPrivateKey, ""},
		{"mistyped WIF", "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD4", signer.ErrPrivateKey, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := signer.ParsePublicKey(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("err %q lacks %q", err, tc.contains)
			}
			if errors.Is(err, signer.ErrPrivateKey) && strings.Contains(err.Error(), tc.in[8:20]) {
				t.Errorf("error echoes the private key: %v", err)
			}
		})
	}
}

func TestNotOnCurve(t *testing.T) {
	// x = 5 is not the x of a P-256 point with either parity? Search for one that is not.
	for x := byte(1); x < 50; x++ {
		comp := make([]byte, 33)
		comp[0] = 2
		comp[32] = x
		_, errR := signer.NewPublicKey(signer.CurveR1, comp)
		_, errK := signer.NewPublicKey(signer.CurveK1, comp)
		if errR != nil && !errors.Is(errR, signer.ErrNotOnCurve) {
			t.Fatalf("R1 x=%d: %v", x, errR)
		}
		if errK != nil && !errors.Is(errK, signer.ErrNotOnCurve) {
			t.Fatalf("K1 x=%d: %v", x, errK)
		}
		if errR != nil && errK != nil {
			return // found a point on neither curve, both refused
		}
	}
	t.Fatal("every candidate accepted: curve check is not working")
}

func TestSortOrderMatchesNodeos(t *testing.T) {
	var keys []signer.PublicKey
	for i := 0; i < 20; i++ {
		keys = append(keys, testsigner.New(signer.CurveR1).PublicKey(), testsigner.New(signer.CurveK1).PublicKey())
	}
	sort.Slice(keys, func(i, j int) bool { return signer.Compare(keys[i], keys[j]) < 0 })
	for i := 1; i < len(keys); i++ {
		a, b := keys[i-1].Bytes(), keys[i].Bytes()
		if string(a) >= string(b) {
			t.Fatalf("keys %d and %d out of order by their binary form", i-1, i)
		}
	}
	if keys[0].Curve != signer.CurveK1 || keys[len(keys)-1].Curve != signer.CurveR1 {
		t.Fatal("K1 keys must sort before R1 keys")
	}
}

func TestECCRoundTrip(t *testing.T) {
	for _, c := range []signer.Curve{signer.CurveK1, signer.CurveR1} {
		k := testsigner.New(c).PublicKey()
		e := k.ECC()
		if byte(e.Curve) != byte(c) || hex.EncodeToString(e.Content) != k.Hex() {
			t.Fatalf("%s: ECC() = %d %x", c, e.Curve, e.Content)
		}
		back, err := signer.PublicKeyFromECC(e)
		if err != nil || back != k {
			t.Fatalf("%s: back = %v, %v", c, back, err)
		}
	}
}

func TestJSON(t *testing.T) {
	k := testsigner.FromSeed(signer.CurveR1, "json").PublicKey()
	b, err := json.Marshal(map[string]signer.PublicKey{"key": k})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"key":"`+k.String()+`"}` {
		t.Fatalf("json = %s", b)
	}
	var back map[string]signer.PublicKey
	if err := json.Unmarshal(b, &back); err != nil || back["key"] != k {
		t.Fatalf("unmarshal: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"key":"PVT_K1_2bfGi9rYsXQSXXTvJbDAPhHLQUojjaNLomdm3cEJ1XTzMqUt3V"}`), &back); !errors.Is(err, signer.ErrPrivateKey) {
		t.Fatalf("private key in JSON: %v", err)
	}
}

func TestParseCurve(t *testing.T) {
	for in, want := range map[string]signer.Curve{"k1": signer.CurveK1, "K1": signer.CurveK1, "secp256k1": signer.CurveK1, "r1": signer.CurveR1, "P-256": signer.CurveR1} {
		if got, err := signer.ParseCurve(in); err != nil || got != want {
			t.Errorf("ParseCurve(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := signer.ParseCurve("ed25519"); err == nil {
		t.Error("ed25519 accepted")
	}
}
