package blocksigner

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bpkeys/bpkeys/signer"
)

// The wallet API paths nodeos and cleos use.
const (
	PathSignDigest    = "/v1/wallet/sign_digest"
	PathGetPublicKeys = "/v1/wallet/get_public_keys"
	PathMetrics       = "/metrics"
)

// ErrorResults is the error body of nodeos's http_plugin (error_results),
// which keosd answers with and nodeos's HTTP client reads on status 500.
type ErrorResults struct {
	Code    int       `json:"code"`
	Message string    `json:"message"`
	Error   ErrorInfo `json:"error"`
}

// ErrorInfo is error_results::error_info.
type ErrorInfo struct {
	Code    int64         `json:"code"`
	Name    string        `json:"name"`
	What    string        `json:"what"`
	Details []ErrorDetail `json:"details"`
}

// ErrorDetail is one of error_info's details.
type ErrorDetail struct {
	Message    string `json:"message"`
	File       string `json:"file"`
	LineNumber int    `json:"line_number"`
	Method     string `json:"method"`
}

// fc exception codes used (libraries/chain/include/eosio/chain/exceptions.hpp).
const (
	codeWalletException  = 3120000 // wallet_exception
	codeMissingPubKey    = 3120004 // wallet_missing_pub_key_exception
	codeInvalidHTTPReq   = 3200006 // invalid_http_request
	maxRequestBody       = 4 << 10
	contentTypeJSON      = "application/json"
	statusSigned         = http.StatusCreated // keosd's sign_digest answers 201
	statusInternalError  = http.StatusInternalServerError
	messageInternalError = "Internal Service Error"
)

// ErrBadRequest marks a request that is not ["<digest hex>", "<public key>"].
var ErrBadRequest = errors.New("invalid request")

// parseSignRequest reads sign_digest's body: a JSON array of the digest as
// 64 hex digits and the public key (nodeos sends K1 keys in the legacy EOS
// form, fc's public_key to_string; PUB_K1_ and PUB_R1_ are accepted too).
func parseSignRequest(body []byte) ([32]byte, signer.PublicKey, error) {
	var d [32]byte
	var params []json.RawMessage
	if err := json.Unmarshal(body, &params); err != nil {
		return d, signer.PublicKey{}, fmt.Errorf("%w: the body must be the JSON array [\"<digest hex>\", \"<public key>\"]", ErrBadRequest)
	}
	if len(params) != 2 {
		return d, signer.PublicKey{}, fmt.Errorf("%w: Missing valid input from POST body (want 2 parameters, got %d)", ErrBadRequest, len(params))
	}
	var digestHex, key string
	if json.Unmarshal(params[0], &digestHex) != nil || json.Unmarshal(params[1], &key) != nil {
		return d, signer.PublicKey{}, fmt.Errorf("%w: both parameters must be strings", ErrBadRequest)
	}
	b, err := hex.DecodeString(digestHex)
	if err != nil || len(b) != 32 {
		return d, signer.PublicKey{}, fmt.Errorf("%w: the digest must be 64 hex digits", ErrBadRequest)
	}
	copy(d[:], b)
	pub, err := signer.ParsePublicKey(key)
	if err != nil {
		return d, signer.PublicKey{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return d, pub, nil
}

// keyString is how keosd (fc) writes a public key: K1 in the legacy EOS
// form, others as PUB_<type>_.
func keyString(k signer.PublicKey) string {
	if k.Curve == signer.CurveK1 {
		return k.Legacy()
	}
	return k.String()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError answers err in keosd's shape.
func writeError(w http.ResponseWriter, method string, err error) {
	status, res := errorResults(method, err)
	writeJSON(w, status, res)
}

func errorResults(method string, err error) (int, ErrorResults) {
	detail := []ErrorDetail{{Message: err.Error(), File: "blocksigner", Method: method}}
	var ref *RefusedError
	switch {
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest, ErrorResults{Code: http.StatusBadRequest, Message: "Invalid Request",
			Error: ErrorInfo{Code: codeInvalidHTTPReq, Name: "invalid_http_request", What: "invalid http request", Details: detail}}
	case errors.As(err, &ref) && ref.Reason == ReasonUnknownKey:
		return statusInternalError, ErrorResults{Code: statusInternalError, Message: messageInternalError,
			Error: ErrorInfo{Code: codeMissingPubKey, Name: "wallet_missing_pub_key_exception", What: "Missing public key", Details: detail}}
	case errors.As(err, &ref) && ref.Reason == ReasonNotFound:
		return http.StatusNotFound, ErrorResults{Code: http.StatusNotFound, Message: "Not Found",
			Error: ErrorInfo{Code: 0, Name: "exception", What: "unspecified", Details: detail}}
	case errors.As(err, &ref):
		return statusInternalError, ErrorResults{Code: statusInternalError, Message: messageInternalError,
			Error: ErrorInfo{Code: codeWalletException, Name: "wallet_exception", What: "bpkeys signer refused: " + strings.ReplaceAll(ref.Reason, "_", " "), Details: detail}}
	}
	return statusInternalError, ErrorResults{Code: statusInternalError, Message: messageInternalError,
		Error: ErrorInfo{Code: codeWalletException, Name: "wallet_exception", What: "bpkeys signer: the device did not sign", Details: detail}}
}

// parseKey returns the PUB_ form of any key string.
func parseKey(s string) (string, error) {
	k, err := signer.ParsePublicKey(s)
	if err != nil {
		return "", err
	}
	return k.String(), nil
}
