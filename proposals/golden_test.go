package proposals

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/internal/oracle"
	"github.com/bpkeys/bpkeys/signer"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// reviewKinds are proposals holding every action kind a review explains.
func reviewKinds() map[string][]Action {
	team := "bpteam111111@active"
	bsa := contracts.BlockSigningAuthority{Threshold: 2, Keys: []eos.KeyWeight{{PublicKey: kProd2.PublicKey().ECC(), Weight: 1}, {PublicKey: kNew.PublicKey().ECC(), Weight: 1}}}
	newClaim := authOf(kNew)
	newClaim.Accounts = []eos.PermissionLevelWeight{{Permission: lv("carol@active"), Weight: 1}}
	contracts.SortAuthority(&newClaim)
	inner, _, _ := PackInner([]Action{act("eosio.token", "transfer", contracts.Transfer{From: "bpteam111111", To: "bob", Quantity: eos.Asset{Amount: 5, Symbol: eos.Symbol{Precision: 4, Symbol: "EOS"}}}, team)}, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	propose, _ := contracts.ProposeRaw{Proposer: "bpteam111111", ProposalName: "nested", Requested: []eos.PermissionLevel{lv("alice@active")}, PackedTrx: inner}.Bytes()
	hash := make(eos.Checksum256, 32)
	hash[0] = 0xab
	return map[string][]Action{
		"auth": {
			act("eosio", "updateauth", contracts.UpdateAuth{Account: "bpteam111111", Permission: "claim", Parent: "active", Auth: newClaim}, team),
			act("eosio", "updateauth", contracts.UpdateAuth{Account: "bpteam111111", Permission: "ops", Parent: "active", Auth: authOf(kNew)}, team),
			act("eosio", "linkauth", contracts.LinkAuth{Account: "bpteam111111", Code: "eosio.bpay", Type: "claimrewards", Requirement: "claim"}, team),
			act("eosio", "unlinkauth", contracts.UnlinkAuth{Account: "bpteam111111", Code: "eosio", Type: "claimrewards"}, team),
			act("eosio", "deleteauth", contracts.DeleteAuth{Account: "bpteam111111", Permission: "claim"}, team),
		},
		"producer": {
			act("eosio", "regproducer", contracts.RegProducer{Producer: "bpteam111111", ProducerKey: kProd2.PublicKey().ECC(), URL: "https://bpteam.example", Location: 276}, team),
			act("eosio", "regproducer2", contracts.RegProducer2{Producer: "bpteam111111", ProducerAuthority: bsa, URL: "https://bpteam.example/v2"}, team),
			act("eosio", "unregprod", contracts.UnregProd{Producer: "bpteam111111"}, team),
			act("eosio", "claimrewards", contracts.ClaimRewards{Owner: "bpteam111111"}, team),
			act("eosio.bpay", "claimrewards", contracts.ClaimRewards{Owner: "bpteam111111"}, team),
		},
		"token": {
			act("eosio.token", "transfer", contracts.Transfer{From: "bpteam111111", To: "alice", Quantity: eos.Asset{Amount: 123456, Symbol: eos.Symbol{Precision: 4, Symbol: "EOS"}}, Memo: "server invoice 42"}, team),
		},
		"msig": {
			{Account: Msig, Name: "propose", Authorization: []eos.PermissionLevel{lv(team)}, Data: propose},
			act("eosio.msig", "approve", contracts.ApproveWithHash{Approve: contracts.Approve{Proposer: "alice", ProposalName: "other", Level: lv(team)}, ProposalHash: hash}, team),
			act("eosio.msig", "approve", contracts.Approve{Proposer: "alice", ProposalName: "legacy", Level: lv(team)}, team),
			act("eosio.msig", "unapprove", contracts.Unapprove{Proposer: "alice", ProposalName: "other", Level: lv(team)}, team),
			act("eosio.msig", "cancel", contracts.Cancel{Proposer: "bpteam111111", ProposalName: "old", Canceler: "bpteam111111"}, team),
			act("eosio.msig", "exec", contracts.Exec{Proposer: "alice", ProposalName: "other", Executer: "bpteam111111"}, team),
			act("eosio.msig", "invalidate", contracts.Invalidate{Account: "bpteam111111"}, team),
		},
	}
}

// TestReviewGoldens reviews a proposal of each kind on the devchain (after
// one approval) and compares the text and --json forms with golden files;
// the action data is cross-checked against wharfkit's decoder.
func TestReviewGoldens(t *testing.T) {
	e := newEnv(t, teamGenesis())
	kinds := reviewKinds()
	var items []oracle.CodecItem
	type check struct {
		what string
		got  json.RawMessage
	}
	var checks []check
	abis := map[string]json.RawMessage{}
	for _, kind := range []string{"auth", "producer", "token", "msig"} {
		b, err := Build(e.ctx, e.cl, ProposeRequest{Proposer: "alice", Name: eos.Name(kind), Actions: kinds[kind]})
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		e.mustSend([]*eos.Action{b.Propose}, kAlice)
		p, _ := Read(e.ctx, e.cl, "alice", eos.Name(kind))
		a, _ := ApproveAction(p, lv("bob@active"))
		e.mustSend([]*eos.Action{a}, kBob)
		p, err = Read(e.ctx, e.cl, "alice", eos.Name(kind))
		if err != nil {
			t.Fatal(err)
		}
		r, err := MakeReview(e.ctx, e.cl, p, ReviewOptions{})
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		var text bytes.Buffer
		r.WriteText(&text)
		golden(t, "review_"+kind+".txt", text.Bytes())
		js, _ := json.MarshalIndent(r, "", "  ")
		golden(t, "review_"+kind+".json", append(js, '\n'))

		for _, ra := range r.Actions {
			abi, err := contracts.ABI(ra.Account)
			if err != nil {
				t.Fatal(err)
			}
			abiJS, _ := contracts.ABIJSON(ra.Account)
			abis[string(ra.Account)] = abiJS
			items = append(items, oracle.CodecItem{Type: abi.ActionForName(ra.Name).Type, Hex: ra.HexData})
			checks = append(checks, check{fmt.Sprintf("%s: %s::%s", kind, ra.Account, ra.Name), ra.Data})
		}
		// The whole stored transaction, with eosio.msig's transaction type.
		items = append(items, oracle.CodecItem{Type: "transaction", Hex: hex.EncodeToString(p.Packed)})
		checks = append(checks, check{kind + ": packed transaction", transactionJSON(t, p.Transaction)})
	}
	// wharfkit decodes each item with its contract's ABI.
	byAccount := map[string][]int{}
	for i, c := range checks {
		acct := Msig
		if !strings.HasSuffix(c.what, "packed transaction") {
			acct = strings.SplitN(strings.SplitN(c.what, ": ", 2)[1], "::", 2)[0]
		}
		byAccount[acct] = append(byAccount[acct], i)
	}
	for acct, idx := range byAccount {
		req := &oracle.CodecRequest{ABI: abis[acct], Items: nil}
		if req.ABI == nil {
			req.ABI, _ = contracts.ABIJSON(eos.AccountName(acct))
		}
		for _, i := range idx {
			req.Items = append(req.Items, items[i])
		}
		res := oracle.Run(t, oracle.Request{Decode: req})
		for n, i := range idx {
			r := res.Decode[n]
			if r.Error != "" {
				t.Errorf("%s: wharfkit: %s", checks[i].what, r.Error)
				continue
			}
			if !sameJSON(t, checks[i].got, r.Value) {
				t.Errorf("%s: bpkeys decoded %s\nwharfkit decoded %s", checks[i].what, checks[i].got, r.Value)
			}
		}
	}
}

// transactionJSON is the decoded transaction as wharfkit prints one.
func transactionJSON(t *testing.T, tx *Transaction) json.RawMessage {
	type act struct {
		Account       string                `json:"account"`
		Name          string                `json:"name"`
		Authorization []eos.PermissionLevel `json:"authorization"`
		Data          string                `json:"data"`
	}
	conv := func(as []Action) []act {
		out := []act{}
		for _, a := range as {
			out = append(out, act{string(a.Account), string(a.Name), a.Authorization, hex.EncodeToString(a.Data)})
		}
		return out
	}
	b, err := json.Marshal(map[string]any{
		"expiration": tx.Expiration.Format("2006-01-02T15:04:05"), "ref_block_num": tx.RefBlockNum, "ref_block_prefix": tx.RefBlockPrefix,
		"max_net_usage_words": tx.MaxNetUsageWords, "max_cpu_usage_ms": tx.MaxCPUUsageMS, "delay_sec": tx.DelaySec,
		"context_free_actions": conv(tx.ContextFreeActions), "actions": conv(tx.Actions), "transaction_extensions": []any{},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameJSON compares two decodings after normalising what the libraries
// print differently: numbers (as strings or numbers), keys (EOS... or
// PUB_K1_...), variants (eos-go drops the tag), absent binary extensions.
func sameJSON(t *testing.T, a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(norm(x), norm(y))
}

func norm(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			if e == nil {
				continue
			}
			out[k] = norm(e)
		}
		return out
	case []any:
		// A variant: ["type_name", {...}] -> {...}.
		if len(v) == 2 {
			if s, ok := v[0].(string); ok && strings.HasPrefix(s, "block_signing_authority") {
				return norm(v[1])
			}
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = norm(e)
		}
		return out
	case float64:
		return fmt.Sprint(int64(v))
	case string:
		if k, err := signer.ParsePublicKey(v); err == nil {
			return k.String()
		}
		return strings.ToLower(v)
	}
	return v
}
