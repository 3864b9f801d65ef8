// Package chain is bpkeys' nodeos HTTP client. It is the only package that
// talks to a chain; everything it returns is plain data for the pure packages
// (permissions, policies, proposals, producer).
//
// # Endpoints, failover and the chain id
//
// A Client holds a list of endpoints tried in order. A read moves on to the
// next endpoint when one cannot be reached, does not answer within the
// per-call timeout (Options.ReadTimeout, 5 s by default), or answers with an
// HTTP error that is not a nodeos error body (a proxy's 502, a 404 for an API
// the node does not serve, a 429). A nodeos error body (HTTP 4xx/5xx with
// {"error":{"code","name","what","details"}}) is an answer, returned as
// *APIError without trying another endpoint.
//
// Before an endpoint is used for anything, its get_info chain_id is checked
// once (and cached): against Options.ChainID when it is set, otherwise
// against the first endpoint that answered. An endpoint on another chain is
// refused with a *ChainMismatchError naming the endpoint and both ids.
//
// # Quorum reads
//
// Reads that decide what gets signed (an account's permissions, a proposal's
// packed transaction, a producer row) can be checked across endpoints:
// c.WithQuorum(2).GetAccount(...) asks endpoints in order until two have
// answered and compares the part of their answers that matters (permissions
// for get_account, rows for get_table_rows, ...) after canonical JSON
// normalisation. Any difference is a *DisagreementError carrying both
// endpoints and both answers, and the caller must not sign.
//
// # Transactions
//
// NewTransaction fills TaPoS from the last irreversible block and an
// expiration chosen by the caller (at most one hour, nodeos's default
// max_transaction_lifetime; 5 minutes by default, long enough for a PIN and
// a touch), with delay_sec 0 and no resource limits. RequiredKeys asks
// nodeos which of the available keys must sign, so only those are used
// (nodeos rejects irrelevant signatures).
//
// Push sends a signed transaction with send_transaction (push_transaction on
// nodes without it) and is idempotent: when the answer is lost after the
// request was sent, it asks get_transaction_status whether the transaction
// is known and otherwise re-sends the same bytes, treating nodeos's
// tx_duplicate as success. A transaction is therefore never applied twice
// and never reported failed when it was applied. A nodeos error on a push
// is final: it is never retried on another endpoint.
package chain
