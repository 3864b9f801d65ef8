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
	"github.com/bpkeys/bpkeys/internal/oracle"
)

// oracleGenesis is a chain whose account wharfkit1111 is held by key.
func oracleGenesis(t *testing.T, key string) *devchain.Genesis {
	t.Helper()
	g, err := devchain.ParseGenesis([]byte(fmt.Sprintf(`{
	  "chain_id": "%x",
	  "time": "2026-03-01T12:00:00.000",
	  "accounts": [
	    {"name": "wharfkit1111", "balance": "100.0000 EOS", "permissions": [
	      {"perm_name": "owner", "parent": "", "required_auth": {"threshold": 1, "keys": [{"key": %q, "weight": 1}], "accounts": [], "waits": []}},
	      {"perm_name": "active", "parent": "owner", "required_auth": {"threshold": 1, "keys": [{"key": %q, "weight": 1}], "accounts": [], "waits": []}}]},
	    {"name": "receiver1111", "permissions": [
	      {"perm_name": "owner", "parent": "", "required_auth": {"threshold": 1, "keys": [{"key": %q, "weight": 1}], "accounts": [], "waits": []}},
	      {"perm_name": "active", "parent": "owner", "required_auth": {"threshold": 1, "keys": [{"key": %q, "weight": 1}], "accounts": [], "waits": []}}]}
	  ]}`, []byte("wharfkit oracle chain, 32 bytes!"), key, key, key, key)))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestWharfkitSignedTransactionAccepted has @wharfkit/antelope generate a
// key, build a token transfer (envelope and action data serialised by
// wharfkit from our token ABI) and sign it; a devchain whose genesis names
// that key accepts it, and rejects a copy whose bytes were altered. The
// chain thus agrees with an implementation bpkeys did not write on
// serialisation, digest and signature recovery, for K1 and R1.
func TestWharfkitSignedTransactionAccepted(t *testing.T) {
	// Block ids depend only on the chain id, number and time, so a probe
	// chain with the same id and time gives the TaPoS the real one will
	// have, before wharfkit's key exists.
	const probeKey = "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63"
	probe, err := devchain.New(oracleGenesis(t, probeKey), devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	head := probe.Head()
	chainID := probe.ChainID()
	probe.Close()

	abi, err := contracts.ABIJSON("eosio.token")
	if err != nil {
		t.Fatal(err)
	}
	req := func(curve string) oracle.SignRequest {
		return oracle.SignRequest{
			Curve: curve, ChainID: hex.EncodeToString(chainID[:]),
			Expiration:  head.Time.Add(10 * time.Minute).UTC().Format("2006-01-02T15:04:05"),
			RefBlockNum: uint16(head.Num), RefBlockPrefix: head.RefBlockPrefix(), ABI: abi,
			Actions: []oracle.SignAction{{
				Account: "eosio.token", Name: "transfer",
				Authorization: []json.RawMessage{json.RawMessage(`{"actor":"wharfkit1111","permission":"active"}`)},
				Data:          json.RawMessage(`{"from":"wharfkit1111","to":"receiver1111","quantity":"1.2345 EOS","memo":"signed by wharfkit"}`),
			}},
		}
	}
	res := oracle.Run(t, oracle.Request{SignTransactions: []oracle.SignRequest{req("K1"), req("R1")}})
	if len(res.SignTransactions) != 2 {
		t.Fatalf("oracle answered %d of 2", len(res.SignTransactions))
	}
	for i, s := range res.SignTransactions {
		if s.Error != "" {
			t.Fatalf("wharfkit: %s", s.Error)
		}
		t.Run([]string{"K1", "R1"}[i], func(t *testing.T) {
			c, err := devchain.New(oracleGenesis(t, s.PublicKey), devchain.Options{ManualClock: true})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Head().ID != head.ID {
				t.Fatal("the real chain's head differs from the probe's: TaPoS would not match")
			}
			packed, _ := hex.DecodeString(s.PackedTrx)
			// An altered copy (one byte of the memo) is rejected: the
			// signature no longer recovers to the account's key.
			bad := append([]byte(nil), packed...)
			bad[len(bad)-3] ^= 1
			_, err = c.PushTransaction(devchain.PushRequest{Signatures: []string{s.Signature}, PackedTrx: hex.EncodeToString(bad)})
			var de *devchain.Error
			if !errors.As(err, &de) {
				t.Fatalf("altered transaction: err = %v", err)
			}
			r, err := c.PushTransaction(devchain.PushRequest{Signatures: []string{s.Signature}, PackedTrx: s.PackedTrx})
			if err != nil {
				t.Fatalf("the devchain refused wharfkit's transaction: %v", err)
			}
			if r.TransactionID != s.ID {
				t.Errorf("transaction id %s, wharfkit says %s", r.TransactionID, s.ID)
			}
			acct, err := c.GetAccount("receiver1111")
			if err != nil {
				t.Fatal(err)
			}
			if acct.CoreLiquidBalance != "1.2345 EOS" {
				t.Errorf("receiver balance %q, want 1.2345 EOS", acct.CoreLiquidBalance)
			}
		})
	}
}
