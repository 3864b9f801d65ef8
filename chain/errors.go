package chain

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/bpkeys/bpkeys/signer"
)

// nodeos error codes bpkeys reacts to (spring libraries/chain/include/eosio/
// chain/exceptions.hpp).
const (
	CodeExpiredTx          = 3040005 // expired_tx_exception
	CodeTxExpTooFar        = 3040006 // tx_exp_too_far_exception
	CodeInvalidRefBlock    = 3040007 // invalid_ref_block_exception
	CodeTxDuplicate        = 3040008 // tx_duplicate
	CodeAssertMessage      = 3050003 // eosio_assert_message_exception
	CodeAssertCode         = 3050004 // eosio_assert_code_exception
	CodeDuplicateSig       = 3090001 // tx_duplicate_sig
	CodeIrrelevantSig      = 3090002 // tx_irrelevant_sig
	CodeUnsatisfiedAuth    = 3090003 // unsatisfied_authorization
	CodeMissingAuth        = 3090004 // missing_auth_exception
	CodeIrrelevantAuth     = 3090005 // irrelevant_auth_exception
	CodeUnknownBlock       = 3100002 // unknown_block_exception
	CodeAccountQuery       = 3060002 // account_query_exception
	CodeTableQuery         = 3060003 // contract_table_query_exception: a table not in the code's ABI (or no ABI)
	CodeContractTableQuery = 3060004 // contract_query_exception
	CodePackedTransaction  = 3010010 // packed_transaction_type_exception: an unreadable transaction
	CodeInvalidHTTPRequest = 3200006 // invalid_http_request: an unreadable request body (HTTP 400)
	CodeCryptoAPI          = 3230001 // crypto_api_exception (eosio.msig's assert_sha256: "hash mismatch")
)

// Detail is one entry of a nodeos error's details.
type Detail struct {
	Message    string `json:"message"`
	File       string `json:"file"`
	LineNumber int    `json:"line_number"`
	Method     string `json:"method"`
}

// APIError is an error nodeos answered with: the chain refused the request
// (an assertion in a contract, a missing authority, an unknown account). It is
// an answer, not an outage: the client does not try another endpoint.
type APIError struct {
	HTTPStatus int
	Code       int
	Name       string
	What       string
	Details    []Detail
	// Endpoint is the URL that answered.
	Endpoint string
}

// Error reads like "assertion failure with message: already claimed rewards
// within past day (eosio_assert_message_exception 3050003)".
func (e *APIError) Error() string {
	msg := e.Message()
	if e.Name == "" && e.Code == 0 {
		return fmt.Sprintf("%s (HTTP %d)", msg, e.HTTPStatus)
	}
	return fmt.Sprintf("%s (%s %d)", msg, e.Name, e.Code)
}

// Message is the most specific human message: the first non-empty detail
// message, else What. For an unreadable request or transaction nodeos's
// first detail is generic and the cause comes next, so both are given.
func (e *APIError) Message() string {
	var msgs []string
	for _, d := range e.Details {
		if m := strings.TrimSpace(d.Message); m != "" {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) > 1 && (e.Code == CodeInvalidHTTPRequest || e.Code == CodePackedTransaction) {
		return msgs[0] + ": " + msgs[1]
	}
	if len(msgs) > 0 {
		return msgs[0]
	}
	if e.What != "" {
		return e.What
	}
	return "nodeos error"
}

// contains reports whether s occurs in What or any detail message.
func (e *APIError) contains(s string) bool {
	if strings.Contains(e.What, s) {
		return true
	}
	for _, d := range e.Details {
		if strings.Contains(d.Message, s) {
			return true
		}
	}
	return false
}

// nodeosErrorBody is nodeos's error answer.
type nodeosErrorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Error   *struct {
		Code    FlexInt  `json:"code"`
		Name    string   `json:"name"`
		What    string   `json:"what"`
		Details []Detail `json:"details"`
	} `json:"error"`
}

// parseAPIError recognises a nodeos error body; it returns nil for anything
// else (a proxy's HTML page, an empty body).
func parseAPIError(status int, body []byte, endpoint string) *APIError {
	var b nodeosErrorBody
	if json.Unmarshal(body, &b) != nil || b.Error == nil {
		return nil
	}
	if b.Error.Name == "" && b.Error.What == "" && b.Error.Code == 0 {
		return nil
	}
	return &APIError{
		HTTPStatus: status,
		Code:       int(b.Error.Code),
		Name:       b.Error.Name,
		What:       b.Error.What,
		Details:    b.Error.Details,
		Endpoint:   endpoint,
	}
}

// IsCode reports whether err is (or wraps) a nodeos error with that code.
func IsCode(err error, code int) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == code
}

// IsAssertion reports whether err is a contract assertion (eosio_assert /
// check) whose message contains substring ("" matches any assertion), such
// as IsAssertion(err, "already claimed rewards within past day").
func IsAssertion(err error, substring string) bool {
	var e *APIError
	if !errors.As(err, &e) || (e.Code != CodeAssertMessage && e.Code != CodeAssertCode) {
		return false
	}
	return substring == "" || e.contains(substring)
}

