package producer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/hsm/piv"
	"github.com/bpkeys/bpkeys/internal/pivcard"
	"github.com/bpkeys/bpkeys/internal/pivcard/pivtest"
	"github.com/bpkeys/bpkeys/pinentry"
	"github.com/bpkeys/bpkeys/signer"
)

// yubiKey generates an R1 key in slot on an emulated YubiKey (through the
// real pcscd) and opens it.
func yubiKey(t *testing.T, card *pivtest.Card, slot string) devices.Key {
	t.Helper()
	b := piv.New(piv.Options{
		Notify: func(string) {},
		ReadSecret: func(_ pinentry.Source, label string) ([]byte, error) {
			if strings.HasPrefix(label, "Management key") {
				return []byte("010203040506070801020304050607080102030405060708"), nil // the emulator's default
			}
			return []byte(pivcard.DefaultPIN), nil
		},
	})
	ref, err := signer.ParseRef(fmt.Sprintf("yubikey:serial=%d;slot=%s", card.Serial(), slot))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := b.Generate(context.Background(), ref, devices.GenerateOptions{Curve: signer.CurveR1, PINPolicy: "once", TouchPolicy: "never"})
	if err != nil {
		t.Fatalf("generating on the emulated YubiKey: %v", err)
	}
	k, err := b.Open(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.Close() })
	if k.PublicKey() != pub || pub.Curve != signer.CurveR1 {
		t.Fatalf("opened %s, generated %s", k.PublicKey(), pub)
	}
	return k
}

// TestYubiKeyR1 rotates directly with an R1 rotate key on an emulated
// YubiKey, then by proposal with a member's YubiKey R1 key.
func TestYubiKeyR1(t *testing.T) {
	card := pivtest.NewCard(t)
	rotate := yubiKey(t, card, "9a")
	member := yubiKey(t, card, "9c")
	t.Run("direct", func(t *testing.T) {
		k := defaultKeys()
		k.rotate = rotate.PublicKey()
		tc := newTestChain(t, k)
		newKey := hsmKey(t, "prod", "block-from-yk-test", signer.CurveK1)
		rot := rotateAndConfirm(t, tc, RotateRequest{Account: team, NewKeys: []signer.PublicKey{newKey.PublicKey()}}, []signer.Signer{rotate}, "regproducer")
		es, err := tc.journal.Entries()
		if err != nil || len(es) != 1 || es[0].Key != rotate.PublicKey().String() || es[0].TrxID != rot.TrxID {
			t.Fatalf("journal %+v %v", es, err)
		}
	})
	t.Run("proposal", func(t *testing.T) {
		testRotateByProposal(t, member, defaultKeys())
	})
}
