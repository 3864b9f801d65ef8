package piv_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	gopiv "github.com/go-piv/piv-go/v2/piv"

	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/hsm/piv"
	"github.com/bpkeys/bpkeys/internal/oracle"
	"github.com/bpkeys/bpkeys/internal/pivcard"
	"github.com/bpkeys/bpkeys/internal/pivcard/pivtest"
	"github.com/bpkeys/bpkeys/pinentry"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/signer/signertest"
)

const mgmtHex = "010203040506070801020304050607080102030405060708"

// These tests run the backend against the project's emulated YubiKey 5
// through the real pcscd and vsmartcard-vpcd: piv-go reaches the card exactly
// as it reaches a real one.

// env holds a backend whose PINs come from a test-controlled map and whose
// notices are recorded.
type env struct {
	b       *piv.Backend
	mu      sync.Mutex
	pin     string
	asked   int
	notices []string
}

func newEnv(t *testing.T, cards ...*pivtest.Card) *env {
	t.Helper()
	var readers []string
	for _, c := range cards {
		readers = append(readers, c.Reader)
	}
	roots, err := pivcard.AttestationRoots()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{pin: pivcard.DefaultPIN}
	e.b = piv.New(piv.Options{
		Readers:          readers,
		AttestationRoots: roots,
		Notify: func(msg string) {
			e.mu.Lock()
			e.notices = append(e.notices, msg)
			e.mu.Unlock()
		},
		ReadSecret: func(src pinentry.Source, label string) ([]byte, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			if strings.HasPrefix(label, "Management key") {
				return []byte(mgmtHex), nil
			}
			e.asked++
			return []byte(e.pin), nil
		},
	})
	return e
}

