package chain

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

func claimActions() []*eos.Action {
	return []*eos.Action{{
		Account:       "eosio",
		Name:          "claimrewards",
		Authorization: []eos.PermissionLevel{{Actor: "bpteam111111", Permission: "claim"}},
		ActionData:    eos.NewActionData(struct{ Owner eos.AccountName }{"bpteam111111"}),
	}}
}

// The Jungle 4 fixture's last irreversible block.
const jungleLIB = "06101fed58789d9bae97a6c2ecc421eb40a3d56f9fff49a5a3f580da5ca2088a"

func TestTaPoSFormula(t *testing.T) {
	id, err := ParseChecksum256(jungleLIB)
	if err != nil {
		t.Fatal(err)
	}
	num, prefix := TaPoS(id)
	// Block 0x06101fed = 101720045: ref_block_num is its low 16 bits;
	// ref_block_prefix is bytes 8..11 (ae 97 a6 c2) little-endian.
	if id.BlockNum() != 101720045 {
		t.Errorf("block number %d", id.BlockNum())
	}
	if want := uint16(101720045 & 0xffff); num != want {
		t.Errorf("ref_block_num %d, want %d", num, want)
	}
	if prefix != 3265697710 { // 0xc2a697ae
		t.Errorf("ref_block_prefix %d", prefix)
	}
	// eos-go's setRefBlock (an independent implementation) agrees.
	var tx eos.Transaction
	tx.Fill(eos.Checksum256(id[:]), 0, 0, 0)
	if tx.RefBlockNum != num || tx.RefBlockPrefix != prefix {
		t.Errorf("eos-go: %d %d", tx.RefBlockNum, tx.RefBlockPrefix)
	}
}

