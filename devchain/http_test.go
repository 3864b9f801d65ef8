package devchain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	eos "github.com/eoscanada/eos-go"
)

func fixture(t *testing.T, name string) (int, any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Status int `json:"status"`
		JSON   any `json:"json"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Status, f.JSON
}

func post(t *testing.T, srv *httptest.Server, path string, body any) (int, any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(srv.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var v any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s: %v: %s", path, err, out)
	}
	return resp.StatusCode, v
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// intString reports whether v is a string of decimal digits and its value.
func intString(v any) (float64, bool) {
	s, ok := v.(string)
	if !ok || s == "" {
		return 0, false
	}
	f, err := strconv.ParseInt(s, 10, 64)
	return float64(f), err == nil
}

// sameIntKind compares integers the way nodeos prints them: fc writes an
// int64 as a number up to 0xffffffff in magnitude and as a string beyond,
// so one field can be either depending on its value. ok is false when want
// is not such an integer; msg says what is wrong with got.
func sameIntKind(want, got any) (msg string, ok bool) {
	large := func(f float64) bool { return f > fcLarge || f < -fcLarge }
	wf, wantNum := want.(float64)
	ws, wantStr := intString(want)
	switch {
	case wantNum && wf == float64(int64(wf)):
	case wantStr && large(ws):
	default:
		return "", false // a plain number or an always-string field
	}
	if gf, isNum := got.(float64); isNum {
		if large(gf) {
			return fmt.Sprintf("number %v beyond 2^32 (nodeos prints it as a string)", gf), true
		}
		return "", true
	}
	if gs, isStr := intString(got); isStr {
		if !large(gs) {
			return fmt.Sprintf("string %q of a value nodeos prints as a number", got), true
		}
		return "", true
	}
	return fmt.Sprintf("integer in nodeos, %s here", jsonType(got)), true
}

// sameShape reports fields of want missing from got or of another JSON type.
func sameShape(path string, want, got any) []string {
	var bad []string
	if want == nil || got == nil {
		return nil
	}
	if msg, ok := sameIntKind(want, got); ok {
		if msg != "" {
			return []string{path + ": " + msg}
		}
		return nil
	}
	if jsonType(want) != jsonType(got) {
		return []string{fmt.Sprintf("%s: %s in nodeos, %s here", path, jsonType(want), jsonType(got))}
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				bad = append(bad, path+"."+k+": missing")
				continue
			}
			bad = append(bad, sameShape(path+"."+k, wv, gv)...)
		}
	case []any:
		g := got.([]any)
		if len(w) > 0 && len(g) > 0 {
			bad = append(bad, sameShape(path+"[0]", w[0], g[0])...)
		}
	}
	return bad
}

func TestResponseShapesMatchNodeos(t *testing.T) {
	e := newEnv(t, testGenesis())
	srv := httptest.NewServer(e.c.Handler())
	defer srv.Close()
	res := e.mustPush([]*eos.Action{act("eosio.token", "transfer", transfer("alice", "bob", "0.0042 EOS"), "alice@active")}, kAlice)
	_ = res
	e.c.ProduceBlocks(1)
	pushReq := e.request(e.trx([]*eos.Action{act("eosio.token", "transfer", transfer("alice", "bob", "0.0043 EOS"), "alice@active")}), kAlice)

	cases := []struct {
		fixture string
		path    string
		body    any
	}{
		{"get_info.jungle4.json", "/v1/chain/get_info", nil},
		{"get_account.jungle4.wharfkit1115.json", "/v1/chain/get_account", map[string]any{"account_name": "bpteam111111"}},
		{"error.500.unknown_key.json", "/v1/chain/get_account", map[string]any{"account_name": "nani1"}},
		{"error.400.unknown_block.json", "/v1/chain/get_block", map[string]any{"block_num_or_id": 10000000}},
		{"get_table_rows.eos.eosio.token.stat.json", "/v1/chain/get_table_rows", map[string]any{"code": "eosio.token", "scope": "EOS", "table": "stat", "json": true, "show_payer": true}},
		{"get_raw_abi.jungle4.eosio.token.json", "/v1/chain/get_raw_abi", map[string]any{"account_name": "eosio.token"}},
		{"send_transaction.202.jungle4.1.json", "/v1/chain/send_transaction", pushReq},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			wantStatus, want := fixture(t, tc.fixture)
			status, got := post(t, srv, tc.path, tc.body)
			if status != wantStatus {
				t.Errorf("status %d, nodeos %d: %v", status, wantStatus, got)
			}
			for _, p := range sameShape("$", want, got) {
				t.Error(p)
			}
		})
	}
	// Permissions carry linked_actions; K1 keys print in the legacy form.
	_, acct := post(t, srv, "/v1/chain/get_account", map[string]any{"account_name": "bpteam111111"})
	b, _ := json.Marshal(acct)
	if !bytes.Contains(b, []byte(`"linked_actions":[{"account":"eosio","action":"claimrewards"},{"account":"eosio.bpay","action":"claimrewards"}]`)) {
		t.Errorf("claim links missing: %s", b)
	}
	_, alice := post(t, srv, "/v1/chain/get_account", map[string]any{"account_name": "alice"})
	b, _ = json.Marshal(alice)
	if !bytes.Contains(b, []byte(kAlice.PublicKey().Legacy())) {
		t.Errorf("alice's key not in EOS form: %s", b)
	}
	// advance_time and health.
	status, adv := post(t, srv, "/v1/devchain/advance_time", map[string]any{"seconds": 86401})
	if status != 200 || adv.(map[string]any)["head_block_time"] != "2026-01-02T00:00:01.500" {
		t.Errorf("advance_time: %d %v", status, adv)
	}
	resp, err := http.Get(srv.URL + "/v1/devchain/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", resp, err)
	}
	resp.Body.Close()
	// get_required_keys over HTTP.
	_, rk := post(t, srv, "/v1/chain/get_required_keys", map[string]any{
		"transaction":    map[string]any{"actions": []any{map[string]any{"account": "eosio.token", "name": "transfer", "authorization": []any{map[string]any{"actor": "bpteam111111", "permission": "active"}}, "data": ""}}},
		"available_keys": []string{kAlice.PublicKey().String(), kBob.PublicKey().String(), kCarol.PublicKey().Legacy()},
	})
	keys := rk.(map[string]any)["required_keys"].([]any)
	if len(keys) != 2 {
		t.Errorf("required_keys %v", keys)
	}
}