// IsDuplicate reports whether nodeos refused a transaction because it already
// has it (tx_duplicate).
func IsDuplicate(err error) bool { return IsCode(err, CodeTxDuplicate) }

// IsUnknownAccount reports whether a get_account (or similar) failed because
// the account does not exist. nodeos reports it as a generic exception whose
// message starts with "unknown key", or as account_query_exception.
func IsUnknownAccount(err error) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	if e.Code == CodeAccountQuery {
		return true
	}
	return e.Code == 0 && e.contains("unknown key")
}

// EndpointError is a failure to get an answer from one endpoint: it could not
// be reached, did not answer in time, or answered with an HTTP error that is
// not a nodeos error body.
type EndpointError struct {
	Endpoint string
	Path     string
	// Status is the HTTP status, or 0 when no answer arrived.
	Status int
	// Sent is true when the whole request was written before the failure:
	// the node may have acted on it.
	Sent bool
	// Body is the beginning of an unexpected answer.
	Body string
	Err  error
}

// Error names the endpoint and what went wrong.
func (e *EndpointError) Error() string {
	switch {
	case e.Status != 0 && e.Body != "":
		return fmt.Sprintf("%s%s answered HTTP %d without a nodeos error body: %s", e.Endpoint, e.Path, e.Status, e.Body)
	case e.Status != 0:
		return fmt.Sprintf("%s%s answered HTTP %d", e.Endpoint, e.Path, e.Status)
	}
	return fmt.Sprintf("%s%s: %v", e.Endpoint, e.Path, e.Err)
}

// Unwrap returns the transport error.
func (e *EndpointError) Unwrap() error { return e.Err }

// ChainMismatchError refuses an endpoint that is on another chain than the
// pinned chain id (or than the first endpoint that answered).
type ChainMismatchError struct {
	Endpoint string
	Got      signer.ChainID
	Want     signer.ChainID
	// Pinned is true when Want is Options.ChainID (--chain-id); otherwise
	// Want was learned from ReferenceEndpoint.
	Pinned            bool
	ReferenceEndpoint string
}

// Error names the endpoint and both chain ids.
func (e *ChainMismatchError) Error() string {
	if e.Pinned {
		return fmt.Sprintf("refusing endpoint %s: it is on chain %s, but --chain-id pins %s", e.Endpoint, e.Got, e.Want)
	}
	return fmt.Sprintf("refusing endpoint %s: it is on chain %s, but %s is on chain %s; all endpoints must serve the same chain (pin one with --chain-id)", e.Endpoint, e.Got, e.ReferenceEndpoint, e.Want)
}

// DisagreementError reports that endpoints answered a quorum read
// differently. Nothing must be signed on the strength of either answer.
type DisagreementError struct {
	Op                   string
	EndpointA, EndpointB string
	// AnswerA and AnswerB are the compared parts of the answers, in
	// canonical JSON.
	AnswerA, AnswerB json.RawMessage
}

// Error names both endpoints and shows both answers.
func (e *DisagreementError) Error() string {
	return fmt.Sprintf("%s: endpoints disagree, refusing to continue (nothing was signed): %s answered %s but %s answered %s; one of them is out of sync or lying",
		e.Op, e.EndpointA, abbreviate(e.AnswerA), e.EndpointB, abbreviate(e.AnswerB))
}

func abbreviate(b []byte) string {
	const max = 300
	if len(b) <= max {
		return string(b)
	}
	return string(b[:max]) + fmt.Sprintf("...(%d bytes)", len(b))
}

// UnavailableError reports that not enough endpoints answered: none for a
// plain read, fewer than the quorum for a quorum read. Errs holds each
// endpoint's failure (errors.As finds a *ChainMismatchError among them).
type UnavailableError struct {
	Op        string
	Need, Got int
	Errs      []error
}

// Error lists every endpoint's failure.
func (e *UnavailableError) Error() string {
	var b strings.Builder
	if e.Need <= 1 {
		fmt.Fprintf(&b, "%s: no endpoint answered", e.Op)
	} else {
		fmt.Fprintf(&b, "%s: quorum of %d endpoints not reached, only %d answered", e.Op, e.Need, e.Got)
	}
	for _, err := range e.Errs {
		b.WriteString("; ")
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap returns the per-endpoint errors.
func (e *UnavailableError) Unwrap() []error { return e.Errs }

// PushUncertainError reports that a transaction was sent but no endpoint
// confirmed whether it was applied. It may be on chain: re-sending the same
// signed transaction is safe (nodeos refuses duplicates), building and
// signing a new one is not.
type PushUncertainError struct {
	ID   Checksum256
	Errs []error
}

// Error gives the transaction id and what to do.
func (e *PushUncertainError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "transaction %s was sent but no endpoint confirmed whether it was applied; it may be on chain: look it up (a block explorer, or get_transaction_status on a node that has it) before signing anything new, re-sending the same signed transaction is safe", e.ID)
	for _, err := range e.Errs {
		b.WriteString("; ")
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap returns the per-attempt errors.
func (e *PushUncertainError) Unwrap() []error { return e.Errs }
