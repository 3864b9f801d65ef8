package devchain

import (
	"encoding/hex"
	"net/http"
	"time"

	"github.com/bpkeys/bpkeys/contracts"
)

var globalTable = tableID{nEosio, nEosio, nGlobal}

// trxInclusion is where an accepted transaction went: the number of its
// block (the pending block when it was pushed) and its expiration.
type trxInclusion struct {
	BlockNum   uint32
	Expiration time.Time
}

// TransactionStatus is get_transaction_status's answer (Leap's
// chain_apis::read_only::get_transaction_status_results). Block fields are
// absent for an UNKNOWN transaction.
type TransactionStatus struct {
	State                      string  `json:"state"`
	BlockNumber                *uint32 `json:"block_number,omitempty"`
	BlockID                    *string `json:"block_id,omitempty"`
	BlockTimestamp             *string `json:"block_timestamp,omitempty"`
	Expiration                 *string `json:"expiration,omitempty"`
	HeadNumber                 uint32  `json:"head_number"`
	HeadID                     string  `json:"head_id"`
	HeadTimestamp              string  `json:"head_timestamp"`
	IrreversibleNumber         uint32  `json:"irreversible_number"`
	IrreversibleID             string  `json:"irreversible_id"`
	IrreversibleTimestamp      string  `json:"irreversible_timestamp"`
	EarliestTrackedBlockID     string  `json:"earliest_tracked_block_id"`
	EarliestTrackedBlockNumber uint32  `json:"earliest_tracked_block_number"`
}

// unknownEndpoint is nodeos's answer to a path no plugin serves.
func unknownEndpoint() *Error {
	return &Error{Code: 0, Name: "exception", What: "unspecified", Messages: []string{"Unknown Endpoint"}, HTTPStatus: http.StatusNotFound, HTTPMessage: "Not Found"}
}

func (c *Chain) httpGetTransactionStatus(body []byte) (any, error) {
	if !c.txStatus {
		return nil, unknownEndpoint()
	}
	var req struct {
		ID string `json:"id"`
	}
	if err := parseBody(body, &req); err != nil {
		return nil, err
	}
	var id [32]byte
	if err := decodeHex32(req.ID, &id); err != nil {
		return nil, invalidRequest("id: " + err.Error())
	}
	return c.GetTransactionStatus(id), nil
}

// GetTransactionStatus answers get_transaction_status. The devchain's last
// irreversible block is its head, so a transaction in a made block is
// IRREVERSIBLE, one in the pending block LOCALLY_APPLIED.
func (c *Chain) GetTransactionStatus(id [32]byte) *TransactionStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.head
	hid := hex.EncodeToString(h.ID[:])
	ht := h.Time.Format(contracts.TimePointFormat)
	st := &TransactionStatus{
		State: "UNKNOWN", HeadNumber: h.Num, HeadID: hid, HeadTimestamp: ht,
		IrreversibleNumber: h.Num, IrreversibleID: hid, IrreversibleTimestamp: ht,
		EarliestTrackedBlockID: hex.EncodeToString(make([]byte, 32)),
	}
	inc, ok := c.statuses[id]
	if !ok {
		return st
	}
	b := h
	st.State = "LOCALLY_APPLIED"
	if inc.BlockNum <= h.Num {
		b = c.blocks[inc.BlockNum&0xffff]
		st.State = "IRREVERSIBLE"
	}
	num, bid, bt, exp := b.Num, hex.EncodeToString(b.ID[:]), b.Time.Format(contracts.TimePointFormat), inc.Expiration.Format(contracts.TimePointFormat)
	st.BlockNumber, st.BlockID, st.BlockTimestamp, st.Expiration = &num, &bid, &bt, &exp
	return st
}
