package devchain

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
)

// ServerVersion is what get_info reports as server_version_string.
const ServerVersion = "bpkeys-devchain"

// Handler returns the HTTP handler serving the nodeos API (/v1/chain/...)
// and the devchain-only endpoints (/v1/devchain/...).
func (c *Chain) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(path string, fn func([]byte) (any, error)) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodOptions {
				cors(w)
				w.WriteHeader(http.StatusNoContent)
				return
			}
			body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
			if err != nil {
				writeError(w, newErr(ErrException, "reading the request: %v", err))
				return
			}
			v, err := fn(body)
			if err != nil {
				writeError(w, err)
				return
			}
			status := http.StatusOK
			if _, ok := v.(*PushResult); ok {
				status = http.StatusAccepted
			}
			writeJSON(w, status, v)
		})
	}
	route("/v1/chain/get_info", func([]byte) (any, error) { return c.getInfo(), nil })
	route("/v1/chain/get_account", c.httpGetAccount)
	route("/v1/chain/get_abi", c.httpGetABI)
	route("/v1/chain/get_raw_abi", c.httpGetRawABI)
	route("/v1/chain/get_table_rows", c.httpGetTableRows)
	route("/v1/chain/get_table_by_scope", c.httpGetTableByScope)
	route("/v1/chain/get_required_keys", c.httpGetRequiredKeys)
	route("/v1/chain/get_producers", c.httpGetProducers)
	route("/v1/chain/get_producer_schedule", c.httpGetProducerSchedule)
	route("/v1/chain/get_currency_balance", c.httpGetCurrencyBalance)
	route("/v1/chain/get_block", c.httpGetBlock)
	route("/v1/chain/get_transaction_status", c.httpGetTransactionStatus)
	route("/v1/chain/push_transaction", c.httpPush)
	route("/v1/chain/send_transaction", c.httpPush)
	route("/v1/devchain/advance_time", c.httpAdvanceTime)
	mux.HandleFunc("/v1/devchain/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "chain_id": c.chainID.String(), "head_block_num": c.Head().Num})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { writeError(w, unknownEndpoint()) })
	return mux
}

