package txflow

import (
	"errors"
	"strings"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/signer"
)

var testChain = signer.ChainID{1, 2, 3}

func tx(account, name, actor, perm string) *eos.Transaction {
	return &eos.Transaction{
		TransactionHeader:  eos.TransactionHeader{Expiration: eos.JSONTime{Time: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}, RefBlockNum: 7, RefBlockPrefix: 9},
		ContextFreeActions: []*eos.Action{},
		Actions: []*eos.Action{{Account: eos.AccountName(account), Name: eos.ActionName(name),
			Authorization: []eos.PermissionLevel{{Actor: eos.AccountName(actor), Permission: eos.PermissionName(perm)}},
			ActionData:    eos.NewActionDataFromHexData([]byte{1, 2})}},
		Extensions: []*eos.Extension{},
	}
}

func TestFreezeRefusesNamesEOSGoWouldChange(t *testing.T) {
	for _, tc := range []struct {
		name                        string
		account, action, actor, prm string
		bad                         string
	}{
		{"valid", "eosio.token", "transfer", "alice", "active", ""},
		{"capital in account", "eosio.tokeN", "transfer", "alice", "active", "eosio.tokeN"},
		{"digit 6 in action", "eosio.token", "transfer6", "alice", "active", "transfer6"},
		{"too long actor", "eosio.token", "transfer", "alicealicealice", "active", "alicealicealice"},
		{"space in permission", "eosio.token", "transfer", "alice", "act ive", "act ive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Freeze(testChain, tx(tc.account, tc.action, tc.actor, tc.prm), nil)
			var ne *NameError
			if tc.bad == "" {
				if err != nil {
					t.Fatal(err)
				}
				if f.Decoded.Actions[0].Account != "eosio.token" {
					t.Fatalf("decoded %+v", f.Decoded.Actions[0])
				}
				return
			}
			if !errors.As(err, &ne) || ne.Name != tc.bad {
				t.Fatalf("err = %v, want a NameError for %q", err, tc.bad)
			}
		})
	}
}

func TestDescribeShowsEverySignedField(t *testing.T) {
	x := tx("eosio.token", "transfer", "alice", "active")
	x.DelaySec, x.MaxNetUsageWords, x.MaxCPUUsageMS = 3600, 100, 5
	x.ContextFreeActions = []*eos.Action{{Account: "eosio.null", Name: "nonce", ActionData: eos.NewActionDataFromHexData([]byte{0xaa})}}
	f, err := Freeze(testChain, x, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(Describe(f), "\n")
	for _, want := range []string{"delay             3600 s", "WARNING: a delayed", "net 100 words, cpu 5 ms", "context-free actions (1):", "eosio.null::nonce by no authorization", "eosio.token::transfer by alice@active", "2026-06-01T00:00:00Z", "reference block   7 (prefix 9)", f.IDHex(), f.DigestHex()} {
		if !strings.Contains(text, want) {
			t.Errorf("description lacks %q:\n%s", want, text)
		}
	}
	if f.DigestHex() != signerDigestHex(f) {
		t.Fatal("digest not from the frozen bytes")
	}
}

func signerDigestHex(f *Frozen) string {
	d := signer.Digest(f.ChainID, f.Packed, f.CFD)
	return (&Frozen{Digest: d}).DigestHex()
}

func TestUniqueMovesExpirationEarlier(t *testing.T) {
	f, err := Freeze(testChain, tx("eosio.msig", "approve", "bob", "active"), nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := unique(f, map[string]bool{f.IDHex(): true})
	if err != nil {
		t.Fatal(err)
	}
	if g.IDHex() == f.IDHex() || !g.Expiration().Equal(f.Expiration().Add(-time.Second)) {
		t.Fatalf("unique: %s -> %s, expiration %s", f.IDHex(), g.IDHex(), g.Expiration())
	}
	same, err := unique(f, map[string]bool{})
	if err != nil || same != f {
		t.Fatalf("an unseen transaction was changed: %v", err)
	}
}

func TestChainName(t *testing.T) {
	eosMain, _ := signer.ParseChainID("aca376f206b8fc25a6ed44dbdc66547c36c6c33e3a119ffbeaef943642f0e906")
	for _, tc := range []struct {
		id      signer.ChainID
		version string
		want    string
	}{
		{eosMain, "v5.0.0", "EOS mainnet"},
		{testChain, DevchainVersion, "local devchain"},
		{testChain, "v5.0.0", "unknown chain"},
	} {
		if got := ChainName(tc.id, tc.version); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s %s: %q", tc.id, tc.version, got)
		}
	}
}

func TestSignRequiresShownAndConfirmed(t *testing.T) {
	p := &Prepared{}
	if err := p.Confirmed(); err == nil {
		t.Fatal("confirmed before shown")
	}
	if _, err := (&Gate{}).Sign(t.Context(), p, nil); err == nil {
		t.Fatal("signed before confirmed")
	}
	b := &BlindDigest{}
	if err := b.Confirmed(); err == nil {
		t.Fatal("blind digest confirmed before shown")
	}
}
