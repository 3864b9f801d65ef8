package contracts

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"
	"github.com/eoscanada/eos-go/ecc"

	"github.com/bpkeys/bpkeys/signer"
)

// Public test vectors from eos-crypto.md §3.
var (
	k1Key = mustKey("PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63")
	r1Key = mustKey("PUB_R1_6EPHFSKVYHBjQgxVGQPrwCxTg7BbZ69H9i4gztN9deKTEXYne4")
)

func mustKey(s string) ecc.PublicKey {
	k, err := signer.ParsePublicKey(s)
	if err != nil {
		panic(err)
	}
	return k.ECC()
}

func sampleAuth() eos.Authority {
	return eos.Authority{Threshold: 2,
		Keys:     []eos.KeyWeight{{PublicKey: k1Key, Weight: 1}, {PublicKey: r1Key, Weight: 1}},
		Accounts: []eos.PermissionLevelWeight{{Permission: eos.PermissionLevel{Actor: "alice", Permission: "active"}, Weight: 1}},
		Waits:    []eos.WaitWeight{}}
}

func TestBinaryRoundTrip(t *testing.T) {
	asset, _ := eos.NewAssetFromString("1.0000 EOS")
	lvl := eos.PermissionLevel{Actor: "alice", Permission: "active"}
	trx := eos.Transaction{TransactionHeader: eos.TransactionHeader{Expiration: eos.JSONTime{Time: time.Unix(1767225600, 0).UTC()}},
		ContextFreeActions: []*eos.Action{}, Extensions: []*eos.Extension{},
		Actions: []*eos.Action{{Account: "eosio", Name: "claimrewards", Authorization: []eos.PermissionLevel{lvl}, ActionData: eos.NewActionDataFromHexData(MustEncode(ClaimRewards{Owner: "alice"}))}}}
	hash := bytes.Repeat([]byte{7}, 32)
	values := []any{
		&NewAccount{Creator: "eosio", Name: "alice", Owner: sampleAuth(), Active: sampleAuth()},
		&UpdateAuth{Account: "alice", Permission: "claim", Parent: "active", Auth: sampleAuth()},
		&UpdateAuthBy{UpdateAuth{Account: "alice", Permission: "claim", Parent: "active", Auth: sampleAuth()}, "owner"},
		&DeleteAuth{Account: "alice", Permission: "claim"},
		&DeleteAuthBy{DeleteAuth{Account: "alice", Permission: "claim"}, "active"},
		&LinkAuth{Account: "alice", Code: "eosio", Type: "claimrewards", Requirement: "claim"},
		&LinkAuthBy{LinkAuth{Account: "alice", Code: "eosio", Type: "claimrewards", Requirement: "claim"}, "active"},
		&UnlinkAuth{Account: "alice", Code: "eosio", Type: "claimrewards"},
		&UnlinkAuthBy{UnlinkAuth{Account: "alice", Code: "eosio", Type: "claimrewards"}, "active"},
		&Propose{Proposer: "alice", ProposalName: "prop1", Requested: []eos.PermissionLevel{lvl}, Trx: trx},
		&Approve{Proposer: "alice", ProposalName: "prop1", Level: lvl},
		&ApproveWithHash{Approve{Proposer: "alice", ProposalName: "prop1", Level: lvl}, hash},
		&Unapprove{Proposer: "alice", ProposalName: "prop1", Level: lvl},
		&Cancel{Proposer: "alice", ProposalName: "prop1", Canceler: "bob"},
		&Exec{Proposer: "alice", ProposalName: "prop1", Executer: "bob"},
		&Invalidate{Account: "alice"},
		&ProposalRow{ProposalName: "prop1", PackedTransaction: []byte{1, 2}},
		&ProposalRowExec{ProposalRow{ProposalName: "prop1", PackedTransaction: []byte{1, 2}}, OptionalTimePoint{Set: true, Time: 5}},
		&ApprovalsRow{Version: 1, ProposalName: "prop1", RequestedApprovals: []Approval{{Level: lvl}}, ProvidedApprovals: []Approval{{Level: lvl, Time: 9}}},
		&OldApprovalsRow{ProposalName: "prop1", RequestedApprovals: []eos.PermissionLevel{lvl}, ProvidedApprovals: []eos.PermissionLevel{}},
		&InvalidationRow{Account: "alice", LastInvalidationTime: 77},
		&RegProducer{Producer: "alice", ProducerKey: r1Key, URL: "https://x", Location: 9},
		&RegProducer2{Producer: "alice", ProducerAuthority: BlockSigningAuthority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: k1Key, Weight: 1}}}, URL: "u", Location: 1},
		&UnregProd{Producer: "alice"},
		&ClaimRewards{Owner: "alice"},
		&ProducerInfo{Owner: "alice", TotalVotes: 1.5, ProducerKey: k1Key, IsActive: true, URL: "u", UnpaidBlocks: 3, LastClaimTime: 4, Location: 5},
		&ProducerInfoWithAuthority{ProducerInfo{Owner: "alice", ProducerKey: k1Key, IsActive: true}, BlockSigningAuthority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: k1Key, Weight: 1}}}},
		&RewardsRow{Owner: "alice", Quantity: asset},
		&Transfer{From: "alice", To: "bob", Quantity: asset, Memo: "m"},
		&TokenAccountRow{Balance: asset},
		&CurrencyStatsRow{Supply: asset, MaxSupply: asset, Issuer: "eosio"},
	}
	for _, v := range values {
		b, err := Encode(v)
		if err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		out := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := Decode(b, out); err != nil {
			t.Fatalf("%T: decode: %v", v, err)
		}
		b2, _ := Encode(out)
		if !bytes.Equal(b, b2) {
			t.Errorf("%T: round trip changed the bytes:\n%x\n%x", v, b, b2)
		}
	}
}