func cors(w http.ResponseWriter) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Allow-Headers", "Origin, X-Requested-With, Content-Type, Accept")
	w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"code":500,"message":"Internal Service Error"}`)
	}
	cors(w)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// errorBody is nodeos's error answer.
type errorBody struct {
	Code    int       `json:"code"`
	Message string    `json:"message"`
	Error   errorInfo `json:"error"`
}

type errorInfo struct {
	Code    int64         `json:"code"`
	Name    string        `json:"name"`
	What    string        `json:"what"`
	Details []errorDetail `json:"details"`
}

type errorDetail struct {
	Message    string `json:"message"`
	File       string `json:"file"`
	LineNumber int    `json:"line_number"`
	Method     string `json:"method"`
}

func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = newErr(ErrException, "%v", err)
	}
	status := e.HTTPStatus
	if status == 0 {
		status = http.StatusInternalServerError
	}
	msg := e.HTTPMessage
	if msg == "" {
		msg = "Internal Service Error"
	}
	body := errorBody{Code: status, Message: msg, Error: errorInfo{Code: e.Code, Name: e.Name, What: e.What, Details: []errorDetail{}}}
	for _, m := range e.Messages {
		body.Error.Details = append(body.Error.Details, errorDetail{Message: m, File: "devchain", LineNumber: 0, Method: e.Name})
	}
	writeJSON(w, status, body)
}

func parseBody(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return invalidRequest(err.Error())
	}
	return nil
}

// Info is get_info's answer.
type Info struct {
	ServerVersion            string `json:"server_version"`
	ChainID                  string `json:"chain_id"`
	HeadBlockNum             uint32 `json:"head_block_num"`
	LastIrreversibleBlockNum uint32 `json:"last_irreversible_block_num"`
	LastIrreversibleBlockID  string `json:"last_irreversible_block_id"`
	HeadBlockID              string `json:"head_block_id"`
	HeadBlockTime            string `json:"head_block_time"`
	HeadBlockProducer        string `json:"head_block_producer"`
	VirtualBlockCPULimit     uint64 `json:"virtual_block_cpu_limit"`
	VirtualBlockNetLimit     uint64 `json:"virtual_block_net_limit"`
	BlockCPULimit            uint64 `json:"block_cpu_limit"`
	BlockNetLimit            uint64 `json:"block_net_limit"`
	ServerVersionString      string `json:"server_version_string"`
	ForkDBHeadBlockNum       uint32 `json:"fork_db_head_block_num"`
	ForkDBHeadBlockID        string `json:"fork_db_head_block_id"`
	ServerFullVersionString  string `json:"server_full_version_string"`
	TotalCPUWeight           fcInt  `json:"total_cpu_weight"`
	TotalNetWeight           fcInt  `json:"total_net_weight"`
	EarliestAvailableBlock   uint32 `json:"earliest_available_block_num"`
	LastIrreversibleTime     string `json:"last_irreversible_block_time"`
}

func (c *Chain) getInfo() Info {
	h := c.Head()
	id := hex.EncodeToString(h.ID[:])
	t := h.Time.Format(contracts.TimePointFormat)
	return Info{
		ServerVersion: "devchain", ChainID: c.chainID.String(), HeadBlockNum: h.Num, LastIrreversibleBlockNum: h.Num,
		LastIrreversibleBlockID: id, HeadBlockID: id, HeadBlockTime: t, HeadBlockProducer: "eosio",
		VirtualBlockCPULimit: 200000000, VirtualBlockNetLimit: 1048576000, BlockCPULimit: 200000, BlockNetLimit: 1048576,
		ServerVersionString: ServerVersion, ForkDBHeadBlockNum: h.Num, ForkDBHeadBlockID: id,
		ServerFullVersionString: ServerVersion, TotalCPUWeight: 0, TotalNetWeight: 0, EarliestAvailableBlock: 1, LastIrreversibleTime: t,
	}
}

func (c *Chain) httpPush(body []byte) (any, error) {
	var req PushRequest
	if err := parseBody(body, &req); err != nil {
		return nil, err
	}
	return c.PushTransaction(req)
}

func (c *Chain) httpAdvanceTime(body []byte) (any, error) {
	var req struct {
		Seconds float64 `json:"seconds"`
	}
	if err := parseBody(body, &req); err != nil {
		return nil, err
	}
	if req.Seconds < 0 {
		return nil, invalidRequest("seconds must not be negative")
	}
	b, err := c.AdvanceTime(secondsDuration(req.Seconds))
	if err != nil {
		return nil, err
	}
	return map[string]any{"head_block_num": b.Num, "head_block_id": hex.EncodeToString(b.ID[:]), "head_block_time": b.Time.Format(contracts.TimePointFormat)}, nil
}

func (c *Chain) httpGetBlock(body []byte) (any, error) {
	var req struct {
		BlockNumOrID json.RawMessage `json:"block_num_or_id"`
	}
	if err := parseBody(body, &req); err != nil {
		return nil, err
	}
	s := strings.Trim(string(req.BlockNumOrID), `" `)
	c.mu.Lock()
	defer c.mu.Unlock()
	var num uint64
	if len(s) == 64 {
		var id [32]byte
		if decodeHex32(s, &id) == nil {
			num = uint64(id[0])<<24 | uint64(id[1])<<16 | uint64(id[2])<<8 | uint64(id[3])
		}
	} else {
		_, _ = fmt.Sscan(s, &num)
	}
	b := c.blocks[num&0xffff]
	if num == 0 || b.Num != uint32(num) || num > uint64(c.head.Num) {
		e := newErr(ErrUnknownBlock, "Could not find block: %s", s)
		e.HTTPStatus = http.StatusBadRequest
		return nil, e
	}
	return map[string]any{
		"timestamp": b.Time.Format(contracts.TimePointFormat), "producer": "eosio", "confirmed": 0,
		"previous": hex.EncodeToString(b.Prev[:]), "transaction_mroot": strings.Repeat("0", 64), "action_mroot": strings.Repeat("0", 64),
		"schedule_version": 0, "new_producers": nil, "producer_signature": "SIG_K1_111111111111111111111111111111111111111111111111111111111111111116uk5ne",
		"transactions": []any{}, "id": hex.EncodeToString(b.ID[:]), "block_num": b.Num, "ref_block_prefix": b.RefBlockPrefix(),
	}, nil
}

