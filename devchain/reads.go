package devchain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
)

func secondsDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

type jsonKeyWeight struct {
	Key    string `json:"key"`
	Weight uint16 `json:"weight"`
}

type jsonAuthority struct {
	Threshold uint32                      `json:"threshold"`
	Keys      []jsonKeyWeight             `json:"keys"`
	Accounts  []eos.PermissionLevelWeight `json:"accounts"`
	Waits     []eos.WaitWeight            `json:"waits"`
}

type jsonLinkedAction struct {
	Account string `json:"account"`
	Action  string `json:"action,omitempty"`
}

type jsonPermission struct {
	PermName      string             `json:"perm_name"`
	Parent        string             `json:"parent"`
	RequiredAuth  jsonAuthority      `json:"required_auth"`
	LinkedActions []jsonLinkedAction `json:"linked_actions"`
}

// jsonLimit is an account resource limit: nodeos prints available and max
// (int64) as strings, used and current_used as numbers.
type jsonLimit struct {
	Used                fcInt  `json:"used"`
	Available           fcInt  `json:"available"`
	Max                 fcInt  `json:"max"`
	LastUsageUpdateTime string `json:"last_usage_update_time"`
	CurrentUsed         fcInt  `json:"current_used"`
}

// fcInt is an int64 as nodeos prints it (fc's json with
// stringify_large_ints_and_doubles): a number up to 0xffffffff in
// magnitude, a string of digits beyond.
type fcInt int64

// fcLarge is the magnitude above which fc prints integers as strings.
const fcLarge = 0xffffffff

func (v fcInt) MarshalJSON() ([]byte, error) {
	s := strconv.FormatInt(int64(v), 10)
	if v > fcLarge || v < -fcLarge {
		return []byte(`"` + s + `"`), nil
	}
	return []byte(s), nil
}

// AccountInfo is get_account's answer.
type AccountInfo struct {
	AccountName            string             `json:"account_name"`
	HeadBlockNum           uint32             `json:"head_block_num"`
	HeadBlockTime          string             `json:"head_block_time"`
	Privileged             bool               `json:"privileged"`
	LastCodeUpdate         string             `json:"last_code_update"`
	Created                string             `json:"created"`
	CoreLiquidBalance      string             `json:"core_liquid_balance,omitempty"`
	RAMQuota               fcInt              `json:"ram_quota"`
	NetWeight              fcInt              `json:"net_weight"`
	CPUWeight              fcInt              `json:"cpu_weight"`
	NetLimit               jsonLimit          `json:"net_limit"`
	CPULimit               jsonLimit          `json:"cpu_limit"`
	RAMUsage               fcInt              `json:"ram_usage"`
	Permissions            []jsonPermission   `json:"permissions"`
	TotalResources         map[string]any     `json:"total_resources"`
	SelfDelegatedBandwidth any                `json:"self_delegated_bandwidth"`
	RefundRequest          any                `json:"refund_request"`
	VoterInfo              any                `json:"voter_info"`
	RexInfo                any                `json:"rex_info"`
	SubjectiveCPUBillLimit jsonLimit          `json:"subjective_cpu_bill_limit"`
	EosioAnyLinkedActions  []jsonLinkedAction `json:"eosio_any_linked_actions"`
}

func toJSONAuthority(a authority) jsonAuthority {
	out := jsonAuthority{Threshold: a.Threshold, Keys: []jsonKeyWeight{}, Accounts: []eos.PermissionLevelWeight{}, Waits: []eos.WaitWeight{}}
	for _, k := range a.Keys {
		out.Keys = append(out.Keys, jsonKeyWeight{k.Key.Legacy(), k.Weight})
	}
	for _, l := range a.Accounts {
		out.Accounts = append(out.Accounts, eos.PermissionLevelWeight{Permission: l.Level.eos(), Weight: l.Weight})
	}
	for _, w := range a.Waits {
		out.Waits = append(out.Waits, eos.WaitWeight{WaitSec: w.WaitSec, Weight: w.Weight})
	}
	return out
}

func (c *Chain) httpGetAccount(body []byte) (any, error) {
	var req struct {
		AccountName string `json:"account_name"`
	}
	if err := parseBody(body, &req); err != nil {
		return nil, err
	}
	if err := checkName(req.AccountName); err != nil {
		return nil, err
	}
	return c.GetAccount(req.AccountName)
}

