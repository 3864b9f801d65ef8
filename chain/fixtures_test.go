package chain

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/signer"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func mustKey(t *testing.T, s string) signer.PublicKey {
	t.Helper()
	k, err := signer.ParsePublicKey(s)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return k
}

// Every recorded fixture must be covered by a parse test below.
func TestEveryFixtureIsParsed(t *testing.T) {
	covered := map[string]bool{
		"NOTICE.md":                                true,
		"error.400.unknown_block.json":             true,
		"error.500.unknown_key.json":               true,
		"get_abi.jungle4.eosio.json":               true,
		"get_account.eos.teamgreymass.json":        true,
		"get_account.fio.lhp1ytjibtea.json":        true,
		"get_account.jungle4.eosio.json":           true,
		"get_account.jungle4.wharfkit1115.json":    true,
		"get_info.jungle4.json":                    true,
		"get_info.wax.json":                        true,
		"get_raw_abi.jungle4.eosio.token.json":     true,
		"get_table_rows.eos.eosio.token.stat.json": true,
		"send_transaction.202.jungle4.1.json":      true,
		"send_transaction.202.jungle4.2.json":      true,
		"send_transaction.202.jungle4.3.json":      true,
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "nodeos"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !covered[e.Name()] {
			t.Errorf("fixture %s has no parse test", e.Name())
		}
	}
	notice, err := os.ReadFile(filepath.Join("testdata", "nodeos", "NOTICE.md"))
	if err != nil || !strings.Contains(string(notice), "BSD-3-Clause") || !strings.Contains(string(notice), "MILITARY FACILITY") {
		t.Errorf("testdata/nodeos/NOTICE.md must keep the recordings' licence notice")
	}
}

func TestFixtureGetInfo(t *testing.T) {
	for _, tc := range []struct {
		file, chainID string
		head, lib     uint32
		libID         string
	}{
		{"get_info.jungle4.json", jungleID, 101720380, 101720045, "06101fed58789d9bae97a6c2ecc421eb40a3d56f9fff49a5a3f580da5ca2088a"},
		{"get_info.wax.json", waxID, 324182164, 324181832, "13529f480edc6cc69b01b72572bfb614e1e121a14ef536e712e2fa00f9c0c74c"},
	} {
		var info Info
		if err := json.Unmarshal(loadFixture(t, tc.file).JSON, &info); err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if info.ChainID.String() != tc.chainID || info.HeadBlockNum != tc.head || info.LastIrreversibleBlockNum != tc.lib || info.LastIrreversibleBlockID.String() != tc.libID {
			t.Errorf("%s: got %+v", tc.file, info)
		}
		if info.LastIrreversibleBlockID.BlockNum() != tc.lib || info.HeadBlockID.BlockNum() != tc.head {
			t.Errorf("%s: block ids do not carry their numbers", tc.file)
		}
		if info.HeadBlockTime.IsZero() || info.HeadBlockTime.Year() < 2023 {
			t.Errorf("%s: head_block_time %v", tc.file, info.HeadBlockTime)
		}
	}
}

func parseAccountFixture(t *testing.T, name string) *Account {
	t.Helper()
	var a Account
	if err := json.Unmarshal(loadFixture(t, name).JSON, &a); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &a
}