func ref(t *testing.T, card *pivtest.Card, slot string) signer.Ref {
	t.Helper()
	r, err := signer.ParseRef(fmt.Sprintf("yubikey:serial=%d;slot=%s", card.Serial(), slot))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func generate(t *testing.T, e *env, r signer.Ref, pinPolicy, touchPolicy string) signer.PublicKey {
	t.Helper()
	pub, err := e.b.Generate(context.Background(), r, devices.GenerateOptions{Curve: signer.CurveR1, PINPolicy: pinPolicy, TouchPolicy: touchPolicy})
	if err != nil {
		t.Fatalf("generate %s: %v", r, err)
	}
	if pub.Curve != signer.CurveR1 {
		t.Fatalf("generated a %s key", pub.Curve)
	}
	return pub
}

func open(t *testing.T, e *env, r signer.Ref) devices.Key {
	t.Helper()
	k, err := e.b.Open(context.Background(), r)
	if err != nil {
		t.Fatalf("open %s: %v", r, err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// TestConformanceEachPINPolicy runs the signer conformance suite on keys with
// PIN policy once, always, and never (the last generated with piv-go
// directly, since bpkeys refuses to make such keys).
func TestConformanceEachPINPolicy(t *testing.T) {
	card := pivtest.NewCard(t)
	e := newEnv(t, card)

	r9a := ref(t, card, "9a")
	pubOnce := generate(t, e, r9a, "once", "never")
	r9c := ref(t, card, "9c")
	pubAlways := generate(t, e, r9c, "always", "always")

	yk, err := gopiv.Open(card.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := yk.GenerateKey(pivcard.DefaultManagementKey, gopiv.SlotKeyManagement, gopiv.Key{Algorithm: gopiv.AlgorithmEC256, PINPolicy: gopiv.PINPolicyNever, TouchPolicy: gopiv.TouchPolicyNever})
	if err != nil {
		t.Fatal(err)
	}
	yk.Close()
	pubNever, err := signer.PublicKeyFromECDSA(pk.(*ecdsa.PublicKey))
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		slot string
		pub  signer.PublicKey
	}{{"9a", pubOnce}, {"9c", pubAlways}, {"9d", pubNever}} {
		t.Run("slot-"+tc.slot, func(t *testing.T) {
			k := open(t, e, ref(t, card, tc.slot))
			if k.PublicKey() != tc.pub {
				t.Fatalf("opened %s, generated %s", k.PublicKey(), tc.pub)
			}
			signertest.Run(t, k, signertest.Options{Signatures: 10, Concurrent: 3})
		})
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	touchNotices := 0
	for _, n := range e.notices {
		if strings.Contains(n, "Touch your YubiKey") {
			touchNotices++
		}
	}
	if touchNotices == 0 {
		t.Error("no 'Touch your YubiKey' notice for the touch-always slot")
	}
	if e.asked == 0 {
		t.Error("the PIN was never asked for")
	}
}

// TestOracle300 signs 300 varied transactions on the emulated YubiKey
// through pcscd; wharfkit and eosjs must recover each to the key Inventory
// (the `keys list` path) printed; Go asserts low S.
func TestOracle300(t *testing.T) {
	card := pivtest.NewCard(t)
	e := newEnv(t, card)
	r := ref(t, card, "9c")
	generate(t, e, r, "once", "never")

	inv, err := e.b.Inventory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var listed signer.PublicKey
	for _, k := range inv.Keys {
		if k.Ref == r.String() || k.Ref == fmt.Sprintf("yubikey:serial=%d;slot=9c", card.Serial()) {
			listed = k.PublicKey
		}
	}
	if listed.IsZero() {
		t.Fatalf("inventory does not list %s: %+v", r, inv.Keys)
	}
	k := open(t, e, r)
	chainID, _ := signer.ParseChainID("73e4385a2708e6d7048834fbc1079f2fabb17b3c125b146af438971e90716c4d")
	var vectors []oracle.Vector
	for i := 0; i < 300; i++ {
		trx := make([]byte, 40+i%200)
		if _, err := rand.Read(trx); err != nil {
			t.Fatal(err)
		}
		d := signer.Digest(chainID, trx, nil)
		sig, err := k.Sign(context.Background(), d)
		if err != nil {
			t.Fatalf("signature %d: %v", i, err)
		}
		signertest.Check(t, sig, d, listed)
		v := oracle.NewVector(chainID, trx, nil, sig, listed)
		v.Digest = hex.EncodeToString(d[:]) // random bytes are not a decodable transaction
		vectors = append(vectors, v)
	}
	oracle.CheckVectors(t, vectors)
}

func TestInventory(t *testing.T) {
	card := pivtest.NewCard(t)
	e := newEnv(t, card)
	pub := generate(t, e, ref(t, card, "9c"), "always", "cached")
	inv, err := e.b.Inventory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var dev *devices.DeviceInfo
	for i := range inv.Devices {
		if inv.Devices[i].Serial == fmt.Sprint(card.Serial()) {
			dev = &inv.Devices[i]
		}
	}
	if dev == nil || dev.Details["firmware"] != "5.7.1" || dev.Details["pin_retries"] != "3" {
		t.Fatalf("device: %+v", dev)
	}
	var ki *devices.KeyInfo
	for i := range inv.Keys {
		if inv.Keys[i].PublicKey == pub {
			ki = &inv.Keys[i]
		}
	}
	if ki == nil {
		t.Fatal("generated key not listed")
	}
	want := map[string]string{"pin_policy": "always", "touch_policy": "cached", "origin": "generated"}
	for k, v := range want {
		if ki.Details[k] != v {
			t.Errorf("%s = %q, want %q", k, ki.Details[k], v)
		}
	}
	if _, err := signer.ParseRef(ki.Ref); err != nil || !strings.Contains(ki.Ref, "slot=9c") {
		t.Errorf("ref %q", ki.Ref)
	}
}

func TestAttestation(t *testing.T) {
	card := pivtest.NewCard(t)
	e := newEnv(t, card)
	pub := generate(t, e, ref(t, card, "9c"), "once", "always")
	att, err := e.b.Attest(context.Background(), ref(t, card, "9c"))
	if err != nil {
		t.Fatal(err)
	}
	if !att.Verified || !att.Generated || att.PublicKey != pub || att.Serial != fmt.Sprint(card.Serial()) ||
		att.PINPolicy != "once" || att.TouchPolicy != "always" || att.Firmware != "5.7.1" || !strings.Contains(att.Certificate, "BEGIN CERTIFICATE") {
		t.Fatalf("attestation: %+v", att)
	}

	// Verified against Yubico's roots instead, the emulator's attestation fails.
	strict := piv.New(piv.Options{Readers: []string{card.Reader}, ReadSecret: func(pinentry.Source, string) ([]byte, error) { return []byte(pivcard.DefaultPIN), nil }})
	if _, err := strict.Attest(context.Background(), ref(t, card, "9c")); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("emulator attestation accepted by Yubico's roots: %v", err)
	}

	// An imported key cannot be attested, and bpkeys says so.
	yk, err := gopiv.Open(card.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := yk.SetPrivateKeyInsecure(pivcard.DefaultManagementKey, gopiv.SlotAuthentication, priv, gopiv.Key{PINPolicy: gopiv.PINPolicyOnce, TouchPolicy: gopiv.TouchPolicyNever}); err != nil {
		t.Fatal(err)
	}
	yk.Close()
	_, err = e.b.Attest(context.Background(), ref(t, card, "9a"))
	if !errors.Is(err, piv.ErrNotAttestable) {
		t.Fatalf("imported key: %v", err)
	}
}

func TestErrors(t *testing.T) {
	card := pivtest.NewCard(t)
	e := newEnv(t, card)
	r := ref(t, card, "9c")
	generate(t, e, r, "always", "never")
	ctx := context.Background()
	d := sha256.Sum256([]byte("errors"))

	t.Run("empty slot", func(t *testing.T) {
		_, err := e.b.Open(ctx, ref(t, card, "9e"))
		if !errors.Is(err, piv.ErrEmptySlot) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("K1 asked", func(t *testing.T) {
		_, err := e.b.Generate(ctx, ref(t, card, "9d"), devices.GenerateOptions{Curve: signer.CurveK1})
		if !errors.Is(err, piv.ErrK1Unsupported) || !strings.Contains(err.Error(), "--curve r1") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("occupied slot", func(t *testing.T) {
		_, err := e.b.Generate(ctx, r, devices.GenerateOptions{Curve: signer.CurveR1})
		if !errors.Is(err, piv.ErrSlotOccupied) || !strings.Contains(err.Error(), "--force") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unknown serial", func(t *testing.T) {
		other, _ := signer.ParseRef("yubikey:serial=1;slot=9c")
		_, err := e.b.Open(ctx, other)
		var nf *piv.NotFoundError
		if !errors.As(err, &nf) || !strings.Contains(err.Error(), fmt.Sprint(card.Serial())) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("wrong PIN then blocked", func(t *testing.T) {
		k := open(t, e, r)
		e.mu.Lock()
		e.pin = "999999"
		e.mu.Unlock()
		_, err := k.Sign(ctx, d)
		var pe *piv.PINError
		if !errors.As(err, &pe) || pe.Retries != 2 || !strings.Contains(err.Error(), "2 tries left") || strings.Contains(err.Error(), "999999") {
			t.Fatalf("first wrong PIN: %v", err)
		}
		_, err = k.Sign(ctx, d)
		if !errors.As(err, &pe) || pe.Retries != 1 {
			t.Fatalf("second wrong PIN: %v", err)
		}
		_, err = k.Sign(ctx, d)
		if !errors.Is(err, piv.ErrPINBlocked) || !strings.Contains(err.Error(), "PUK") {
			t.Fatalf("third wrong PIN: %v", err)
		}
		e.mu.Lock()
		e.pin = pivcard.DefaultPIN
		e.mu.Unlock()
		_, err = k.Sign(ctx, d)
		if !errors.Is(err, piv.ErrPINBlocked) {
			t.Fatalf("right PIN on a blocked card: %v", err)
		}
	})
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	d := sha256.Sum256([]byte("faults"))

	t.Run("removed mid-signature", func(t *testing.T) {
		card := pivtest.NewCard(t)
		e := newEnv(t, card)
		r := ref(t, card, "9c")
		generate(t, e, r, "once", "never")
		k := open(t, e, r)
		card.RemoveOnINS(0x87) // GENERAL AUTHENTICATE: the signature itself
		_, err := k.Sign(ctx, d)
		if !errors.Is(err, piv.ErrCardRemoved) && !errors.Is(err, piv.ErrNoYubiKey) {
			t.Fatalf("err = %v", err)
		}
		if !strings.Contains(err.Error(), "removed") {
			t.Errorf("message does not say the key was removed: %v", err)
		}
		card.Reinsert(t)
		sig, err := k.Sign(ctx, d)
		if err != nil {
			t.Fatalf("after reinsertion: %v", err)
		}
		signertest.Check(t, sig, d, k.PublicKey())
	})
	t.Run("touch timeout", func(t *testing.T) {
		card := pivtest.NewCard(t)
		e := newEnv(t, card)
		r := ref(t, card, "9c")
		generate(t, e, r, "once", "always")
		k := open(t, e, r)
		card.SetTouchTimeout(true)
		_, err := k.Sign(ctx, d)
		if !errors.Is(err, piv.ErrTouchTimeout) {
			t.Fatalf("err = %v", err)
		}
		card.SetTouchTimeout(false)
		if _, err := k.Sign(ctx, d); err != nil {
			t.Fatalf("after touching: %v", err)
		}
	})
	t.Run("several YubiKeys and no serial", func(t *testing.T) {
		a, b := pivtest.NewCard(t), pivtest.NewCard(t)
		e := newEnv(t, a, b)
		bare, _ := signer.ParseRef("yubikey:slot=9c")
		_, err := e.b.Open(ctx, bare)
		var se *piv.SeveralError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), fmt.Sprint(a.Serial())) || !strings.Contains(err.Error(), fmt.Sprint(b.Serial())) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no YubiKey", func(t *testing.T) {
		b := piv.New(piv.Options{ReaderFilter: "no-such-reader-name"})
		bare, _ := signer.ParseRef("yubikey:slot=9c")
		if _, err := b.Open(ctx, bare); !errors.Is(err, piv.ErrNoYubiKey) {
			t.Fatalf("err = %v", err)
		}
		inv, err := b.Inventory(ctx)
		if err != nil || len(inv.Devices) != 0 {
			t.Fatalf("inventory with no YubiKey: %+v, %v", inv, err)
		}
	})
	t.Run("wrong management key", func(t *testing.T) {
		card := pivtest.NewCard(t)
		b := piv.New(piv.Options{Readers: []string{card.Reader}, ReadSecret: func(src pinentry.Source, label string) ([]byte, error) {
			if strings.HasPrefix(label, "Management key") {
				return []byte(strings.Repeat("ab", 24)), nil
			}
			return []byte(pivcard.DefaultPIN), nil
		}})
		_, err := b.Generate(ctx, ref(t, card, "9c"), devices.GenerateOptions{Curve: signer.CurveR1})
		if err == nil || !strings.Contains(err.Error(), "management key") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("device error status", func(t *testing.T) {
		card := pivtest.NewCard(t)
		e := newEnv(t, card)
		r := ref(t, card, "9c")
		generate(t, e, r, "once", "never")
		k := open(t, e, r)
		card.FailINS(0x87, 1, 0x6f00) // "no precise diagnosis"
		if _, err := k.Sign(ctx, d); err == nil {
			t.Fatal("a failing card produced a signature")
		}
		if _, err := k.Sign(ctx, d); err != nil {
			t.Fatalf("next signature: %v", err)
		}
	})
}
