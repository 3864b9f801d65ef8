package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	eos "github.com/eoscanada/eos-go"
)

// PushResult is the outcome of a successful Push.
type PushResult struct {
	TransactionID Checksum256
	// Endpoint is the URL that accepted (or confirmed) the transaction.
	Endpoint string
	// AlreadyKnown is true when the node already had the transaction: the
	// answer to an earlier send was lost and get_transaction_status found it,
	// or nodeos refused a re-send as a duplicate. Processed and Trace are
	// then empty: the transaction was applied once, by the earlier send.
	AlreadyKnown bool
	// Duplicate is true when nodeos refused the very first send of this
	// call as tx_duplicate: the chain had these exact bytes before this
	// call sent them (an earlier run, or another tool). Only the caller
	// knows whether that is a re-send of its own intent or a new intent
	// that did nothing.
	Duplicate bool
	// Status is get_transaction_status's state when it confirmed the
	// transaction (IN_BLOCK, IRREVERSIBLE, LOCALLY_APPLIED).
	Status string
	// Processed is the "processed" trace as nodeos sent it.
	Processed json.RawMessage
	// Trace is Processed parsed (nil when AlreadyKnown).
	Trace *Trace
}

// Trace is a transaction trace (send_transaction's "processed").
type Trace struct {
	ID           Checksum256     `json:"id"`
	BlockNum     uint32          `json:"block_num"`
	BlockTime    Time            `json:"block_time"`
	Receipt      *TxReceipt      `json:"receipt"`
	Elapsed      FlexInt         `json:"elapsed"`
	NetUsage     FlexInt         `json:"net_usage"`
	Scheduled    bool            `json:"scheduled"`
	ActionTraces []ActionTrace   `json:"action_traces"`
	Except       json.RawMessage `json:"except"`
	ErrorCode    json.RawMessage `json:"error_code"`
}

// TxReceipt is a transaction receipt header.
type TxReceipt struct {
	Status        string  `json:"status"`
	CPUUsageUS    FlexInt `json:"cpu_usage_us"`
	NetUsageWords FlexInt `json:"net_usage_words"`
}

// ActionTrace is one action's trace: the action, who received it, its
// console output and receipt.
type ActionTrace struct {
	ActionOrdinal        uint32          `json:"action_ordinal"`
	CreatorActionOrdinal uint32          `json:"creator_action_ordinal"`
	Receiver             string          `json:"receiver"`
	Act                  TraceAction     `json:"act"`
	Receipt              *ActionReceipt  `json:"receipt"`
	Console              string          `json:"console"`
	Elapsed              FlexInt         `json:"elapsed"`
	Except               json.RawMessage `json:"except"`
	ReturnValueHexData   string          `json:"return_value_hex_data"`
}

// TraceAction is an action as a trace shows it: data decoded by the node's
// ABI (when it has one) and in hex.
type TraceAction struct {
	Account       string            `json:"account"`
	Name          string            `json:"name"`
	Authorization []PermissionLevel `json:"authorization"`
	Data          json.RawMessage   `json:"data"`
	HexData       string            `json:"hex_data"`
}

// ActionReceipt is an action's receipt.
type ActionReceipt struct {
	Receiver       string  `json:"receiver"`
	ActDigest      string  `json:"act_digest"`
	GlobalSequence FlexInt `json:"global_sequence"`
	RecvSequence   FlexInt `json:"recv_sequence"`
}

// Consoles returns the non-empty console outputs of the trace's actions.
func (t *Trace) Consoles() []string {
	var out []string
	for _, a := range t.ActionTraces {
		if s := strings.TrimSpace(a.Console); s != "" {
			out = append(out, s)
		}
	}
	return out
}

type pushAnswer struct {
	TransactionID Checksum256     `json:"transaction_id"`
	Processed     json.RawMessage `json:"processed"`
}

// Push packs and sends a signed transaction. See PushPacked.
func (c *Client) Push(ctx context.Context, tx *eos.SignedTransaction) (*PushResult, error) {
	p, err := Pack(tx)
	if err != nil {
		return nil, err
	}
	return c.PushPacked(ctx, p)
}

