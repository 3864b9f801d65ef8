package demokeys

import (
	"context"
	"crypto/sha256"
	"testing"

	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/signer"
)

func TestSignVerifies(t *testing.T) {
	k, err := NewR1("alice")
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("demo"))
	for i := 0; i < 20; i++ {
		sig, err := k.Sign(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if err := sig.Verify(d[:], k.PublicKey()); err != nil {
			t.Fatal(err)
		}
	}
	p, err := NewK1PublicKey()
	if err != nil || p.Curve != signer.CurveK1 {
		t.Fatalf("%v %v", p, err)
	}
}

func TestTeamGenesisRuns(t *testing.T) {
	team, err := NewTeam()
	if err != nil {
		t.Fatal(err)
	}
	c, err := devchain.New(team.Genesis(), devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	info, err := c.GetAccount(ProducerAccount)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Permissions) != 4 {
		t.Fatalf("permissions %+v", info.Permissions)
	}
}