func TestBuildTransactionExpiration(t *testing.T) {
	id, _ := ParseChecksum256(jungleLIB)
	now := time.Date(2026, 1, 1, 0, 0, 0, 500e6, time.UTC)
	for _, tc := range []struct {
		in   time.Duration
		want time.Time
		ok   bool
	}{
		{0, now.Add(DefaultExpiration).Truncate(time.Second), true},
		{time.Hour, now.Add(time.Hour).Truncate(time.Second), true},
		{90 * time.Second, now.Add(90 * time.Second).Truncate(time.Second), true},
		{time.Hour + time.Second, time.Time{}, false},
		{24 * time.Hour, time.Time{}, false},
		{-time.Second, time.Time{}, false},
	} {
		tx, err := BuildTransaction(id, now, claimActions(), tc.in)
		if !tc.ok {
			if err == nil {
				t.Errorf("%v accepted", tc.in)
			} else if tc.in > 0 && !strings.Contains(err.Error(), "max_transaction_lifetime") {
				t.Errorf("%v: unclear error %v", tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.in, err)
		}
		if !tx.Expiration.Time.Equal(tc.want) {
			t.Errorf("%v: expiration %v, want %v", tc.in, tx.Expiration.Time, tc.want)
		}
		if tx.Expiration.Sub(now) > tc.in && tc.in != 0 {
			t.Errorf("%v: lifetime exceeds the request", tc.in)
		}
	}
	if _, err := BuildTransaction(id, now, nil, 0); err == nil {
		t.Error("a transaction without actions was built")
	}
}

// The serialised header is what nodeos reads: expiration (uint32 seconds),
// ref_block_num, ref_block_prefix, then max_net_usage_words, max_cpu_usage_ms
// and delay_sec, all zero.
func TestNewTransactionHeaderBytes(t *testing.T) {
	f := newFake(t, jungleID)
	c := newClient(t, jungleID, nil, f.URL)
	tx, err := c.NewTransaction(context.Background(), claimActions(), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	packed, _, err := tx.PackedTransactionAndCFD()
	if err != nil {
		t.Fatal(err)
	}
	head := time.Date(2023, 10, 6, 18, 23, 11, 0, time.UTC) // the fixture's head_block_time
	if exp := binary.LittleEndian.Uint32(packed[0:4]); int64(exp) != head.Add(10*time.Minute).Unix() {
		t.Errorf("expiration %d, want %d", exp, head.Add(10*time.Minute).Unix())
	}
	if n := binary.LittleEndian.Uint16(packed[4:6]); n != 0x1fed {
		t.Errorf("ref_block_num %#x", n)
	}
	if p := binary.LittleEndian.Uint32(packed[6:10]); p != 0xc2a697ae {
		t.Errorf("ref_block_prefix %#x", p)
	}
	if hex.EncodeToString(packed[10:13]) != "000000" {
		t.Errorf("net/cpu/delay %x", packed[10:13])
	}
	if f.count("/v1/chain/get_block") != 0 {
		t.Error("get_block called although get_info gave the irreversible block id")
	}
}

func TestNewTransactionRefusesLongExpirationOffline(t *testing.T) {
	f := newFake(t, jungleID)
	c := newClient(t, "", nil, f.URL)
	if _, err := c.NewTransaction(context.Background(), claimActions(), 2*time.Hour); err == nil {
		t.Fatal("2h accepted")
	}
	if f.count("/v1/chain/get_info") != 0 {
		t.Error("the network was used before refusing")
	}
}

func TestNewTransactionFallsBackToGetBlock(t *testing.T) {
	f := newFake(t, jungleID)
	blockID := "0610213900000000aabbccdd00000000000000000000000000000000000000ff" // block 101720377
	var asked string
	f.setHandler(handlerFunc(func(path string, body map[string]any) (int, string) {
		switch path {
		case "/v1/chain/get_info":
			return 200, `{"chain_id":"` + jungleID + `","head_block_num":101720380,"head_block_time":"2023-10-06T18:23:11.000","last_irreversible_block_num":0,"last_irreversible_block_id":""}`
		case "/v1/chain/get_block":
			asked, _ = body["block_num_or_id"].(string)
			return 200, `{"id":"` + blockID + `","block_num":101720377,"ref_block_prefix":3721182122,"timestamp":"2023-10-06T18:23:09.500"}`
		}
		return 404, ""
	}))
	c := newClient(t, "", nil, f.URL)
	tx, err := c.NewTransaction(context.Background(), claimActions(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if asked != "101720377" {
		t.Errorf("asked for block %q", asked)
	}
	if tx.RefBlockNum != 0x2139 || tx.RefBlockPrefix != 0xddccbbaa {
		t.Errorf("TaPoS %#x %#x", tx.RefBlockNum, tx.RefBlockPrefix)
	}
}

func TestRequiredKeys(t *testing.T) {
	k1 := testsigner.FromSeed(signer.CurveK1, "claim").PublicKey()
	r1 := testsigner.FromSeed(signer.CurveR1, "yubikey").PublicKey()
	other := testsigner.FromSeed(signer.CurveK1, "other").PublicKey()
	f := newFake(t, jungleID)
	var got map[string]any
	answer := `{"required_keys":["` + k1.Legacy() + `"]}`
	f.setHandler(handlerFunc(func(path string, body map[string]any) (int, string) {
		switch path {
		case "/v1/chain/get_info":
			return 200, `{"chain_id":"` + jungleID + `"}`
		case "/v1/chain/get_required_keys":
			got = body
			return 200, answer
		}
		return 404, ""
	}))
	c := newClient(t, "", nil, f.URL)
	id, _ := ParseChecksum256(jungleLIB)
	tx, err := BuildTransaction(id, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), claimActions(), 0)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := c.RequiredKeys(context.Background(), tx.Transaction, []signer.PublicKey{k1, r1})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != k1 {
		t.Errorf("required %v", keys)
	}
	avail, _ := json.Marshal(got["available_keys"])
	if string(avail) != `["`+k1.Legacy()+`","`+r1.String()+`"]` || !strings.HasPrefix(k1.Legacy(), "EOS") || !strings.HasPrefix(r1.String(), "PUB_R1_") {
		t.Errorf("available_keys sent as %s", avail)
	}
	trx, _ := json.Marshal(got["transaction"])
	for _, s := range []string{`"expiration":"2026-01-01T00:05:00"`, `"ref_block_num":8173`, `"ref_block_prefix":3265697710`, `"delay_sec":0`, `"name":"claimrewards"`, `"data":"` + hex.EncodeToString(mustName("bpteam111111")) + `"`, `"actor":"bpteam111111"`, `"permission":"claim"`} {
		if !strings.Contains(string(trx), s) {
			t.Errorf("transaction lacks %s: %s", s, trx)
		}
	}
	// A key that was not offered is a lie or a bug: refuse.
	answer = `{"required_keys":["` + other.Legacy() + `"]}`
	if _, err := c.RequiredKeys(context.Background(), tx.Transaction, []signer.PublicKey{k1}); err == nil || !strings.Contains(err.Error(), "not offered") {
		t.Errorf("got %v", err)
	}
	if _, err := c.RequiredKeys(context.Background(), tx.Transaction, nil); err == nil {
		t.Error("no available keys accepted")
	}
}

func mustName(s string) []byte {
	b, err := eos.MarshalBinary(eos.AccountName(s))
	if err != nil {
		panic(err)
	}
	return b
}
