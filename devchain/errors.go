package devchain

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a nodeos chain exception: its numeric code, exception name and
// "what", and the detail messages nodeos would send. The HTTP layer writes it
// as nodeos's error body. Match kinds with errors.Is against the Err*
// sentinels below.
type Error struct {
	Code     int64
	Name     string
	What     string
	Messages []string
	// HTTPStatus is the status nodeos answers with (500 unless set), and
	// HTTPMessage the body's "message" ("Internal Service Error" unless set).
	HTTPStatus  int
	HTTPMessage string
}

func (e *Error) Error() string {
	msg := e.What
	if len(e.Messages) > 0 {
		msg = e.Messages[0]
	}
	return fmt.Sprintf("%s (%d): %s", e.Name, e.Code, msg)
}

// Is matches another *Error with the same code.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code && t.Name == e.Name
}

// Exception kinds, by nodeos code. Compare with errors.Is(err, ErrXxx).
var (
	ErrException          = kind(0, "exception", "unspecified")
	ErrAssert             = kind(10, "assert_exception", "Assert Exception")
	ErrTransaction        = kind(3040000, "transaction_exception", "Transaction exception")
	ErrDecompression      = kind(3040001, "tx_decompression_error", "Error decompressing transaction")
	ErrNoAction           = kind(3040002, "tx_no_action", "Transaction should have at least one normal action")
	ErrNoAuths            = kind(3040003, "tx_no_auths", "Transaction should have at least one required authority")
	ErrExpired            = kind(3040005, "expired_tx_exception", "Expired Transaction")
	ErrExpTooFar          = kind(3040006, "tx_exp_too_far_exception", "Transaction Expiration Too Far")
	ErrInvalidRefBlock    = kind(3040007, "invalid_ref_block_exception", "Invalid Reference Block")
	ErrDuplicateTx        = withStatus(kind(3040008, "tx_duplicate", "Duplicate transaction"), http.StatusConflict, "Conflict")
	ErrUnknownCompression = kind(3040014, "unknown_transaction_compression", "Unknown transaction compression")
	ErrActionValidate     = kind(3050000, "action_validate_exception", "Action validate exception")
	ErrAccountExists      = kind(3050001, "account_name_exists_exception", "Account name already exists")
	ErrEosioAssert        = kind(3050003, "eosio_assert_message_exception", "eosio_assert_message assertion failure")
	ErrPermissionQuery    = kind(3060001, "permission_query_exception", "Permission Query Exception")
	ErrAccountQuery       = kind(3060002, "account_query_exception", "Account Query Exception")
	ErrDuplicateSig       = kind(3090001, "tx_duplicate_sig", "Duplicate signature included")
	ErrIrrelevantSig      = kind(3090002, "tx_irrelevant_sig", "Irrelevant signature included")
	ErrUnsatisfied        = kind(3090003, "unsatisfied_authorization", "Provided keys, permissions, and delays do not satisfy declared authorizations")
	ErrMissingAuth        = kind(3090004, "missing_auth_exception", "Missing required authority")
	ErrIrrelevantAuth     = kind(3090005, "irrelevant_auth_exception", "Irrelevant authority included")
	ErrInvalidPermission  = kind(3090007, "invalid_permission", "Invalid Permission")
	ErrUnlinkable         = kind(3090008, "unlinkable_min_permission_action", "The action is not allowed to be linked with minimum permission")
	ErrInvalidParent      = kind(3090009, "invalid_parent_permission", "The parent permission is invalid")
	ErrUnknownBlock       = withStatus(kind(3100002, "unknown_block_exception", "Unknown block"), http.StatusBadRequest, "Unknown Block")
	ErrPackedTransaction  = kind(3010010, "packed_transaction_type_exception", "Invalid packed transaction")
	ErrAssertCode         = kind(3050004, "eosio_assert_code_exception", "eosio_assert_code assertion failure")
	ErrInvalidHTTPRequest = withStatus(kind(3200006, "invalid_http_request", "invalid http request"), http.StatusBadRequest, "Invalid Request")
	ErrUnpack             = kind(3015013, "unpack_exception", "Unpack data exception")
	ErrAbiNotFound        = kind(3015001, "abi_not_found_exception", "No ABI found")
	ErrCryptoAPI          = kind(3230001, "crypto_api_exception", "Crypto API Exception")
	ErrChainType          = kind(3010000, "chain_type_exception", "chain type exception")
	ErrContractTableQuery = kind(3060003, "contract_table_query_exception", "Contract Table Query Exception")
)

func kind(code int64, name, what string) *Error { return &Error{Code: code, Name: name, What: what} }

func withStatus(e *Error, status int, msg string) *Error {
	e.HTTPStatus, e.HTTPMessage = status, msg
	return e
}

// invalidRequest is nodeos's answer to a body it cannot read (http_plugin's
// parse_params): 400 invalid_http_request.
func invalidRequest(cause string) *Error {
	e := newErr(ErrInvalidHTTPRequest, "Unable to parse valid input from POST body")
	e.Messages = append(e.Messages, cause)
	return e
}

// newErr makes an exception of kind k with a formatted detail message.
func newErr(k *Error, format string, args ...any) *Error {
	return &Error{Code: k.Code, Name: k.Name, What: k.What, Messages: []string{fmt.Sprintf(format, args...)}, HTTPStatus: k.HTTPStatus, HTTPMessage: k.HTTPMessage}
}

// assertErr is what a contract's check(false, msg) produces.
func assertErr(msg string) *Error {
	return newErr(ErrEosioAssert, "assertion failure with message: %s", msg)
}

// check returns assertErr(msg) unless cond holds.
func check(cond bool, msg string) error {
	if cond {
		return nil
	}
	return assertErr(msg)
}