func (c *Chain) httpGetRequiredKeys(body []byte) (any, error) {
	var req struct {
		Transaction struct {
			Actions []struct {
				Account       string                `json:"account"`
				Name          string                `json:"name"`
				Authorization []eos.PermissionLevel `json:"authorization"`
			} `json:"actions"`
		} `json:"transaction"`
		AvailableKeys []string `json:"available_keys"`
	}
	if err := parseBody(body, &req); err != nil {
		return nil, err
	}
	var keys []signer.PublicKey
	for _, s := range req.AvailableKeys {
		k, err := signer.ParsePublicKey(s)
		if err != nil {
			return nil, newErr(ErrException, "available_keys: %v", err)
		}
		keys = append(keys, k)
	}
	var acts []*eos.Action
	for _, a := range req.Transaction.Actions {
		acts = append(acts, &eos.Action{Account: eos.AccountName(a.Account), Name: eos.ActionName(a.Name), Authorization: a.Authorization})
	}
	req2, err := c.RequiredKeys(acts, keys)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(req2))
	for i, k := range req2 {
		out[i] = k.Legacy()
	}
	return map[string]any{"required_keys": out}, nil
}

func (c *Chain) httpGetABI(body []byte) (any, error) {
	var req struct {
		AccountName string `json:"account_name"`
	}
	if err := parseBody(body, &req); err != nil {
		return nil, err
	}
	if err := checkName(req.AccountName); err != nil {
		return nil, err
	}
	ca, err := c.deployedABI(req.AccountName)
	if err != nil {
		return nil, err
	}
	if ca == nil {
		return map[string]any{"account_name": req.AccountName}, nil
	}
	return map[string]any{"account_name": req.AccountName, "abi": ca.doc}, nil
}

// deployedABI returns the ABI of an account's contract, nil for an account
// without one, and nodeos's unknown key error for a missing account.
func (c *Chain) deployedABI(name string) (*contractABI, error) {
	c.mu.Lock()
	a := c.db.accounts[name]
	c.mu.Unlock()
	if a == nil {
		return nil, unknownAccount(name)
	}
	if !a.Contract {
		return nil, nil
	}
	return c.abis[name], nil
}

// emptySHA256 is sha256 of nothing: nodeos's abi_hash of an account
// without an ABI.
var emptySHA256 = sha256.Sum256(nil)

func (c *Chain) httpGetRawABI(body []byte) (any, error) {
	var req struct {
		AccountName string `json:"account_name"`
	}
	if err := parseBody(body, &req); err != nil {
		return nil, err
	}
	if err := checkName(req.AccountName); err != nil {
		return nil, err
	}
	ca, err := c.deployedABI(req.AccountName)
	if err != nil {
		return nil, err
	}
	if ca == nil {
		return map[string]any{"account_name": req.AccountName, "code_hash": strings.Repeat("0", 64), "abi_hash": hex.EncodeToString(emptySHA256[:]), "abi": ""}, nil
	}
	codeHash := sha256Hex("bpkeys devchain native contract " + c.system + " " + req.AccountName)
	return map[string]any{"account_name": req.AccountName, "code_hash": codeHash, "abi_hash": hex.EncodeToString(ca.hash[:]), "abi": base64.StdEncoding.EncodeToString(ca.raw)}, nil
}

func unknownAccount(name string) error {
	return newErr(ErrException, "unknown key (boost::tuples::tuple<bool, eosio::chain::name, boost::tuples::null_type, boost::tuples::null_type, boost::tuples::null_type, boost::tuples::null_type, boost::tuples::null_type, boost::tuples::null_type, boost::tuples::null_type, boost::tuples::null_type>): (0 %s)", name)
}
