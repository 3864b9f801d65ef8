package chain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/signer"
)

// single returns c without a quorum, for reads whose answers legitimately
// differ between endpoints (head block, transaction status).
func (c *Client) single() *Client { return &Client{s: c.s, quorum: 1} }

// GetInfo returns get_info from the first endpoint that answers on the right
// chain. It never needs a quorum: its answer differs from node to node.
func (c *Client) GetInfo(ctx context.Context) (*Info, error) {
	const op = "get_info"
	s := c.s
	var errs []error
	eps := s.ordered()
	for i, ep := range eps {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		ep.mu.Lock()
		refused := ep.refused
		ep.mu.Unlock()
		var info Info
		err := refused
		if err == nil {
			var data []byte
			data, _, err = s.call(ctx, ep, http.MethodPost, "/v1/chain/get_info", nil, s.readTimeout)
			if err == nil {
				if jerr := json.Unmarshal(data, &info); jerr != nil {
					err = &EndpointError{Endpoint: ep.name, Path: "/v1/chain/get_info", Status: 200, Sent: true, Err: fmt.Errorf("unreadable get_info answer: %w", jerr)}
				} else {
					err = s.acceptChainID(ep, info.ChainID)
				}
			}
		}
		if err == nil {
			return &info, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", op, ctx.Err())
		}
		if !canFailOver(err) {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		errs = append(errs, err)
		if i+1 < len(eps) {
			s.log("%s: %v; trying %s", op, err, eps[i+1].name)
		}
	}
	return nil, &UnavailableError{Op: op, Need: 1, Errs: errs}
}

// GetBlock returns a block by number or id (get_block), for TaPoS. It
// checks that the id nodeos returns carries the block number.
func (c *Client) GetBlock(ctx context.Context, numOrID string) (*Block, error) {
	op := "get_block " + numOrID
	data, err := c.single().read(ctx, op, "/v1/chain/get_block", map[string]string{"block_num_or_id": numOrID}, fieldsNorm("id", "block_num"))
	if err != nil {
		return nil, err
	}
	var b Block
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%s: unreadable answer: %w", op, err)
	}
	if b.ID.BlockNum() != b.BlockNum {
		return nil, fmt.Errorf("%s: block id %s does not carry block number %d", op, b.ID, b.BlockNum)
	}
	return &b, nil
}

// GetAccount returns an account with its permissions and linked actions.
// Under a quorum, account_name, privileged and the permissions (keys
// compared as keys, not as strings) must agree.
func (c *Client) GetAccount(ctx context.Context, name string) (*Account, error) {
	op := "get_account " + name
	data, err := c.read(ctx, op, "/v1/chain/get_account", map[string]string{"account_name": name}, accountNorm)
	if err != nil {
		return nil, err
	}
	var a Account
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("%s: unreadable answer: %w", op, err)
	}
	a.Raw = data
	return &a, nil
}

func accountNorm(raw []byte) ([]byte, error) {
	var a Account
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, err
	}
	if a.AccountName == "" {
		return nil, errors.New("get_account answer without account_name")
	}
	perms := slices.Clone(a.Permissions)
	slices.SortFunc(perms, func(x, y Permission) int { return strings.Compare(x.PermName, y.PermName) })
	return marshalCanonicalValue(struct {
		AccountName string       `json:"account_name"`
		Privileged  bool         `json:"privileged"`
		Permissions []Permission `json:"permissions"`
	}{a.AccountName, a.Privileged, perms})
}

// marshalCanonicalValue marshals v and canonicalises the result.
func marshalCanonicalValue(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return canonicalJSON(b)
}

// GetABI returns a contract's ABI as JSON (get_abi).
func (c *Client) GetABI(ctx context.Context, account string) (*ABIResponse, error) {
	op := "get_abi " + account
	data, err := c.read(ctx, op, "/v1/chain/get_abi", map[string]string{"account_name": account}, fieldsNorm("account_name", "abi"))
	if err != nil {
		return nil, err
	}
	var r ABIResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: unreadable answer: %w", op, err)
	}
	return &r, nil
}

// Parse decodes the ABI with eos-go, for decoding action and table data.
func (r *ABIResponse) Parse() (*eos.ABI, error) {
	if len(r.ABI) == 0 || string(r.ABI) == "null" {
		return nil, fmt.Errorf("account %s has no ABI", r.AccountName)
	}
	var abi eos.ABI
	if err := json.Unmarshal(r.ABI, &abi); err != nil {
		return nil, fmt.Errorf("ABI of %s: %w", r.AccountName, err)
	}
	return &abi, nil
}

