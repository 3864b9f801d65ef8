package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

// leap4 is a recording of testdata/nodeos-leap4 (a real Leap 4.0.6 nodeos,
// see its NOTICE).
type leap4 struct {
	API     string          `json:"api"`
	Request json.RawMessage `json:"request"`
	Status  int             `json:"status"`
	JSON    json.RawMessage `json:"json"`
}

func loadLeap4(t *testing.T, name string) leap4 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "nodeos-leap4", name))
	if err != nil {
		t.Fatal(err)
	}
	var r leap4
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// leap4Server answers as the recorded nodeos: the recording of the path
// whose request matches the body, get_info always, 404 "Unknown Endpoint"
// for anything not recorded.
func leap4Server(t *testing.T, files ...string) *httptest.Server {
	t.Helper()
	recs := []leap4{loadLeap4(t, "get_info.json")}
	for _, f := range files {
		recs = append(recs, loadLeap4(t, f))
	}
	unknown := loadLeap4(t, "get_transaction_status.disabled.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		for _, rec := range recs {
			if rec.API != r.URL.Path {
				continue
			}
			if rec.API != "/v1/chain/get_info" && rec.Request[0] == '{' && !sameRequestFields(rec.Request, body) {
				continue
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rec.Status)
			_, _ = w.Write(rec.JSON)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write(unknown.JSON)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// sameRequestFields reports whether the body has the recorded request's
// name fields (account_name, code, scope, table, id).
func sameRequestFields(rec, body []byte) bool {
	var a, b map[string]any
	if json.Unmarshal(rec, &a) != nil || json.Unmarshal(body, &b) != nil {
		return false
	}
	for _, k := range []string{"account_name", "code", "scope", "table", "id"} {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

// TestClientReadsLeap4 runs the client against the recorded answers of a
// real Leap 4 node: limits as strings, total_cpu_weight as a number,
// linked_actions in creation order, a contract-wide link, the 400 of an
// invalid name, 3060003 tables, sha256-of-nothing abi_hash, the 404 of a
// node without get_transaction_status.
func TestClientReadsLeap4(t *testing.T) {
	ctx := context.Background()
	srv := leap4Server(t, "get_account.team.json", "get_account.badname.json", "get_account.missing.json",
		"get_raw_abi.no_abi.json", "get_raw_abi.eosio.token.json", "get_abi.no_abi.json",
		"get_table_rows.no_abi.json", "get_table_rows.producers.json", "get_transaction_status.disabled.json")
	c, err := New(Options{URLs: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.GetInfo(ctx)
	if err != nil || info.HeadBlockNum != 31 {
		t.Fatalf("get_info: %v %+v", err, info)
	}
	acct, err := c.GetAccount(ctx, "capteam11111")
	if err != nil {
		t.Fatalf("get_account: %v", err)
	}
	var oracle, claim *Permission
	for i := range acct.Permissions {
		switch acct.Permissions[i].PermName {
		case "oracle":
			oracle = &acct.Permissions[i]
		case "claim":
			claim = &acct.Permissions[i]
		}
	}
	if oracle == nil || claim == nil || len(oracle.LinkedActions) != 1 || oracle.LinkedActions[0].Account != "eosio.token" || oracle.LinkedActions[0].Action != "" ||
		len(claim.LinkedActions) != 1 || claim.LinkedActions[0].Action != "claimrewards" {
		t.Fatalf("links: %+v %+v", oracle, claim)
	}
	_, err = c.GetAccount(ctx, "Bad.Name")
	var ae *APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != 400 || ae.Code != 3200006 || !strings.Contains(ae.Error(), "Name not properly normalized") {
		t.Fatalf("bad name: %v", err)
	}
	if _, err := c.GetAccount(ctx, "nosuchacct11"); !IsUnknownAccount(err) {
		t.Fatalf("missing account: %v", err)
	}
	raw, err := c.GetRawABI(ctx, "capmem11111a")
	if err != nil || len(raw.ABI) != 0 {
		t.Fatalf("raw abi of an account without one: %v %+v", err, raw)
	}
	if raw, err := c.GetRawABI(ctx, "eosio.token"); err != nil || len(raw.ABI) == 0 {
		t.Fatalf("raw abi of eosio.token: %v", err)
	}
	if err := c.CheckActionsAgainstABI(ctx, []*eos.Action{{Account: "capmem11111a", Name: "transfer"}}); !errors.Is(err, ErrActionNotInABI) {
		t.Fatalf("action on an account without a contract: %v", err)
	}
	_, err = c.GetTableRows(ctx, TableRowsRequest{Code: "capmem11111a", Scope: "capmem11111a", Table: "accounts", JSON: true})
	if !IsCode(err, CodeTableQuery) {
		t.Fatalf("table without ABI: %v", err)
	}
	rows, err := c.GetTableRows(ctx, TableRowsRequest{Code: "eosio", Scope: "eosio", Table: "producers", JSON: true, Limit: 10})
	if err != nil || len(rows.Rows) != 1 || bytes.Contains(rows.Rows[0], []byte("producer_authority")) {
		t.Fatalf("producers: %v %s", err, rows.Rows)
	}
	var id Checksum256
	_, err = c.GetTransactionStatus(ctx, id)
	if !errors.As(err, &ae) || ae.HTTPStatus != http.StatusNotFound {
		t.Fatalf("status on a node without it: %v", err)
	}
}

// TestPushDuplicate409: Leap answers a duplicate with 409 Conflict; the
// client takes it as "the node has it".
func TestPushDuplicate409(t *testing.T) {
	srv := leap4Server(t, "push_transaction.duplicate.json")
	c, err := New(Options{URLs: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := testsigner.FromSeed(signer.CurveK1, "leap4").Sign(context.Background(), [32]byte{1})
	if err != nil {
		t.Fatal(err)
	}
	p := &PackedTransaction{Signatures: []signer.Signature{sig}, Compression: "none", PackedTrx: HexBytes{0}}
	res, err := c.PushPacked(context.Background(), p)
	if err != nil || !res.AlreadyKnown {
		t.Fatalf("duplicate: %v %+v", err, res)
	}
}