// GetAccount answers get_account.
func (c *Chain) GetAccount(name string) (*AccountInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.db.accounts[name]
	if a == nil {
		return nil, unknownAccount(name)
	}
	ht := c.head.Time.Format(contracts.TimePointFormat)
	// Limits of an account staked as the recorded chain's were: available
	// and max beyond 2^32, so nodeos prints them as strings.
	lim := jsonLimit{LastUsageUpdateTime: ht, Used: 0, Available: 8911598400, Max: 8911598400}
	info := &AccountInfo{
		AccountName: name, HeadBlockNum: c.head.Num, HeadBlockTime: ht, Privileged: a.Privileged,
		LastCodeUpdate: "1970-01-01T00:00:00.000", Created: a.Created.Format(contracts.TimePointFormat),
		RAMQuota: -1, NetWeight: -1, CPUWeight: -1, NetLimit: lim, CPULimit: lim, RAMUsage: 2996,
		Permissions:            []jsonPermission{},
		TotalResources:         map[string]any{"owner": name, "net_weight": c.asset(0).String(), "cpu_weight": c.asset(0).String(), "ram_bytes": 0},
		SubjectiveCPUBillLimit: jsonLimit{LastUsageUpdateTime: "2000-01-01T00:00:00.000"},
		EosioAnyLinkedActions:  []jsonLinkedAction{},
	}
	if a.Contract {
		info.LastCodeUpdate = a.Created.Format(contracts.TimePointFormat)
	}
	if r, ok := c.db.getRow(tableID{nToken, nameValue(name), nAccounts}, c.symCode()); ok {
		var b contracts.TokenAccountRow
		if contracts.Decode(r.Data, &b) == nil {
			info.CoreLiquidBalance = b.Balance.String()
		}
	}
	links := sortedLinks(a)
	for _, p := range a.sortedPerms() {
		jp := jsonPermission{PermName: p.Name, Parent: p.Parent, RequiredAuth: toJSONAuthority(p.Auth), LinkedActions: []jsonLinkedAction{}}
		for _, k := range links {
			if a.Links[k] == p.Name {
				jp.LinkedActions = append(jp.LinkedActions, jsonLinkedAction{k.Code, k.Action})
			}
		}
		info.Permissions = append(info.Permissions, jp)
	}
	for _, k := range links {
		if a.Links[k] == string(contracts.Any) {
			info.EosioAnyLinkedActions = append(info.EosioAnyLinkedActions, jsonLinkedAction{k.Code, k.Action})
		}
	}
	return info, nil
}

// convertKey is nodeos's convert_to_type<uint64_t>: a number, else a name,
// else a symbol ("4,EOS") or symbol code ("EOS").
func convertKey(s, what string) (uint64, error) {
	s = strings.TrimSpace(s)
	if v, err := strconv.ParseUint(s, 10, 64); err == nil {
		return v, nil
	}
	if v, err := contracts.NameValue(s); err == nil {
		return v, nil
	}
	if i := strings.IndexByte(s, ','); i >= 0 {
		if sym, err := eos.StringToSymbol(s); err == nil {
			return uint64(sym.Precision) | symbolCode(sym.Symbol)<<8, nil
		}
	}
	if s != "" && len(s) <= 7 && strings.ToUpper(s) == s {
		return symbolCode(s), nil
	}
	return 0, &Error{Code: ErrChainType.Code, Name: ErrChainType.Name, What: ErrChainType.What, HTTPStatus: http.StatusBadRequest,
		Messages: []string{"Could not convert " + what + " string '" + s + "' to any of the following: uint64_t, valid name, or valid symbol (with or without the precision)"}}
}

// TableRowsRequest is get_table_rows's body.
type TableRowsRequest struct {
	Code       string          `json:"code"`
	Scope      string          `json:"scope"`
	Table      string          `json:"table"`
	JSON       bool            `json:"json"`
	LowerBound string          `json:"lower_bound"`
	UpperBound string          `json:"upper_bound"`
	Limit      json.RawMessage `json:"limit"`
	KeyType    string          `json:"key_type"`
	Index      string          `json:"index_position"`
	Reverse    bool            `json:"reverse"`
	ShowPayer  bool            `json:"show_payer"`
}

// TableRows is get_table_rows's answer.
type TableRows struct {
	Rows    []any  `json:"rows"`
	More    bool   `json:"more"`
	NextKey string `json:"next_key"`
}

func (c *Chain) httpGetTableRows(body []byte) (any, error) {
	var req TableRowsRequest
	if err := parseBody(body, &req); err != nil {
		return nil, err
	}
	if err := checkNames(req.Code, req.Table); err != nil {
		return nil, err
	}
	return c.GetTableRows(req)
}

func parseLimit(raw json.RawMessage, def int) int {
	s := strings.Trim(string(raw), `" `)
	if s == "" || s == "null" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return def
	}
	return n
}