func TestFixtureAccountTeamGreymass(t *testing.T) {
	a := parseAccountFixture(t, "get_account.eos.teamgreymass.json")
	if a.AccountName != "teamgreymass" || len(a.Permissions) != 10 {
		t.Fatalf("account %q with %d permissions", a.AccountName, len(a.Permissions))
	}
	// cpu_weight is a JSON string (> 2^32), net_weight a number.
	if a.CPUWeight != 12921348309 || a.NetWeight != 4497269 || a.RAMQuota != 67988 || a.CoreLiquidBalance != "2084.3726 EOS" {
		t.Errorf("resources: cpu %d net %d ram %d balance %q", a.CPUWeight, a.NetWeight, a.RAMQuota, a.CoreLiquidBalance)
	}
	claim := a.Permission("claim")
	if claim == nil || claim.Parent != "active" || claim.RequiredAuth.Threshold != 1 {
		t.Fatalf("claim permission: %+v", claim)
	}
	if len(claim.RequiredAuth.Keys) != 1 || claim.RequiredAuth.Keys[0].Key != mustKey(t, "EOS6DLD9HxMcwn73U41jjdGsNe9vDFRKB26um6qTAqrtYcJFtED4C") || claim.RequiredAuth.Keys[0].Weight != 1 {
		t.Errorf("claim keys: %+v", claim.RequiredAuth.Keys)
	}
	if !slices.Equal(claim.LinkedActions, []LinkedAction{{Account: "eosio", Action: "claimrewards"}}) {
		t.Errorf("claim links: %+v", claim.LinkedActions)
	}
	// A link to a whole contract has no action.
	if d := a.Permission("decentium"); d == nil || !slices.Equal(d.LinkedActions, []LinkedAction{{Account: "decentiumorg"}}) || d.LinkedActions[0].String() != "decentiumorg::*" {
		t.Errorf("decentium links: %+v", d)
	}
	if v := a.Permission("voting"); v == nil || len(v.LinkedActions) != 2 {
		t.Errorf("voting links: %+v", v)
	}
	// Reported but empty is not nil (nil means "not reported").
	if o := a.Permission("owner"); o == nil || o.LinkedActions == nil || len(o.LinkedActions) != 0 || o.Parent != "" {
		t.Errorf("owner: %+v", o)
	}
	if a.EosioAnyLinkedActions == nil {
		t.Errorf("eosio_any_linked_actions was reported")
	}
	if len(a.Raw) != 0 {
		t.Errorf("Raw is only set by GetAccount")
	}
}

func TestFixtureAccountFIO(t *testing.T) {
	a := parseAccountFixture(t, "get_account.fio.lhp1ytjibtea.json")
	tr := a.Permission("transfer")
	if tr == nil || len(tr.RequiredAuth.Keys) != 2 || tr.RequiredAuth.Threshold != 1 {
		t.Fatalf("transfer: %+v", tr)
	}
	for _, p := range a.Permissions {
		if p.LinkedActions != nil {
			t.Errorf("%s: FIO does not report linked_actions, want nil, got %+v", p.PermName, p.LinkedActions)
		}
	}
	// The same point as teamgreymass's claim key, with FIO's prefix.
	if got, want := a.Permission("claim").RequiredAuth.Keys[0].Key, mustKey(t, "EOS6DLD9HxMcwn73U41jjdGsNe9vDFRKB26um6qTAqrtYcJFtED4C"); got != want {
		t.Errorf("FIO6DLD9... parsed as %s, want %s", got, want)
	}
}

func TestFixtureAccountJungleEosio(t *testing.T) {
	a := parseAccountFixture(t, "get_account.jungle4.eosio.json")
	act := a.Permission("active")
	if act == nil || len(act.RequiredAuth.Keys) != 0 || act.RequiredAuth.Threshold != 1 {
		t.Fatalf("active: %+v", act)
	}
	want := []PermissionLevelWeight{
		{Permission: PermissionLevel{Actor: "eosio.prods", Permission: "active"}, Weight: 1},
		{Permission: PermissionLevel{Actor: "lioninjungle", Permission: "active"}, Weight: 1},
	}
	if !slices.Equal(act.RequiredAuth.Accounts, want) {
		t.Errorf("active accounts: %+v", act.RequiredAuth.Accounts)
	}
	if act.RequiredAuth.Waits == nil || len(act.RequiredAuth.Waits) != 0 {
		t.Errorf("waits: %+v", act.RequiredAuth.Waits)
	}
}

func TestFixtureAccountWharfkit(t *testing.T) {
	a := parseAccountFixture(t, "get_account.jungle4.wharfkit1115.json")
	p := a.Permission("test")
	if p == nil || !slices.Equal(p.LinkedActions, []LinkedAction{{Account: "eosio.token", Action: "transfer"}}) {
		t.Fatalf("test: %+v", p)
	}
	if p.RequiredAuth.Keys[0].Key != mustKey(t, "EOS6RMS3nvoN9StPzZizve6WdovaDkE5KkEcCDXW7LbepyAioMiK6") {
		t.Errorf("key %s", p.RequiredAuth.Keys[0].Key)
	}
}