func TestExtensionsDecodeBothForms(t *testing.T) {
	base := UpdateAuth{Account: "alice", Permission: "claim", Parent: "active", Auth: sampleAuth()}
	for _, tc := range []struct {
		v    any
		has  bool
		want eos.PermissionName
	}{{base, false, ""}, {UpdateAuthBy{base, "owner"}, true, "owner"}} {
		got, has, err := DecodeUpdateAuth(MustEncode(tc.v))
		if err != nil || has != tc.has || got.AuthorizedBy != tc.want || got.Permission != "claim" {
			t.Errorf("%T: %+v %v %v", tc.v, got, has, err)
		}
	}
	a := Approve{Proposer: "alice", ProposalName: "p", Level: eos.PermissionLevel{Actor: "bob", Permission: "active"}}
	if _, h, err := DecodeApprove(MustEncode(a)); err != nil || h != nil {
		t.Errorf("approve without hash: %v %v", h, err)
	}
	hash := bytes.Repeat([]byte{9}, 32)
	if _, h, err := DecodeApprove(MustEncode(ApproveWithHash{a, hash})); err != nil || !bytes.Equal(h, hash) {
		t.Errorf("approve with hash: %x %v", h, err)
	}
	if _, _, err := DecodeApprove(append(MustEncode(a), 1, 2)); err == nil {
		t.Error("approve with 2 trailing bytes accepted")
	}
}

func TestKnownBytes(t *testing.T) {
	// eosio.token::transfer data from the send_transaction fixture (Jungle 4).
	data, _ := hex.DecodeString("a02e45ea52a42e4580b1915e5d268dca2a0000000000000004454f53000000001f636861696e2073656e645f7472616e73616374696f6e322028726574727929")
	var tr Transfer
	if err := Decode(data, &tr); err != nil {
		t.Fatal(err)
	}
	if tr.From != "corecorecore" || tr.To != "teamgreymass" || tr.Quantity.String() != "0.0042 EOS" || tr.Memo != "chain send_transaction2 (retry)" {
		t.Fatalf("decoded %+v", tr)
	}
	js, err := DecodeActionJSON(Token, "transfer", data)
	if err != nil || !strings.Contains(string(js), `"quantity":"0.0042 EOS"`) {
		t.Fatalf("ABI decode: %s %v", js, err)
	}
	// regproducer2's block_signing_authority (eos-crypto.md §4.4).
	b := MustEncode(BlockSigningAuthority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: k1Key, Weight: 1}}})
	want := "00" + "01000000" + "01" + "00" + hex.EncodeToString(k1Key.Content) + "0100"
	if hex.EncodeToString(b) != want {
		t.Fatalf("block_signing_authority = %x, want %s", b, want)
	}
	js, _ = json.Marshal(BlockSigningAuthority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: k1Key, Weight: 1}}})
	if string(js) != `["block_signing_authority_v0",{"threshold":1,"keys":[{"key":"EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV","weight":1}]}]` {
		t.Fatalf("JSON %s", js)
	}
	// approve with hash decodes through the ABI.
	ap := MustEncode(ApproveWithHash{Approve{Proposer: "alice", ProposalName: "p", Level: eos.PermissionLevel{Actor: "bob", Permission: "active"}}, bytes.Repeat([]byte{0xab}, 32)})
	js, err = DecodeActionJSON(Msig, "approve", ap)
	if err != nil || !strings.Contains(string(js), strings.Repeat("ab", 32)) {
		t.Fatalf("approve ABI decode: %s %v", js, err)
	}
}