// GetTableRows answers get_table_rows on the primary index: binary searches
// on the sorted keys, so each page costs O(log n + limit).
func (c *Chain) GetTableRows(req TableRowsRequest) (*TableRows, error) {
	if req.Index != "" && req.Index != "1" && req.Index != "primary" {
		return nil, newErr(ErrContractTableQuery, "the devchain only serves the primary index (index_position 1)")
	}
	scope, err := convertKey(req.Scope, "scope")
	if err != nil {
		return nil, err
	}
	limit := parseLimit(req.Limit, 10)
	c.mu.Lock()
	defer c.mu.Unlock()
	code := nameValue(req.Code)
	a := c.db.accounts[req.Code]
	if a == nil {
		return nil, unknownAccount(req.Code)
	}
	ca := c.abis[req.Code]
	if !a.Contract || ca == nil || ca.abi.TableForName(eos.TableName(req.Table)) == nil {
		return nil, newErr(ErrContractTableQuery, "Table %s is not specified in the ABI", req.Table)
	}
	out := &TableRows{Rows: []any{}}
	t := c.db.tables[tableID{code, scope, nameValue(req.Table)}]
	if t == nil {
		return out, nil
	}
	lo, hi := 0, len(t.keys) // [lo, hi)
	if req.LowerBound != "" {
		k, err := convertKey(req.LowerBound, "lower_bound")
		if err != nil {
			return nil, err
		}
		lo = sort.Search(len(t.keys), func(i int) bool { return t.keys[i] >= k })
	}
	if req.UpperBound != "" {
		k, err := convertKey(req.UpperBound, "upper_bound")
		if err != nil {
			return nil, err
		}
		hi = sort.Search(len(t.keys), func(i int) bool { return t.keys[i] > k })
	}
	if hi < lo {
		hi = lo
	}
	keys := t.keys[lo:hi]
	n := len(keys)
	if n > limit {
		n = limit
	}
	for i := 0; i < n; i++ {
		idx := i
		if req.Reverse {
			idx = len(keys) - 1 - i
		}
		k := keys[idx]
		r := t.rows[k]
		var data any = hex.EncodeToString(r.Data)
		if req.JSON {
			js, err := c.rowJSON(req.Code, req.Table, r.Data)
			if err != nil {
				return nil, newErr(ErrException, "decoding row %d of %s %s: %v", k, req.Code, req.Table, err)
			}
			data = js
		}
		if req.ShowPayer {
			out.Rows = append(out.Rows, map[string]any{"data": data, "payer": nameString(r.Payer)})
		} else {
			out.Rows = append(out.Rows, data)
		}
	}
	if len(keys) > n {
		out.More = true
		next := keys[n]
		if req.Reverse {
			next = keys[len(keys)-1-n]
		}
		if req.KeyType == "name" {
			out.NextKey = nameString(next)
		} else {
			out.NextKey = strconv.FormatUint(next, 10)
		}
	}
	return out, nil
}

// rowJSON decodes a row as nodeos would with the contract's ABI.
func (c *Chain) rowJSON(code, tbl string, data []byte) (json.RawMessage, error) {
	if code == "eosio.msig" && tbl == "proposal" {
		p, hasExt, err := contracts.DecodeProposalRow(data)
		if err != nil {
			return nil, err
		}
		if !hasExt {
			return json.Marshal(p.ProposalRow)
		}
		return json.Marshal(p)
	}
	if code == "eosio" && tbl == "producers" {
		return producerJSON(data)
	}
	if code == "eosio" && tbl == "peerkeys" {
		var p contracts.PeerKeyRow
		if err := contracts.Decode(data, &p); err != nil {
			return nil, err
		}
		return p.MarshalJSON()
	}
	ca := c.abis[code]
	if ca == nil {
		return nil, fmt.Errorf("%s has no ABI", code)
	}
	return ca.abi.DecodeTableRow(eos.TableName(tbl), data)
}

// producerJSON prints a producers row as nodeos does (eos-go's ABI decoder
// drops the variant tag of producer_authority).
func producerJSON(data []byte) (json.RawMessage, error) {
	p, hasExt, err := contracts.DecodeProducerInfo(data)
	if err != nil {
		return nil, err
	}
	active := 0
	if p.IsActive {
		active = 1
	}
	row := struct {
		Owner             string                           `json:"owner"`
		TotalVotes        contracts.Float64                `json:"total_votes"`
		ProducerKey       string                           `json:"producer_key"`
		IsActive          int                              `json:"is_active"`
		URL               string                           `json:"url"`
		UnpaidBlocks      uint32                           `json:"unpaid_blocks"`
		LastClaimTime     string                           `json:"last_claim_time"`
		Location          uint16                           `json:"location"`
		ProducerAuthority *contracts.BlockSigningAuthority `json:"producer_authority,omitempty"`
	}{string(p.Owner), p.TotalVotes, contracts.LegacyKeyString(p.ProducerKey), active, p.URL, p.UnpaidBlocks,
		contracts.FormatTimePoint(p.LastClaimTime), p.Location, nil}
	if hasExt {
		row.ProducerAuthority = &p.ProducerAuthority
	}
	return json.Marshal(row)
}

