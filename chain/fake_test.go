package chain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Chain ids of the recorded fixtures.
const (
	jungleID = "73e4385a2708e6d7048834fbc1079f2fabb17b3c125b146af438971e90716c4d"
	waxID    = "1064487b3cd1a897ce03ae5b6a865651747e2e152090f99c1d19d44e01aea5a4"
)

// fixture is one recorded nodeos answer from testdata/nodeos (see NOTICE.md).
type fixture struct {
	API    string          `json:"api"`
	Status int             `json:"status"`
	JSON   json.RawMessage `json:"json"`
}

func loadFixture(t testing.TB, name string) fixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "nodeos", name))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

// ledger is the state pushes change, shared by fake nodes of one "chain".
type ledger struct {
	mu      sync.Mutex
	applied map[string]int // transaction id -> times applied
}

func newLedger() *ledger { return &ledger{applied: map[string]int{}} }

func (l *ledger) count(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.applied[id]
}

// fakeNode is a FAKE nodeos, not a chain: an httptest server on 127.0.0.1
// answering the routes these tests need with recorded fixtures or canned
// JSON. It verifies no signature and no authority; it only lets the tests
// observe what the client sends and how it reacts to outages, slow answers,
// lies and lost answers.
type fakeNode struct {
	t   *testing.T
	srv *httptest.Server
	URL string

	chainID     string
	account     []byte            // get_account answer
	answers     map[string][]byte // path -> 200 answer
	errors      map[string]string // path -> nodeos error body (HTTP 500)
	bare5xx     map[string]bool   // path -> 502 without a nodeos body
	slow        map[string]bool   // path -> block until the client gives up
	statusAPI   bool              // serve get_transaction_status
	noSend      bool              // 404 on send_transaction
	dropApplied int               // drop the connection after applying this many sends
	dropOnly    bool              // drop every send without applying it
	ledger      *ledger

	mu     sync.Mutex
	calls  map[string]int
	custom http.Handler // replaces everything above when set

	release chan struct{}
}

// handlerFunc adapts a function of the path and the decoded JSON body.
func handlerFunc(fn func(path string, body map[string]any) (int, string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		status, out := fn(r.URL.Path, body)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(out))
	})
}

// setHandler replaces the fake's behaviour.
func (f *fakeNode) setHandler(h http.Handler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.custom = h
}

func newFake(t *testing.T, chainID string) *fakeNode {
	f := &fakeNode{
		t:       t,
		chainID: chainID,
		account: loadFixture(t, "get_account.eos.teamgreymass.json").JSON,
		answers: map[string][]byte{},
		errors:  map[string]string{},
		bare5xx: map[string]bool{},
		slow:    map[string]bool{},
		ledger:  newLedger(),
		calls:   map[string]int{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	f.release = make(chan struct{})
	t.Cleanup(func() { close(f.release) }) // runs before srv.Close
	return f
}

func (f *fakeNode) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

func (f *fakeNode) nodeosError(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func (f *fakeNode) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls[r.URL.Path]++
	custom := f.custom
	f.mu.Unlock()
	if custom != nil {
		custom.ServeHTTP(w, r)
		return
	}
	p := r.URL.Path
	if f.slow[p] {
		// The server notices a client hanging up only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done(): // the client's per-call timeout fired
		case <-f.release: // the test is over
		}
		return
	}
	if f.bare5xx[p] {
		http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
		return
	}
	if body, ok := f.errors[p]; ok {
		f.nodeosError(w, http.StatusInternalServerError, body)
		return
	}
	if body, ok := f.answers[p]; ok {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
		return
	}
	switch p {
	case "/v1/chain/get_info":
		var info map[string]any
		_ = json.Unmarshal(loadFixture(f.t, "get_info.jungle4.json").JSON, &info)
		info["chain_id"] = f.chainID
		_ = json.NewEncoder(w).Encode(info)
	case "/v1/chain/get_account":
		_, _ = w.Write(f.account)
	case "/v1/chain/send_transaction", "/v1/chain/push_transaction":
		f.push(w, r)
	case "/v1/chain/get_transaction_status":
		if !f.statusAPI {
			f.nodeosError(w, http.StatusNotFound, `{"code":404,"message":"Not Found","error":{"code":0,"name":"exception","what":"unspecified","details":[{"message":"Unknown Endpoint","file":"http_plugin.cpp","line_number":0,"method":"handle_http_request"}]}}`)
			return
		}
		var req struct{ ID string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		state := "UNKNOWN"
		if f.ledger.count(req.ID) > 0 {
			state = "IN_BLOCK"
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"state": state, "block_number": 101720381, "head_number": 101720390})
	default:
		f.nodeosError(w, http.StatusNotFound, `{"code":404,"message":"Not Found","error":{"code":0,"name":"exception","what":"unspecified","details":[{"message":"Unknown Endpoint","file":"http_plugin.cpp","line_number":0,"method":"handle_http_request"}]}}`)
	}
}

func (f *fakeNode) drop(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		f.t.Errorf("hijack: %v", err)
		return
	}
	_ = conn.Close()
}

