package proposals

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
)

func seedTransactions(tb testing.TB) [][]byte {
	exp := time.Date(2026, 1, 8, 0, 0, 0, 0, time.UTC)
	var out [][]byte
	for _, actions := range [][]Action{
		{act("eosio", "updateauth", contracts.UpdateAuth{Account: "bpteam111111", Permission: "claim", Parent: "active", Auth: authOf(kNew)}, "bpteam111111@active")},
		{act("eosio.token", "transfer", contracts.Transfer{From: "a", To: "b", Quantity: eos.Asset{Amount: 1, Symbol: eos.Symbol{Precision: 4, Symbol: "EOS"}}, Memo: "m"}, "a@active"),
			act("eosio", "regproducer2", contracts.RegProducer2{Producer: "bpteam111111", ProducerAuthority: contracts.BlockSigningAuthority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: kProd.PublicKey().ECC(), Weight: 1}}}}, "bpteam111111@active")},
		{act("eosio.msig", "approve", contracts.ApproveWithHash{Approve: contracts.Approve{Proposer: "a", ProposalName: "p", Level: lv("b@active")}, ProposalHash: make(eos.Checksum256, 32)}, "b@active")},
	} {
		b, _, err := PackInner(actions, exp)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzDecodePacked feeds the packed-transaction decoder and the ABI decoding
// of its actions malformed and hostile bytes: they must return errors, never
// panic, and never allocate beyond the input's size.
func FuzzDecodePacked(f *testing.F) {
	for _, s := range seedTransactions(f) {
		f.Add(s)
		f.Add(s[:len(s)-1])
		f.Add(append(append([]byte(nil), s...), 0))
	}
	// Huge lengths: 2^32-1 actions, then a 2^32-1 byte action data.
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add(append(bytes.Repeat([]byte{0}, 13), 1, 0, 0, 0, 0, 0, 0xa6, 0x82, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f))
	abis := NewABIs(nil)
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := DecodePacked(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		if tx.Extensions == 0 {
			// fc accepts non-minimal varuints, so the bytes may differ; the
			// structure must survive a round trip.
			again, err := eos.MarshalBinary(tx.EOS())
			if err != nil {
				t.Fatalf("re-encoding: %v", err)
			}
			tx2, err := DecodePacked(again)
			if err != nil || len(tx2.Actions) != len(tx.Actions) || tx2.Expiration != tx.Expiration || tx2.DelaySec != tx.DelaySec {
				t.Fatalf("round trip: %v", err)
			}
		}
		_, _ = DecodeActions(context.Background(), abis, tx.Actions)
	})
}

func TestDecodePackedRefusesHostileInput(t *testing.T) {
	seed := seedTransactions(t)[0]
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"truncated", seed[:len(seed)-3]},
		{"trailing", append(append([]byte(nil), seed...), 1)},
		{"huge action count", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"varuint too long", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"too big", make([]byte, MaxPackedSize+1)},
	} {
		if _, err := DecodePacked(tc.b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// Data that does not parse with the ABI is an error naming the action.
	tx, err := DecodePacked(seed)
	if err != nil {
		t.Fatal(err)
	}
	tx.Actions[0].Data = tx.Actions[0].Data[:10]
	_, err = DecodeActions(t.Context(), NewABIs(nil), tx.Actions)
	if !errors.Is(err, ErrUndecodable) || !bytes.Contains([]byte(err.Error()), []byte("eosio::updateauth")) {
		t.Fatalf("truncated data: %v", err)
	}
	tx.Actions[0].Data = append(append([]byte(nil), seedActionData(t)...), 1, 2, 3, 4, 5, 6, 7, 8, 9)
	_, err = DecodeActions(t.Context(), NewABIs(nil), tx.Actions)
	if !errors.Is(err, ErrUndecodable) || !bytes.Contains([]byte(err.Error()), []byte("left over")) {
		t.Fatalf("trailing data: %v", err)
	}
	tx.Actions[0].Name = "nosuchaction"
	if _, err = DecodeActions(t.Context(), NewABIs(nil), tx.Actions); !errors.Is(err, ErrUndecodable) {
		t.Fatalf("unknown action: %v", err)
	}
	tx.Actions[0].Account = "nosuchcode"
	if _, err = DecodeActions(t.Context(), NewABIs(nil), tx.Actions); err == nil {
		t.Fatal("unknown contract decoded")
	}
}

func seedActionData(t *testing.T) []byte {
	tx, err := DecodePacked(seedTransactions(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	return tx.Actions[0].Data
}

func TestABIWithZeroSizeArrayRefused(t *testing.T) {
	abi := &eos.ABI{Structs: []eos.StructDef{{Name: "empty"}, {Name: "act", Fields: []eos.FieldDef{{Name: "xs", Type: "empty[]"}}}}}
	if err := checkABIDecodable(abi); err == nil {
		t.Fatal("an array of an empty struct was accepted")
	}
}
