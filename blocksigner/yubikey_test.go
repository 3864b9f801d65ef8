package blocksigner

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	gopiv "github.com/go-piv/piv-go/v2/piv"

	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/hsm/piv"
	"github.com/bpkeys/bpkeys/internal/oracle"
	"github.com/bpkeys/bpkeys/internal/pivcard"
	"github.com/bpkeys/bpkeys/internal/pivcard/pivtest"
	"github.com/bpkeys/bpkeys/signer"
)

const yubikeyPINEnv = "BPKEYS_SIGNER_TEST_YK_PIN"

// TestYubiKeyBlockSigner serves an R1 key of an emulated YubiKey (reached
// through pcscd, as hardware is) to a nodeos-like client: the signatures
// recover (node oracle) to the key, the mark works as for an HSM, the APDUs
// per signature are counted, and a card pulled out and put back is used
// again without a restart.
func TestYubiKeyBlockSigner(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: needs pcscd and vpcd")
	}
	card := pivtest.NewCard(t)
	yk := card.Open(t)
	ecPub, err := yk.GenerateKey(pivcard.DefaultManagementKey, gopiv.SlotSignature,
		gopiv.Key{Algorithm: gopiv.AlgorithmEC256, PINPolicy: gopiv.PINPolicyOnce, TouchPolicy: gopiv.TouchPolicyNever})
	if err != nil {
		t.Fatal(err)
	}
	_ = yk.Close()
	pub, err := signer.PublicKeyFromECDSA(ecPub.(*ecdsa.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(yubikeyPINEnv, pivcard.DefaultPIN)
	ref := fmt.Sprintf("yubikey:serial=%d;slot=9c?pin-source=env:%s", card.Serial(), yubikeyPINEnv)
	cfg := unixConfig(t, KeyConfig{Key: pub.String(), Device: ref, Role: RoleBlock, Rate: 1000, Burst: 1000})
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	pins := NewPINs()
	if err := pins.Preload(cfg); err != nil {
		t.Fatal(err)
	}
	// The PIN is held from here on: the environment no longer matters.
	t.Setenv(yubikeyPINEnv, "")
	// The backend is pointed at the card's reader only (see pivtest), which
	// changes when a reinserted card moves to another slot.
	var reader atomic.Value
	reader.Store(card.Reader)
	open := func(ctx context.Context, ref string) (devices.Key, error) {
		b := piv.New(piv.Options{Readers: []string{reader.Load().(string)}, ReadSecret: pins.Read, Notify: func(string) {}})
		return devices.NewRegistry(b).Open(ctx, ref)
	}
	ts := startServer(t, cfg, Options{Open: open})
	c := newNodeosClient(t, ts.url)

	var vs []oracle.Vector
	card.TakeLog()
	var apdus []int
	var took []time.Duration
	for h := uint32(300); h < 305; h++ {
		d := blockID(t, h)
		start := time.Now()
		sig := mustSign(t, c, d, pub)
		took = append(took, time.Since(start))
		log := card.TakeLog()
		apdus = append(apdus, len(log))
		if h == 300 {
			for _, x := range log {
				t.Logf("APDU INS %02x P1 %02x P2 %02x, %d bytes in, %d out", x.Command[1], x.Command[2], x.Command[3], len(x.Command), len(x.Response))
			}
		}
		vs = append(vs, vector(d, sig, pub))
	}
	for _, n := range apdus {
		if n == 0 || n != apdus[0] {
			t.Fatalf("APDUs per signature vary or are zero: %v", apdus)
		}
	}
	t.Logf("emulated YubiKey: %d APDUs per block signature; round trips %v", apdus[0], took)
	_, err = c.signDigest(blockID(t, 304), pub)
	refusedFor(t, err, ReasonSameHeight)

	// Pull the card out: signing fails, nothing is marked.
	card.Connector.Remove()
	d := blockID(t, 305)
	if _, err := c.signDigest(d, pub); err == nil {
		t.Fatal("signed with the card removed")
	}
	// Put it back: the same service signs again, no restart. The failed
	// attempt reserved height 305 and was rolled back, so another block at
	// 305 is signed (nothing was signed at 305).
	card.Reinsert(t)
	reader.Store(card.Reader)
	d = blockID(t, 305)
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		sig, err := c.signDigest(d, pub)
		if err == nil {
			vs = append(vs, vector(d, sig, pub))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reinserted card was not used again: %v", err)
		}
		<-tick.C
	}
	checkOracle(t, vs)
	k := ts.srv.keys[pub]
	k.mu.Lock()
	reopens := k.dev.reopens
	k.mu.Unlock()
	if reopens == 0 {
		t.Fatal("the device was not opened again")
	}
}
