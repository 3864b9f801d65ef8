package devchain

import (
	"encoding/json"
	"fmt"
	"testing"

	eos "github.com/eoscanada/eos-go"
)

// BenchmarkPushTransaction pushes signed transfers: unpack, recovery of a K1
// signature, authorization, execution and the trace. Signing happens before
// the timer.
func BenchmarkPushTransaction(b *testing.B) {
	e := newEnv(b, testGenesis())
	reqs := make([]PushRequest, b.N)
	for i := range reqs {
		tr := transfer("alice", "bob", "0.0001 EOS")
		tr.Memo = fmt.Sprint(i)
		reqs[i] = e.request(e.trx([]*eos.Action{act("eosio.token", "transfer", tr, "alice@active")}), kAlice)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range reqs {
		if _, err := e.c.PushTransaction(reqs[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetTableRowsMsig10k reads 100-row JSON pages from an eosio.msig
// proposal table of 10,000 rows.
func BenchmarkGetTableRowsMsig10k(b *testing.B) {
	e := newEnv(b, testGenesis())
	fillProposals(e.c, "alice", 10000)
	b.ReportAllocs()
	b.ResetTimer()
	lower := ""
	for i := 0; i < b.N; i++ {
		rows, err := e.c.GetTableRows(TableRowsRequest{Code: "eosio.msig", Scope: "alice", Table: "proposal", JSON: true, LowerBound: lower, Limit: json.RawMessage("100")})
		if err != nil {
			b.Fatal(err)
		}
		lower = rows.NextKey
	}
}
