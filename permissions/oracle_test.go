package permissions

import (
	"encoding/json"
	"testing"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/internal/oracle"
	"github.com/bpkeys/bpkeys/signer"
)

// The bytes of every generated native action are what @wharfkit/antelope
// serialises from the same JSON with the system contract's ABI.
func TestActionsMatchWharfkit(t *testing.T) {
	abi, err := contracts.ABIJSON("eosio")
	if err != nil {
		t.Fatal(err)
	}
	var all []Action
	for _, edits := range [][]Edit{
		{ProducerTemplate(nil, nil, true)},
		{ProducerTemplate([]signer.PublicKey{r1("c"), key("c2")}, []signer.PublicKey{r1("r")}, false)},
		{{Op: OpAddKey, Permission: "owner", Key: r1("zz").String(), Weight: 3}, {Op: OpAddAccount, Permission: "active", Level: "alice@active", Weight: 2}, {Op: OpThreshold, Permission: "active", Threshold: 2}},
		{{Op: OpDelete, Permission: "claim"}},
		{{Op: OpUnlink, Action: "eosio::claimrewards"}, {Op: OpLink, Permission: Any, Action: "eosio.token::*"}},
		{{Op: OpRotate, Key: key("a2").String(), NewKey: r1("new").String()}},
	} {
		p, err := NewPlan(producerAccount(), edits, nil)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Actions...)
	}
	req := &oracle.CodecRequest{ABI: abi}
	for _, a := range all {
		req.Items = append(req.Items, oracle.CodecItem{Type: a.Name, Value: json.RawMessage(a.Data)})
	}
	res := oracle.Run(t, oracle.Request{Serialize: req})
	if len(res.Serialize) != len(all) {
		t.Fatalf("%d answers for %d actions", len(res.Serialize), len(all))
	}
	for i, r := range res.Serialize {
		if r.Error != "" {
			t.Errorf("%s: wharfkit: %s", all[i].Summary, r.Error)
			continue
		}
		if r.Hex != all[i].HexData {
			t.Errorf("%s:\n bpkeys   %s\n wharfkit %s", all[i].Summary, all[i].HexData, r.Hex)
		}
	}
}
