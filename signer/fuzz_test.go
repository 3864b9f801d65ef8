package signer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

// FuzzParsePublicKey: any input either fails cleanly or yields a key whose
// printed forms parse back to the same key.
func FuzzParsePublicKey(f *testing.F) {
	for _, s := range []string{
		"PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63",
		"EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
		"PUB_R1_6EPHFSKVYHBjQgxVGQPrwCxTg7BbZ69H9i4gztN9deKTEXYne4",
		"PUB_K1_12wkBET2rRgE8pahuaczxKbmv7ciehqsne57F9gtzf1PVb7Rf7o",
		"PVT_K1_x", "EOS", "PUB_R1_", "FIO6", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := signer.ParsePublicKey(s)
		if err != nil {
			return
		}
		for _, form := range []string{k.String(), k.Legacy()} {
			back, err := signer.ParsePublicKey(form)
			if err != nil || back != k {
				t.Fatalf("%q parsed, but its form %q does not parse back: %v", s, form, err)
			}
		}
	})
}

// FuzzParseSignature: parse, format, parse again is the identity, and
// recovery never panics.
func FuzzParseSignature(f *testing.F) {
	k := testsigner.FromSeed(signer.CurveK1, "fuzz")
	r := testsigner.FromSeed(signer.CurveR1, "fuzz")
	d := sha256.Sum256([]byte("fuzz"))
	for _, key := range []*testsigner.Key{k, r} {
		sig, err := key.Sign(context.Background(), d)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(sig.String())
	}
	f.Add("SIG_K1_")
	f.Add("SIG_R1_1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111")
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := signer.ParseSignature(s)
		if err != nil {
			return
		}
		back, err := signer.ParseSignature(sig.String())
		if err != nil || back != sig {
			t.Fatalf("round trip of %q: %v", s, err)
		}
		_, _ = sig.Recover(d[:])
		_ = sig.IsCanonical()
	})
}

// FuzzCompact feeds arbitrary device output to the DER/raw conversion: it
// must never panic, and whatever it accepts must verify to the key.
func FuzzCompact(f *testing.F) {
	keys := []*testsigner.Key{testsigner.FromSeed(signer.CurveK1, "c"), testsigner.FromSeed(signer.CurveR1, "c")}
	d := sha256.Sum256([]byte("compact"))
	for _, k := range keys {
		f.Add(uint8(k.PublicKey().Curve), k.DER(d[:]))
		f.Add(uint8(k.PublicKey().Curve), k.Raw(d[:]))
	}
	f.Add(uint8(0), []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	f.Add(uint8(1), bytes.Repeat([]byte{0xff}, 64))
	f.Fuzz(func(t *testing.T, curve uint8, dev []byte) {
		k := keys[curve&1]
		sig, err := signer.Compact(k.PublicKey(), d[:], dev)
		if err != nil {
			return
		}
		got, err := sig.Recover(d[:])
		if err != nil || got != k.PublicKey() || !sig.IsLowS() {
			t.Fatalf("accepted device output that does not verify: %x", dev)
		}
	})
}

// FuzzParseRef: references either fail or print to a form that parses to
// the same reference; no pin-value ever survives parsing.
func FuzzParseRef(f *testing.F) {
	f.Add("pkcs11:token=bp-hsm;object=claim?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:BPKEYS_PIN")
	f.Add("yubikey:serial=12345678;slot=9c")
	f.Add("pkcs11:token=a%20b;id=%01?pin-value=1")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := signer.ParseRef(s)
		if err != nil {
			return
		}
		if r.Get("pin-value") != "" {
			t.Fatal("pin-value accepted")
		}
		back, err := signer.ParseRef(r.String())
		if err != nil || back.String() != r.String() {
			t.Fatalf("round trip of %q -> %q: %v", s, r.String(), err)
		}
	})
}
