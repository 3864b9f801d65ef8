package signer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

func sampleTx(t *testing.T) *eos.SignedTransaction {
	t.Helper()
	tx := &eos.Transaction{
		TransactionHeader: eos.TransactionHeader{
			Expiration:     eos.JSONTime{Time: time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC)},
			RefBlockNum:    1234,
			RefBlockPrefix: 0xdeadbeef,
		},
		Actions: []*eos.Action{{
			Account:       "eosio",
			Name:          "claimrewards",
			Authorization: []eos.PermissionLevel{{Actor: "bpteam111111", Permission: "claim"}},
			ActionData:    eos.NewActionDataFromHexData([]byte{0x10, 0x42, 0x08, 0x21, 0x43, 0x65, 0x87, 0x3c}),
		}},
	}
	return eos.NewSignedTransaction(tx)
}

func TestSignPackedExactKeys(t *testing.T) {
	id, _ := signer.ParseChainID(mainnetChainID)
	a, b, extra := testsigner.New(signer.CurveK1), testsigner.New(signer.CurveR1), testsigner.New(signer.CurveK1)
	trx := []byte("some packed transaction")
	required := []signer.PublicKey{b.PublicKey(), a.PublicKey(), a.PublicKey()}
	sigs, err := signer.SignPacked(context.Background(), id, trx, nil, required, []signer.Signer{a, b, extra})
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 2 {
		t.Fatalf("%d signatures, want 2 (duplicates signed once, extra key unused)", len(sigs))
	}
	if extra.Calls != 0 {
		t.Fatal("a key that is not required was asked to sign: nodeos rejects irrelevant signatures")
	}
	d := signer.Digest(id, trx, nil)
	for i, want := range []signer.PublicKey{b.PublicKey(), a.PublicKey()} {
		if err := sigs[i].Verify(d[:], want); err != nil {
			t.Errorf("signature %d: %v", i, err)
		}
	}

	missing := testsigner.New(signer.CurveR1).PublicKey()
	fresh := testsigner.New(signer.CurveK1)
	_, err = signer.SignPacked(context.Background(), id, trx, nil, []signer.PublicKey{fresh.PublicKey(), missing}, []signer.Signer{fresh})
	var mse *signer.MissingSignerError
	if !errors.As(err, &mse) || len(mse.Keys) != 1 || mse.Keys[0] != missing || !strings.Contains(err.Error(), missing.String()) {
		t.Fatalf("missing signer: %v", err)
	}
	if fresh.Calls != 0 {
		t.Fatal("signing started although a required key had no signer: nothing may be half-signed")
	}
}

func TestSignTransactionAgreesWithEOSGoDigest(t *testing.T) {
	id, _ := signer.ParseChainID(mainnetChainID)
	k1, r1 := testsigner.New(signer.CurveK1), testsigner.New(signer.CurveR1)
	out := sampleTx(t)
	keys := []signer.PublicKey{k1.PublicKey(), r1.PublicKey()}
	if err := signer.SignTransaction(context.Background(), out, id, keys, []signer.Signer{k1, r1}); err != nil {
		t.Fatal(err)
	}
	if len(out.Signatures) != 2 {
		t.Fatalf("%d signatures", len(out.Signatures))
	}
	packed, cfd, err := out.PackedTransactionAndCFD()
	if err != nil {
		t.Fatal(err)
	}
	// eos-go's own digest agrees with ours.
	d := signer.Digest(id, packed, cfd)
	if string(eos.SigDigest(id[:], packed, cfd)) != string(d[:]) {
		t.Fatal("digest differs from eos-go's SigDigest")
	}
	for i, want := range keys {
		s, err := signer.SignatureFromECC(out.Signatures[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Verify(d[:], want); err != nil {
			t.Errorf("signature %d: %v", i, err)
		}
	}
	// Signing again with the same keys adds nothing.
	if err := signer.SignTransaction(context.Background(), out, id, []signer.PublicKey{k1.PublicKey()}, []signer.Signer{k1}); err != nil || len(out.Signatures) != 2 {
		t.Fatalf("re-sign: %v, %d signatures", err, len(out.Signatures))
	}
}

func TestParseRef(t *testing.T) {
	for _, tc := range []struct {
		in      string
		check   func(signer.Ref) bool
		wantErr string
	}{
		{in: "pkcs11:token=bp-hsm;object=claim?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:BPKEYS_PIN",
			check: func(r signer.Ref) bool {
				return r.Scheme == "pkcs11" && r.Get("token") == "bp-hsm" && r.Get("object") == "claim" &&
					r.Get("module-path") == "/usr/lib/softhsm/libsofthsm2.so" && r.Get("pin-source") == "env:BPKEYS_PIN"
			}},
		{in: "pkcs11:token=My%20Token;id=%01%02", check: func(r signer.Ref) bool { return r.Get("token") == "My Token" && r.Get("id") == "\x01\x02" }},
		{in: "yubikey:serial=12345678;slot=9c", check: func(r signer.Ref) bool { return r.Scheme == "yubikey" && r.Get("slot") == "9c" }},
		{in: "YubiKey:slot=9a", check: func(r signer.Ref) bool { return r.Scheme == "yubikey" }},
		{in: "pkcs11:token=t;object=o?pin-value=1234", wantErr: "pin-value is refused"},
		{in: "pkcs11:token=t;pin-value=1234", wantErr: "pin-value is refused"},
		{in: "pkcs11:token=t;colour=red", wantErr: "unknown attribute \"colour\""},
		{in: "pkcs11:token=t;token=u", wantErr: "given twice"},
		{in: "pkcs11:token", wantErr: "no value"},
		{in: "tpm:key=1", wantErr: "unknown scheme"},
		{in: "just-a-name", wantErr: "expected a pkcs11: or yubikey: reference"},
		{in: "yubikey:slot=9c;object=x", wantErr: "valid: serial, slot"},
	} {
		r, err := signer.ParseRef(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseRef(%q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "1234") {
				t.Errorf("error echoes a PIN: %v", err)
			}
			continue
		}
		if err != nil || !tc.check(r) {
			t.Errorf("ParseRef(%q) = %+v, %v", tc.in, r, err)
			continue
		}
		back, err := signer.ParseRef(r.String())
		if err != nil || back.String() != r.String() {
			t.Errorf("round trip of %q: %q, %v", tc.in, r.String(), err)
		}
	}
}