// GetRawABI returns a contract's binary ABI (get_raw_abi), checked against
// the abi_hash nodeos reports.
func (c *Client) GetRawABI(ctx context.Context, account string) (*RawABI, error) {
	op := "get_raw_abi " + account
	data, err := c.read(ctx, op, "/v1/chain/get_raw_abi", map[string]string{"account_name": account}, fieldsNorm("account_name", "code_hash", "abi_hash", "abi"))
	if err != nil {
		return nil, err
	}
	r, err := parseRawABI(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return r, nil
}

func parseRawABI(data []byte) (*RawABI, error) {
	var aux struct {
		AccountName string      `json:"account_name"`
		CodeHash    Checksum256 `json:"code_hash"`
		ABIHash     Checksum256 `json:"abi_hash"`
		ABI         string      `json:"abi"`
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return nil, fmt.Errorf("unreadable answer: %w", err)
	}
	abi, err := decodeBase64Lenient(aux.ABI)
	if err != nil {
		return nil, fmt.Errorf("abi is not base64: %w", err)
	}
	if len(abi) > 0 && sha256.Sum256(abi) != aux.ABIHash {
		return nil, fmt.Errorf("abi does not match abi_hash %s: the answer is corrupt", aux.ABIHash)
	}
	return &RawABI{AccountName: aux.AccountName, CodeHash: aux.CodeHash, ABIHash: aux.ABIHash, ABI: abi}, nil
}

// decodeBase64Lenient reads base64 with any amount of '=' padding: fc pads
// to a multiple of 4 and beyond ("...AA==="), which Go's strict decoder
// refuses.
func decodeBase64Lenient(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(s), "="))
}

// GetTableRows reads one page of a table (get_table_rows). Under a quorum,
// rows, more and next_key must agree.
func (c *Client) GetTableRows(ctx context.Context, req TableRowsRequest) (*TableRows, error) {
	op := fmt.Sprintf("get_table_rows %s/%s/%s", req.Code, req.Scope, req.Table)
	data, err := c.read(ctx, op, "/v1/chain/get_table_rows", req, fieldsNorm("rows", "more", "next_key"))
	if err != nil {
		return nil, err
	}
	var r TableRows
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: unreadable answer: %w", op, err)
	}
	return &r, nil
}

// maxPages bounds the paging helpers, so a misbehaving node cannot keep
// them looping.
const maxPages = 10000

// GetAllTableRows pages through a table from req's bounds to the end,
// following next_key, and returns every row.
func (c *Client) GetAllTableRows(ctx context.Context, req TableRowsRequest) ([]json.RawMessage, error) {
	var rows []json.RawMessage
	for page := 0; page < maxPages; page++ {
		r, err := c.GetTableRows(ctx, req)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r.Rows...)
		if !r.More {
			return rows, nil
		}
		if r.NextKey == "" {
			return nil, fmt.Errorf("get_table_rows %s/%s/%s: the node says more rows follow but gives no next_key (nodeos older than 2.0?)", req.Code, req.Scope, req.Table)
		}
		prev := req.LowerBound
		if req.Reverse {
			prev = req.UpperBound
			req.UpperBound = r.NextKey
		} else {
			req.LowerBound = r.NextKey
		}
		if prev == r.NextKey && len(r.Rows) == 0 {
			return nil, fmt.Errorf("get_table_rows %s/%s/%s: paging does not advance (next_key %s)", req.Code, req.Scope, req.Table, r.NextKey)
		}
	}
	return nil, fmt.Errorf("get_table_rows %s/%s/%s: more than %d pages", req.Code, req.Scope, req.Table, maxPages)
}

// GetTableByScope reads one page of a contract's scopes (get_table_by_scope).
func (c *Client) GetTableByScope(ctx context.Context, req TableByScopeRequest) (*TableByScope, error) {
	op := fmt.Sprintf("get_table_by_scope %s/%s", req.Code, req.Table)
	data, err := c.read(ctx, op, "/v1/chain/get_table_by_scope", req, fieldsNorm("rows", "more"))
	if err != nil {
		return nil, err
	}
	var r TableByScope
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: unreadable answer: %w", op, err)
	}
	return &r, nil
}

