package chain_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

func abiCheckClient(t *testing.T, system string) *chain.Client {
	t.Helper()
	dc, err := devchain.New(&devchain.Genesis{SystemContract: system}, devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dc.Close() })
	srv := httptest.NewServer(dc.Handler())
	t.Cleanup(srv.Close)
	c, err := chain.New(chain.Options{URLs: []string{srv.URL}, ChainID: dc.ChainID()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCheckActionsAgainstABI reads the target contracts' ABIs from a
// devchain of each system contract flavour.
func TestCheckActionsAgainstABI(t *testing.T) {
	ctx := context.Background()
	k := testsigner.FromSeed(signer.CurveK1, "abicheck")
	two := contracts.BlockSigningAuthority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: k.PublicKey().ECC(), Weight: 1}, {PublicKey: testsigner.FromSeed(signer.CurveK1, "abicheck2").PublicKey().ECC(), Weight: 1}}}
	reg2 := &eos.Action{Account: "eosio", Name: "regproducer2", ActionData: eos.NewActionData(contracts.RegProducer2{Producer: "bp", ProducerAuthority: two})}
	reg := &eos.Action{Account: "eosio", Name: "regproducer", ActionData: eos.NewActionData(contracts.RegProducer{Producer: "bp", ProducerKey: k.PublicKey().ECC()})}
	upd := &eos.Action{Account: "eosio", Name: "updateauth", ActionData: eos.NewActionData(contracts.UpdateAuth{Account: "bp", Permission: "x", Parent: "active"})}
	bpay := &eos.Action{Account: "eosio.bpay", Name: "claimrewards", ActionData: eos.NewActionData(contracts.ClaimRewards{Owner: "bp"})}
	propose := func(inner ...*eos.Action) *eos.Action {
		return &eos.Action{Account: "eosio.msig", Name: "propose", ActionData: eos.NewActionData(contracts.Propose{Proposer: "bp", ProposalName: "p", Trx: eos.Transaction{Actions: inner}})}
	}
	cases := []struct {
		system  string
		actions []*eos.Action
		want    string // "" accepted; else in the message
	}{
		{devchain.SystemCurrent, []*eos.Action{reg2, reg, upd, bpay, propose(reg2)}, ""},
		{devchain.SystemLegacy, []*eos.Action{reg, upd}, ""},
		{devchain.SystemLegacy, []*eos.Action{reg, reg2}, "no action regproducer2 in its ABI (read from the chain); it offers regproducer: a multi-key block-signing authority cannot be set on this chain"},
		{devchain.SystemLegacy, []*eos.Action{propose(reg2)}, "the proposed transaction: the contract on eosio has no action regproducer2"},
		{devchain.SystemLegacy, []*eos.Action{bpay}, "eosio.bpay has no contract on this chain (no ABI): eosio.bpay::claimrewards would run nothing"},
		{devchain.SystemCurrent, []*eos.Action{{Account: "eosio.token", Name: "burn"}}, "has no action burn"},
	}
	clients := map[string]*chain.Client{}
	for _, tc := range cases {
		c := clients[tc.system]
		if c == nil {
			c = abiCheckClient(t, tc.system)
			clients[tc.system] = c
		}
		err := c.CheckActionsAgainstABI(ctx, tc.actions)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.system, err)
		case tc.want != "" && (err == nil || !errors.Is(err, chain.ErrActionNotInABI) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v; want %q", tc.system, err, tc.want)
		}
	}
	// An ABI that cannot be read is an error, never "no such action".
	down, _ := chain.New(chain.Options{URLs: []string{"http://127.0.0.1:1"}})
	if err := down.CheckActionsAgainstABI(ctx, []*eos.Action{reg}); err == nil || errors.Is(err, chain.ErrActionNotInABI) {
		t.Errorf("unreachable chain: %v", err)
	}
}
