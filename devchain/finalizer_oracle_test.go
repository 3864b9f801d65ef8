package devchain_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/internal/blstest"
	"github.com/bpkeys/bpkeys/internal/oracle"
)

// TestWharfkitRegFinKey: @wharfkit/antelope builds and signs regfinkey from
// our eosio ABI; the devchain refuses the one carrying another key's proof
// of possession ("proof of possession check failed") and accepts the right
// one, storing the key wharfkit serialised.
func TestWharfkitRegFinKey(t *testing.T) {
	const probeKey = "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63"
	genesis := func(key string) *devchain.Genesis {
		g := oracleGenesis(t, key)
		g.Producers = []devchain.GenesisProducer{{Owner: "wharfkit1111", ProducerKey: key, URL: "https://wharfkit.example"}}
		return g
	}
	probe, err := devchain.New(genesis(probeKey), devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	head := probe.Head()
	chainID := probe.ChainID()
	probe.Close()

	abi, err := contracts.ABIJSON("eosio")
	if err != nil {
		t.Fatal(err)
	}
	good, other := blstest.NewPair("wharfkit"), blstest.NewPair("someone else")
	req := func(pop string) oracle.SignRequest {
		return oracle.SignRequest{
			Curve: "K1", ChainID: hex.EncodeToString(chainID[:]),
			Expiration:  head.Time.Add(10 * time.Minute).UTC().Format("2006-01-02T15:04:05"),
			RefBlockNum: uint16(head.Num), RefBlockPrefix: head.RefBlockPrefix(), ABI: abi,
			Actions: []oracle.SignAction{{
				Account: "eosio", Name: "regfinkey",
				Authorization: []json.RawMessage{json.RawMessage(`{"actor":"wharfkit1111","permission":"active"}`)},
				Data:          json.RawMessage(fmt.Sprintf(`{"finalizer_name":"wharfkit1111","finalizer_key":%q,"proof_of_possession":%q}`, good.Key, pop)),
			}},
		}
	}
	res := oracle.Run(t, oracle.Request{SignTransactions: []oracle.SignRequest{req(other.PoP.String())}})
	if len(res.SignTransactions) != 1 || res.SignTransactions[0].Error != "" {
		t.Fatalf("oracle: %+v", res.SignTransactions)
	}
	wrong := res.SignTransactions[0]
	c, err := devchain.New(genesis(wrong.PublicKey), devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Head().ID != head.ID {
		t.Fatal("the real chain's head differs from the probe's: TaPoS would not match")
	}
	_, err = c.PushTransaction(devchain.PushRequest{Signatures: []string{wrong.Signature}, PackedTrx: wrong.PackedTrx})
	var de *devchain.Error
	if !errors.As(err, &de) || !errors.Is(err, devchain.ErrEosioAssert) || len(de.Messages) == 0 || de.Messages[0] != "assertion failure with message: proof of possession check failed" {
		t.Fatalf("wrong proof: err = %v", err)
	}

	// The same account, now signing the right proof. wharfkit made a new
	// key, so this is a second chain with that key.
	req2 := req(good.PoP.String())
	res = oracle.Run(t, oracle.Request{SignTransactions: []oracle.SignRequest{req2}})
	right := res.SignTransactions[0]
	if right.Error != "" {
		t.Fatal(right.Error)
	}
	c2, err := devchain.New(genesis(right.PublicKey), devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.PushTransaction(devchain.PushRequest{Signatures: []string{right.Signature}, PackedTrx: right.PackedTrx}); err != nil {
		t.Fatalf("right proof refused: %v", err)
	}
	rows, err := c2.GetTableRows(devchain.TableRowsRequest{Code: "eosio", Scope: "eosio", Table: "finkeys", JSON: true})
	if err != nil || len(rows.Rows) != 1 {
		t.Fatalf("finkeys: %v %v", rows, err)
	}
	b, _ := json.Marshal(rows.Rows[0])
	var row contracts.FinalizerKeyRow
	if err := json.Unmarshal(b, &row); err != nil || row.FinalizerKey != good.Key.String() {
		t.Fatalf("finkeys row %s: %v", b, err)
	}
}