// GetAllTableScopes pages through get_table_by_scope and returns every row.
func (c *Client) GetAllTableScopes(ctx context.Context, req TableByScopeRequest) ([]ScopeRow, error) {
	var rows []ScopeRow
	for page := 0; page < maxPages; page++ {
		r, err := c.GetTableByScope(ctx, req)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r.Rows...)
		if r.More == "" {
			return rows, nil
		}
		if r.More == req.LowerBound && len(r.Rows) == 0 {
			return nil, fmt.Errorf("get_table_by_scope %s/%s: paging does not advance (more %s)", req.Code, req.Table, r.More)
		}
		req.LowerBound = r.More
	}
	return nil, fmt.Errorf("get_table_by_scope %s/%s: more than %d pages", req.Code, req.Table, maxPages)
}

// GetProducers reads one page of registered producers (get_producers, json).
// Under a quorum the fields that decide signing must agree (owner, key,
// authority, is_active, url, location, last_claim_time); votes and unpaid
// blocks move every block and are not compared.
func (c *Client) GetProducers(ctx context.Context, req ProducersRequest) (*Producers, error) {
	const op = "get_producers"
	body := struct {
		JSON       bool   `json:"json"`
		LowerBound string `json:"lower_bound,omitempty"`
		Limit      uint32 `json:"limit,omitempty"`
	}{JSON: true, LowerBound: req.LowerBound, Limit: req.Limit}
	data, err := c.read(ctx, op, "/v1/chain/get_producers", body, producersNorm)
	if err != nil {
		return nil, err
	}
	var r Producers
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: unreadable answer: %w", op, err)
	}
	return &r, nil
}

func producersNorm(raw []byte) ([]byte, error) {
	var r Producers
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	type row struct {
		Owner             string          `json:"owner"`
		ProducerKey       string          `json:"producer_key"`
		IsActive          FlexInt         `json:"is_active"`
		URL               string          `json:"url"`
		Location          FlexInt         `json:"location"`
		LastClaimTime     Time            `json:"last_claim_time"`
		ProducerAuthority json.RawMessage `json:"producer_authority,omitempty"`
	}
	rows := make([]row, len(r.Rows))
	for i, p := range r.Rows {
		key := p.ProducerKey
		if k, ok, err := p.Key(); err == nil && ok {
			key = k.String() // EOS... and PUB_K1_... are the same key
		}
		rows[i] = row{p.Owner, key, p.IsActive, p.URL, p.Location, p.LastClaimTime, p.ProducerAuthority}
	}
	return marshalCanonicalValue(struct {
		Rows []row  `json:"rows"`
		More string `json:"more"`
	}{rows, r.More})
}

// GetCurrencyBalance returns an account's balances of a token contract
// ("1.0000 EOS"); symbol may be empty for all of them.
func (c *Client) GetCurrencyBalance(ctx context.Context, code, account, symbol string) ([]string, error) {
	op := fmt.Sprintf("get_currency_balance %s %s", code, account)
	body := map[string]string{"code": code, "account": account}
	if symbol != "" {
		body["symbol"] = symbol
	}
	data, err := c.read(ctx, op, "/v1/chain/get_currency_balance", body, wholeNorm)
	if err != nil {
		return nil, err
	}
	var out []string
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%s: unreadable answer: %w", op, err)
	}
	return out, nil
}

// GetTransactionStatus asks get_transaction_status about a transaction id.
// Nodes without the feature answer an error (an *APIError or an
// *EndpointError with status 404).
func (c *Client) GetTransactionStatus(ctx context.Context, id Checksum256) (*TransactionStatus, error) {
	op := "get_transaction_status " + id.String()
	data, err := c.single().read(ctx, op, "/v1/chain/get_transaction_status", map[string]string{"id": id.String()}, fieldsNorm("state"))
	if err != nil {
		return nil, err
	}
	var st TransactionStatus
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%s: unreadable answer: %w", op, err)
	}
	return &st, nil
}

// requiredKeysNorm compares the set of keys, whatever their string form.
func requiredKeysNorm(raw []byte) ([]byte, error) {
	keys, err := parseRequiredKeys(raw)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(keys, signer.Compare)
	return json.Marshal(keys)
}

func parseRequiredKeys(raw []byte) ([]signer.PublicKey, error) {
	var aux struct {
		RequiredKeys []string `json:"required_keys"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&aux); err != nil {
		return nil, err
	}
	if aux.RequiredKeys == nil {
		return nil, errors.New("answer has no required_keys")
	}
	out := make([]signer.PublicKey, 0, len(aux.RequiredKeys))
	for _, s := range aux.RequiredKeys {
		k, err := signer.ParsePublicKey(s)
		if err != nil {
			return nil, fmt.Errorf("required key %q: %w", s, err)
		}
		out = append(out, k)
	}
	return out, nil
}