func (f *fakeNode) push(w http.ResponseWriter, r *http.Request) {
	if f.noSend && r.URL.Path == "/v1/chain/send_transaction" {
		f.nodeosError(w, http.StatusNotFound, `{"code":404,"message":"Not Found","error":{"code":0,"name":"exception","what":"unspecified","details":[{"message":"Unknown Endpoint","file":"http_plugin.cpp","line_number":0,"method":"handle_http_request"}]}}`)
		return
	}
	var p PackedTransaction
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		f.nodeosError(w, http.StatusBadRequest, `{"code":400,"message":"Invalid Request","error":{"code":3015014,"name":"pack_exception","what":"Pack data exception","details":[]}}`)
		return
	}
	if f.dropOnly {
		f.drop(w)
		return
	}
	sum := sha256.Sum256(p.PackedTrx)
	id := hex.EncodeToString(sum[:])
	l := f.ledger
	l.mu.Lock()
	if l.applied[id] > 0 {
		l.mu.Unlock()
		f.nodeosError(w, http.StatusConflict, `{"code":409,"message":"Conflict","error":{"code":3040008,"name":"tx_duplicate","what":"Duplicate transaction","details":[{"message":"duplicate transaction `+id+`","file":"producer_plugin.cpp","line_number":1,"method":"process_incoming_transaction_async"}]}}`)
		return
	}
	l.applied[id]++
	l.mu.Unlock()
	f.mu.Lock()
	drop := f.dropApplied > 0
	if drop {
		f.dropApplied--
	}
	f.mu.Unlock()
	if drop {
		f.drop(w) // applied, but the answer is lost
		return
	}
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"transaction_id": id,
		"processed": map[string]any{
			"id": id, "block_num": 101720381, "block_time": "2023-10-06T18:23:11.500",
			"receipt": map[string]any{"status": "executed", "cpu_usage_us": 100, "net_usage_words": 12},
			"action_traces": []any{map[string]any{
				"action_ordinal": 1, "creator_action_ordinal": 0, "receiver": "eosio",
				"act":     map[string]any{"account": "eosio", "name": "claimrewards", "authorization": []any{map[string]string{"actor": "bpteam111111", "permission": "claim"}}, "data": map[string]string{"owner": "bpteam111111"}, "hex_data": "1042c2a6a2a6a6a6"},
				"console": "claimed", "receipt": map[string]any{"receiver": "eosio", "global_sequence": "4294967297", "recv_sequence": 5},
			}},
			"except": nil, "error_code": nil,
		},
	})
}

// downURL returns the URL of a closed listener on 127.0.0.1: connections
// are refused.
func downURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	_ = l.Close()
	return u
}

// logs collects the client's failover lines.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, sprintf(format, args...))
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