// TestSystemABIMatchesNodeos compares every struct, action and table of our
// eosio ABI with the real system ABI recorded from Jungle 4.
func TestSystemABIMatchesNodeos(t *testing.T) {
	b, err := os.ReadFile("testdata/get_abi.jungle4.eosio.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		JSON struct {
			ABI eos.ABI `json:"abi"`
		} `json:"json"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	real := &f.JSON.ABI
	ours, err := ABI(System)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ours.Structs {
		rs := real.StructForName(s.Name)
		if rs == nil && savannaABI[s.Name] {
			continue // newer than the recording: see TestSavannaABI
		}
		if rs == nil || !reflect.DeepEqual(rs.Fields, s.Fields) || rs.Base != s.Base {
			t.Errorf("struct %s differs from nodeos: %+v vs %+v", s.Name, s, rs)
		}
	}
	for _, a := range ours.Actions {
		ra := real.ActionForName(a.Name)
		if ra == nil && savannaABI[string(a.Name)] {
			continue
		}
		if ra == nil || ra.Type != a.Type {
			t.Errorf("action %s differs", a.Name)
		}
	}
	for _, tb := range ours.Tables {
		rt := real.TableForName(tb.Name)
		if rt == nil && savannaABI[string(tb.Name)] {
			continue
		}
		if rt == nil || rt.Type != tb.Type {
			t.Errorf("table %s differs", tb.Name)
		}
	}
	for _, name := range []string{"newaccount", "updateauth", "deleteauth", "linkauth", "unlinkauth", "regproducer", "regproducer2", "unregprod", "claimrewards"} {
		if ours.ActionForName(eos.ActionName(name)) == nil {
			t.Errorf("our ABI lacks %s", name)
		}
	}
	// Our Go structs have the ABI's field names in order.
	for name, v := range map[string]any{"updateauth": UpdateAuthBy{}, "linkauth": LinkAuthBy{}, "regproducer": RegProducer{}, "regproducer2": RegProducer2{}, "newaccount": NewAccount{}} {
		var fields []string
		collectJSONFields(reflect.TypeOf(v), &fields)
		var abiFields []string
		for _, f := range real.StructForName(name).Fields {
			abiFields = append(abiFields, f.Name)
		}
		if !reflect.DeepEqual(fields, abiFields) {
			t.Errorf("%s: Go fields %v, ABI fields %v", name, fields, abiFields)
		}
	}
	for _, acct := range ABIAccounts() {
		raw, _, err := RawABI(acct)
		if err != nil {
			t.Fatal(err)
		}
		var back eos.ABI
		if err := eos.UnmarshalBinary(raw, &back); err != nil || back.Version != "eosio::abi/1.2" {
			t.Errorf("raw ABI of %s does not decode: %v", acct, err)
		}
	}
}

func collectJSONFields(t reflect.Type, out *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			collectJSONFields(f.Type, out)
			continue
		}
		*out = append(*out, strings.Split(f.Tag.Get("json"), ",")[0])
	}
}

func TestValidateAuthority(t *testing.T) {
	a1, a2 := k1Key, r1Key // K1 sorts before R1
	kw := func(ks ...ecc.PublicKey) []eos.KeyWeight {
		var out []eos.KeyWeight
		for _, k := range ks {
			out = append(out, eos.KeyWeight{PublicKey: k, Weight: 1})
		}
		return out
	}
	pl := func(actor, perm string) eos.PermissionLevelWeight {
		return eos.PermissionLevelWeight{Permission: eos.PermissionLevel{Actor: eos.AccountName(actor), Permission: eos.PermissionName(perm)}, Weight: 1}
	}
	cases := []struct {
		name string
		a    eos.Authority
		ok   bool
	}{
		{"valid", eos.Authority{Threshold: 2, Keys: kw(a1, a2)}, true},
		{"zero threshold", eos.Authority{Threshold: 0, Keys: kw(a1)}, false},
		{"unsorted keys", eos.Authority{Threshold: 1, Keys: kw(a2, a1)}, false},
		{"duplicate keys", eos.Authority{Threshold: 1, Keys: kw(a1, a1)}, false},
		{"unreachable", eos.Authority{Threshold: 3, Keys: kw(a1, a2)}, false},
		// "b" < "a.b"? names compare as uint64: "bob" > "alice", and
		// "alice@active" < "alice@owner".
		{"accounts sorted", eos.Authority{Threshold: 1, Accounts: []eos.PermissionLevelWeight{pl("alice", "active"), pl("alice", "owner"), pl("bob", "active")}}, true},
		{"accounts unsorted", eos.Authority{Threshold: 1, Accounts: []eos.PermissionLevelWeight{pl("bob", "active"), pl("alice", "active")}}, false},
		{"accounts duplicate", eos.Authority{Threshold: 1, Accounts: []eos.PermissionLevelWeight{pl("bob", "active"), pl("bob", "active")}}, false},
		{"first wait zero", eos.Authority{Threshold: 1, Keys: kw(a1), Waits: []eos.WaitWeight{{WaitSec: 0, Weight: 1}}}, false},
		{"waits descending", eos.Authority{Threshold: 1, Keys: kw(a1), Waits: []eos.WaitWeight{{WaitSec: 20, Weight: 1}, {WaitSec: 10, Weight: 1}}}, false},
		{"waits ok", eos.Authority{Threshold: 1, Keys: kw(a1), Waits: []eos.WaitWeight{{WaitSec: 10, Weight: 1}, {WaitSec: 20, Weight: 1}}}, true},
	}
	for _, tc := range cases {
		err := ValidateAuthority(tc.a)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
		if err != nil && (!errors.Is(err, ErrInvalidAuthority) || !strings.HasPrefix(err.Error(), "Invalid authority: ")) {
			t.Errorf("%s: error %v", tc.name, err)
		}
	}
	// SortAuthority fixes the order nodeos requires.
	a := eos.Authority{Threshold: 1, Keys: kw(a2, a1), Accounts: []eos.PermissionLevelWeight{pl("bob", "active"), pl("alice", "active")}}
	SortAuthority(&a)
	if err := ValidateAuthority(a); err != nil {
		t.Fatal(err)
	}
}

func TestBlockSigningAuthorityIsValid(t *testing.T) {
	kw := []eos.KeyWeight{{PublicKey: r1Key, Weight: 1}, {PublicKey: k1Key, Weight: 1}}
	if !(BlockSigningAuthority{Threshold: 2, Keys: kw}).IsValid() {
		t.Error("unsorted keys are fine for block signing authorities")
	}
	if (BlockSigningAuthority{Threshold: 3, Keys: kw}).IsValid() || (BlockSigningAuthority{Threshold: 0, Keys: kw}).IsValid() {
		t.Error("unreachable or zero threshold accepted")
	}
	if (BlockSigningAuthority{Threshold: 1, Keys: []eos.KeyWeight{kw[0], kw[0]}}).IsValid() {
		t.Error("duplicate key accepted")
	}
}

func TestLegacyKeyString(t *testing.T) {
	if got := LegacyKeyString(k1Key); got != "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV" {
		t.Errorf("K1: %s", got)
	}
	if got := LegacyKeyString(r1Key); got != "PUB_R1_6EPHFSKVYHBjQgxVGQPrwCxTg7BbZ69H9i4gztN9deKTEXYne4" {
		t.Errorf("R1: %s", got)
	}
	zero, _ := ecc.NewPublicKeyFromData(make([]byte, 34))
	if got := LegacyKeyString(zero); got != "EOS1111111111111111111111111111111114T1Anm" {
		t.Errorf("zero key: %s", got)
	}
}