// Permissions written by bpkeys (PUB_K1_ keys) read back identically: a
// get_account answer pasted into a devchain genesis keeps its meaning.
func TestPermissionRoundTrip(t *testing.T) {
	a := parseAccountFixture(t, "get_account.eos.teamgreymass.json")
	b, err := json.Marshal(a.Permissions)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"EOS`) || !strings.Contains(string(b), `"PUB_K1_`) {
		t.Errorf("keys should be written as PUB_K1_: %s", b)
	}
	var back []Permission
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for i := range back {
		if fmt.Sprint(back[i]) != fmt.Sprint(a.Permissions[i]) {
			t.Errorf("permission %d changed:\n%+v\n%+v", i, back[i], a.Permissions[i])
		}
	}
}

func TestWebAuthnKeyIsKeptNotFatal(t *testing.T) {
	var k KeyWeight
	err := json.Unmarshal([]byte(`{"key":"PUB_WA_8PPYTWYNkRqrveNAoX7PJWDtSqDUp3c29QGBfr6MD9EaLocaPBmsk5QAHWq4vEQt2","weight":1}`), &k)
	if err != nil {
		t.Fatal(err)
	}
	if !k.Key.IsZero() || !strings.HasPrefix(k.Unsupported, "PUB_WA_") || k.Weight != 1 {
		t.Errorf("%+v", k)
	}
	var bad KeyWeight
	if err := json.Unmarshal([]byte(`{"key":"EOS6DLD9HxMcwn73U41jjdGsNe9vDFRKB26um6qTAqrtYcJFtED4D","weight":1}`), &bad); !errors.Is(err, signer.ErrChecksum) {
		t.Errorf("a corrupt key must fail, got %v", err)
	}
}

func TestFixtureGetABI(t *testing.T) {
	var r ABIResponse
	if err := json.Unmarshal(loadFixture(t, "get_abi.jungle4.eosio.json").JSON, &r); err != nil {
		t.Fatal(err)
	}
	abi, err := r.Parse()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"regproducer", "regproducer2", "claimrewards", "unregprod", "updateauth", "linkauth"} {
		if abi.ActionForName(actionName(name)) == nil {
			t.Errorf("action %s missing", name)
		}
	}
	if abi.TableForName(tableName("producers")) == nil {
		t.Errorf("table producers missing")
	}
	// updateauth carries authorized_by as a binary extension.
	st := abi.StructForName("updateauth")
	if st == nil || st.Fields[len(st.Fields)-1].Type != "name$" {
		t.Errorf("updateauth: %+v", st)
	}
}

func TestFixtureGetRawABI(t *testing.T) {
	data := loadFixture(t, "get_raw_abi.jungle4.eosio.token.json").JSON
	r, err := parseRawABI(data)
	if err != nil {
		t.Fatal(err)
	}
	if r.AccountName != "eosio.token" || len(r.ABI) != 508 || r.ABIHash.String() != "d84356074da34a976528321472d73ac919227b9b01d9de59d8ade6d96440455c" {
		t.Errorf("%s: %d bytes, hash %s", r.AccountName, len(r.ABI), r.ABIHash)
	}
	if !strings.HasPrefix(string(r.ABI[1:]), "eosio::abi/1.2") {
		t.Errorf("abi starts %q", r.ABI[:16])
	}
	// nodeos pads with "===", which Go's (and eos-go's Blob.Data) strict
	// decoder refuses: the lenient decoder is needed.
	var aux struct{ ABI string }
	_ = json.Unmarshal(data, &aux)
	if _, err := base64.StdEncoding.DecodeString(aux.ABI); err == nil {
		t.Errorf("expected the strict decoder to refuse the fixture's padding")
	}
	// A tampered ABI does not match its hash.
	tampered := strings.Replace(string(data), "DmVvc2lv", "DmVwc2lv", 1)
	if _, err := parseRawABI([]byte(tampered)); err == nil || !strings.Contains(err.Error(), "abi_hash") {
		t.Errorf("tampered ABI: %v", err)
	}
}

func TestFixtureGetTableRows(t *testing.T) {
	var r TableRows
	if err := json.Unmarshal(loadFixture(t, "get_table_rows.eos.eosio.token.stat.json").JSON, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 1 || r.More || r.NextKey != "" {
		t.Fatalf("%+v", r)
	}
	var row struct {
		Data  struct{ Supply, MaxSupply, Issuer string } `json:"data"`
		Payer string                                     `json:"payer"`
	}
	if err := json.Unmarshal(r.Rows[0], &row); err != nil || row.Data.Issuer != "eosio" || row.Payer != "eosio.token" || row.Data.Supply != "1163425144.7960 EOS" {
		t.Errorf("row %s: %+v %v", r.Rows[0], row, err)
	}
}

func TestFixtureSendTransaction(t *testing.T) {
	for _, name := range []string{"send_transaction.202.jungle4.1.json", "send_transaction.202.jungle4.2.json", "send_transaction.202.jungle4.3.json"} {
		f := loadFixture(t, name)
		if f.Status != 202 {
			t.Errorf("%s: status %d", name, f.Status)
		}
		var ans pushAnswer
		if err := json.Unmarshal(f.JSON, &ans); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var tr Trace
		if err := json.Unmarshal(ans.Processed, &tr); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ans.TransactionID.IsZero() || tr.ID != ans.TransactionID || tr.Receipt == nil || tr.Receipt.Status != "executed" || tr.BlockNum == 0 {
			t.Errorf("%s: %+v", name, tr)
		}
		if len(tr.ActionTraces) == 0 || tr.ActionTraces[0].Act.Name == "" || tr.ActionTraces[0].Receipt == nil || tr.ActionTraces[0].Receipt.GlobalSequence == 0 {
			t.Errorf("%s: action traces %+v", name, tr.ActionTraces)
		}
		if exceptError(tr.Except, "") != nil {
			t.Errorf("%s: an executed trace has no except", name)
		}
	}
}

func TestFixtureErrors(t *testing.T) {
	f := loadFixture(t, "error.500.unknown_key.json")
	e := parseAPIError(f.Status, f.JSON, "https://x")
	if e == nil || e.HTTPStatus != 500 || e.Code != 0 || e.Name != "exception" || e.What != "unspecified" || len(e.Details) != 1 || e.Details[0].File != "http_plugin.cpp" {
		t.Fatalf("%+v", e)
	}
	if !IsUnknownAccount(fmt.Errorf("wrapped: %w", e)) {
		t.Errorf("unknown key is an unknown account")
	}
	f = loadFixture(t, "error.400.unknown_block.json")
	e = parseAPIError(f.Status, f.JSON, "https://x")
	if e == nil || e.Code != CodeUnknownBlock || e.Name != "unknown_block_exception" || e.What != "Unknown block" || e.Details[0].LineNumber != 2164 {
		t.Fatalf("%+v", e)
	}
	if got, want := e.Error(), "Could not find reversible block: 10000000 (unknown_block_exception 3100002)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if IsUnknownAccount(e) || IsAssertion(e, "") {
		t.Errorf("misclassified %v", e)
	}
	// Not nodeos bodies.
	for _, body := range []string{"", "<html>502</html>", `{"code":502}`, `{"error":{}}`} {
		if parseAPIError(502, []byte(body), "x") != nil {
			t.Errorf("%q is not a nodeos error", body)
		}
	}
}

const claimedBody = `{"code":500,"message":"Internal Service Error","error":{"code":3050003,"name":"eosio_assert_message_exception","what":"eosio_assert_message assertion failure","details":[{"message":"assertion failure with message: already claimed rewards within past day","file":"cf_system.cpp","line_number":14,"method":"eosio_assert"},{"message":"pending console output: ","file":"apply_context.cpp","line_number":124,"method":"exec_one"}]}}`

func TestAPIErrorReadsWell(t *testing.T) {
	e := parseAPIError(500, []byte(claimedBody), "http://127.0.0.1:8888")
	if e == nil {
		t.Fatal("not parsed")
	}
	if got, want := e.Error(), "assertion failure with message: already claimed rewards within past day (eosio_assert_message_exception 3050003)"; got != want {
		t.Errorf("Error() = %q\nwant      %q", got, want)
	}
	err := fmt.Errorf("claim: %w", e)
	if !IsAssertion(err, "already claimed rewards within past day") || !IsAssertion(err, "") || IsAssertion(err, "producer not registered") {
		t.Errorf("IsAssertion misclassifies %v", err)
	}
	if !IsCode(err, CodeAssertMessage) || IsDuplicate(err) {
		t.Errorf("IsCode")
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != 500 || len(ae.Details) != 2 {
		t.Errorf("errors.As: %+v", ae)
	}
}

func TestExceptInTrace(t *testing.T) {
	raw := json.RawMessage(`{"code":3050003,"name":"eosio_assert_message_exception","message":"eosio_assert_message assertion failure","stack":[{"context":{},"format":"assertion failure with message: ${s}","data":{"s":"producer not registered"}}]}`)
	e := exceptError(raw, "x")
	if e == nil || e.Error() != "assertion failure with message: producer not registered (eosio_assert_message_exception 3050003)" {
		t.Errorf("%v", e)
	}
}

func actionName(s string) eos.ActionName { return eos.ActionName(s) }
func tableName(s string) eos.TableName   { return eos.TableName(s) }