// PushPacked sends a signed transaction with send_transaction (falling back
// to push_transaction on nodes that answer 404) and returns its id and
// trace.
//
// It is idempotent. Endpoints that cannot be reached are skipped. When the
// answer is lost after the request was sent (timeout, connection reset, a
// proxy's 5xx), the transaction may have been applied: before sending again
// it asks get_transaction_status whether the node knows it, and a re-send
// that nodeos refuses as a duplicate (tx_duplicate) is success. A nodeos
// error (*APIError) is final and is not retried elsewhere. When no endpoint
// could confirm either way, it returns *PushUncertainError.
func (c *Client) PushPacked(ctx context.Context, p *PackedTransaction) (*PushResult, error) {
	if p == nil {
		return nil, errors.New("push: no transaction")
	}
	if len(p.Signatures) == 0 {
		return nil, errors.New("push: the transaction has no signature")
	}
	id, err := p.ID()
	if err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	op := "push transaction " + id.String()
	s := c.s
	var (
		errs      []error
		uncertain bool
	)
	fail := func(err error) error {
		if uncertain {
			return &PushUncertainError{ID: id, Errs: append(errs, err)}
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	eps := s.ordered()
	for i, ep := range eps {
		if err := ctx.Err(); err != nil {
			return nil, fail(err)
		}
		if err := s.ensureChain(ctx, ep); err != nil {
			if ctx.Err() != nil {
				return nil, fail(ctx.Err())
			}
			errs = append(errs, err)
			continue
		}
		// At most two sends per endpoint: one, and one more after a lost answer.
		for attempt := 0; attempt < 2; attempt++ {
			if uncertain {
				if st, err := c.statusOn(ctx, ep, id); err == nil && st.Known() {
					s.log("%s: the earlier answer was lost, but %s has it (%s)", op, ep.name, st.State)
					return &PushResult{TransactionID: id, Endpoint: ep.name, AlreadyKnown: true, Status: st.State}, nil
				}
			}
			res, err := c.pushTo(ctx, ep, p, id)
			if err == nil {
				return res, nil
			}
			if ctx.Err() != nil {
				var ee *EndpointError
				if errors.As(err, &ee) && ee.Sent {
					uncertain = true
				}
				return nil, fail(err)
			}
			var ae *APIError
			if errors.As(err, &ae) {
				if ae.Code == CodeTxDuplicate {
					s.log("%s: %s already has it (tx_duplicate)", op, ep.name)
					return &PushResult{TransactionID: id, Endpoint: ep.name, AlreadyKnown: true, Duplicate: !uncertain}, nil
				}
				if ae.HTTPStatus != http.StatusNotFound {
					if uncertain {
						return nil, fmt.Errorf("%s: an earlier send's answer was lost, and re-sending it to %s failed: %w", op, ep.name, err)
					}
					return nil, fmt.Errorf("%s: %w", op, err)
				}
			}
			errs = append(errs, err)
			var ee *EndpointError
			if errors.As(err, &ee) && ((ee.Status == 0 && ee.Sent) || ee.Status >= 500) {
				uncertain = true
				s.log("%s: %v; the node may have applied it, checking", op, err)
				continue
			}
			break
		}
		if i+1 < len(eps) {
			s.log("%s: %s failed; trying %s", op, ep.name, eps[i+1].name)
		}
	}
	if uncertain {
		return nil, &PushUncertainError{ID: id, Errs: errs}
	}
	return nil, &UnavailableError{Op: op, Need: 1, Errs: errs}
}

// statusOn asks one endpoint about a transaction.
func (c *Client) statusOn(ctx context.Context, ep *endpoint, id Checksum256) (*TransactionStatus, error) {
	data, _, err := c.s.call(ctx, ep, http.MethodPost, "/v1/chain/get_transaction_status", map[string]string{"id": id.String()}, c.s.readTimeout)
	if err != nil {
		return nil, err
	}
	var st TransactionStatus
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// pushTo sends p to one endpoint.
func (c *Client) pushTo(ctx context.Context, ep *endpoint, p *PackedTransaction, id Checksum256) (*PushResult, error) {
	s := c.s
	ep.mu.Lock()
	noSend := ep.noSend
	ep.mu.Unlock()
	path := "/v1/chain/send_transaction"
	if noSend {
		path = "/v1/chain/push_transaction"
	}
	data, status, err := s.call(ctx, ep, http.MethodPost, path, p, s.pushTimeout)
	if status == http.StatusNotFound && !noSend {
		// An old node without send_transaction: nothing was processed.
		ep.mu.Lock()
		ep.noSend = true
		ep.mu.Unlock()
		path = "/v1/chain/push_transaction"
		data, _, err = s.call(ctx, ep, http.MethodPost, path, p, s.pushTimeout)
	}
	if err != nil {
		return nil, err
	}
	var ans pushAnswer
	if err := json.Unmarshal(data, &ans); err != nil {
		return nil, &EndpointError{Endpoint: ep.name, Path: path, Status: status, Sent: true, Err: fmt.Errorf("unreadable answer: %w", err)}
	}
	if !ans.TransactionID.IsZero() && ans.TransactionID != id {
		return nil, fmt.Errorf("%s%s answered for transaction %s, but %s was sent", ep.name, path, ans.TransactionID, id)
	}
	res := &PushResult{TransactionID: id, Endpoint: ep.name, Processed: ans.Processed}
	if len(ans.Processed) > 0 && string(ans.Processed) != "null" {
		var t Trace
		if err := json.Unmarshal(ans.Processed, &t); err != nil {
			return nil, &EndpointError{Endpoint: ep.name, Path: path, Status: status, Sent: true, Err: fmt.Errorf("unreadable trace: %w", err)}
		}
		if ae := exceptError(t.Except, ep.name); ae != nil {
			return nil, ae
		}
		res.Trace = &t
	}
	return res, nil
}

// exceptError turns a trace's "except" into an *APIError, or nil.
func exceptError(raw json.RawMessage, endpoint string) *APIError {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var ex struct {
		Code    FlexInt `json:"code"`
		Name    string  `json:"name"`
		Message string  `json:"message"`
		Stack   []struct {
			Format string         `json:"format"`
			Data   map[string]any `json:"data"`
		} `json:"stack"`
	}
	if err := json.Unmarshal(raw, &ex); err != nil {
		return &APIError{HTTPStatus: http.StatusAccepted, What: "the transaction failed: " + string(raw), Endpoint: endpoint}
	}
	e := &APIError{HTTPStatus: http.StatusAccepted, Code: int(ex.Code), Name: ex.Name, What: ex.Message, Endpoint: endpoint}
	for _, st := range ex.Stack {
		msg := st.Format
		for k, v := range st.Data {
			msg = strings.ReplaceAll(msg, "${"+k+"}", fmt.Sprint(v))
		}
		e.Details = append(e.Details, Detail{Message: msg})
	}
	return e
}