func (c *Chain) httpGetTableByScope(body []byte) (any, error) {
	var req struct {
		Code       string          `json:"code"`
		Table      string          `json:"table"`
		LowerBound string          `json:"lower_bound"`
		UpperBound string          `json:"upper_bound"`
		Limit      json.RawMessage `json:"limit"`
		Reverse    bool            `json:"reverse"`
	}
	if err := parseBody(body, &req); err != nil {
		return nil, err
	}
	if err := checkNames(req.Code, req.Table); err != nil {
		return nil, err
	}
	limit := parseLimit(req.Limit, 10)
	var lo, hi uint64 = 0, math.MaxUint64
	var err error
	if req.LowerBound != "" {
		if lo, err = convertKey(req.LowerBound, "lower_bound"); err != nil {
			return nil, err
		}
	}
	if req.UpperBound != "" {
		if hi, err = convertKey(req.UpperBound, "upper_bound"); err != nil {
			return nil, err
		}
	}
	code := nameValue(req.Code)
	c.mu.Lock()
	defer c.mu.Unlock()
	type scopeRow struct {
		Code  string `json:"code"`
		Scope string `json:"scope"`
		Table string `json:"table"`
		Payer string `json:"payer"`
		Count int    `json:"count"`
		scope uint64
		table uint64
	}
	var rows []scopeRow
	for id, t := range c.db.tables {
		if id.Code != code || len(t.keys) == 0 || (req.Table != "" && id.Table != nameValue(req.Table)) || id.Scope < lo || id.Scope > hi {
			continue
		}
		payer := t.rows[t.keys[0]].Payer
		rows = append(rows, scopeRow{Code: req.Code, Scope: nameString(id.Scope), Table: nameString(id.Table), Payer: nameString(payer), Count: len(t.keys), scope: id.Scope, table: id.Table})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].scope != rows[j].scope {
			return rows[i].scope < rows[j].scope
		}
		return rows[i].table < rows[j].table
	})
	if req.Reverse {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	more := ""
	if len(rows) > limit {
		more = rows[limit].Scope
		rows = rows[:limit]
	}
	if rows == nil {
		rows = []scopeRow{}
	}
	return map[string]any{"rows": rows, "more": more}, nil
}

func (c *Chain) httpGetProducers(body []byte) (any, error) {
	var req struct {
		JSON       bool            `json:"json"`
		LowerBound string          `json:"lower_bound"`
		Limit      json.RawMessage `json:"limit"`
	}
	if err := parseBody(body, &req); err != nil {
		return nil, err
	}
	limit := parseLimit(req.Limit, 50)
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.db.tables[producersTable]
	rows := []any{}
	more := ""
	if t != nil {
		start := 0
		if req.LowerBound != "" {
			k := nameValue(req.LowerBound)
			start = sort.Search(len(t.keys), func(i int) bool { return t.keys[i] >= k })
		}
		for i := start; i < len(t.keys); i++ {
			if len(rows) == limit {
				more = nameString(t.keys[i])
				break
			}
			r := t.rows[t.keys[i]]
			if !req.JSON {
				rows = append(rows, hex.EncodeToString(r.Data))
				continue
			}
			js, err := c.rowJSON("eosio", "producers", r.Data)
			if err != nil {
				return nil, newErr(ErrException, "decoding producer: %v", err)
			}
			rows = append(rows, js)
		}
	}
	return map[string]any{"rows": rows, "total_producer_vote_weight": "0.00000000000000000", "more": more}, nil
}

func (c *Chain) httpGetCurrencyBalance(body []byte) (any, error) {
	var req struct {
		Code    string `json:"code"`
		Account string `json:"account"`
		Symbol  string `json:"symbol"`
	}
	if err := parseBody(body, &req); err != nil {
		return nil, err
	}
	if err := checkNames(req.Code, req.Account); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.db.accounts[req.Account] == nil {
		return nil, unknownAccount(req.Account)
	}
	out := []string{}
	t := c.db.tables[tableID{nameValue(req.Code), nameValue(req.Account), nAccounts}]
	if t == nil {
		return out, nil
	}
	for _, k := range t.keys {
		var b contracts.TokenAccountRow
		if contracts.Decode(t.rows[k].Data, &b) != nil {
			continue
		}
		if req.Symbol == "" || strings.EqualFold(req.Symbol, b.Balance.Symbol.Symbol) {
			out = append(out, b.Balance.String())
		}
	}
	return out, nil
}
