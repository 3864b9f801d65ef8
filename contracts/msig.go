package contracts

import (
	"fmt"

	eos "github.com/eoscanada/eos-go"
)

// Propose is eosio.msig::propose. Trx is the proposed transaction; the
// contract stores its packed bytes verbatim as the proposal's
// packed_transaction.
type Propose struct {
	Proposer     eos.AccountName       `json:"proposer"`
	ProposalName eos.Name              `json:"proposal_name"`
	Requested    []eos.PermissionLevel `json:"requested"`
	Trx          eos.Transaction       `json:"trx"`
}

// ProposeRaw is propose with the transaction kept as packed bytes (as the
// contract sees it: ignore<transaction>). Bytes gives the same binary form as
// encoding Propose.
type ProposeRaw struct {
	Proposer     eos.AccountName
	ProposalName eos.Name
	Requested    []eos.PermissionLevel
	PackedTrx    []byte
}

// Bytes packs the action data: the fields followed by the raw transaction.
func (p ProposeRaw) Bytes() ([]byte, error) {
	head, err := eos.MarshalBinary(struct {
		Proposer     eos.AccountName
		ProposalName eos.Name
		Requested    []eos.PermissionLevel
	}{p.Proposer, p.ProposalName, p.Requested})
	if err != nil {
		return nil, fmt.Errorf("encoding propose: %w", err)
	}
	return append(head, p.PackedTrx...), nil
}

// DecodeProposeRaw splits propose data into its fields and the exact packed
// transaction bytes that follow them.
func DecodeProposeRaw(data []byte) (ProposeRaw, error) {
	var head struct {
		Proposer     eos.AccountName
		ProposalName eos.Name
		Requested    []eos.PermissionLevel
	}
	d := eos.NewDecoder(data)
	if err := d.Decode(&head); err != nil {
		return ProposeRaw{}, fmt.Errorf("decoding propose: %w", err)
	}
	return ProposeRaw{head.Proposer, head.ProposalName, head.Requested, append([]byte(nil), data[d.LastPos():]...)}, nil
}

// Approve is eosio.msig::approve without proposal_hash.
type Approve struct {
	Proposer     eos.AccountName     `json:"proposer"`
	ProposalName eos.Name            `json:"proposal_name"`
	Level        eos.PermissionLevel `json:"level"`
}

// ApproveWithHash is eosio.msig::approve pinned to a proposal: the contract
// rejects it unless sha256(packed_transaction) == ProposalHash, i.e. the hash
// is the proposed transaction's id.
type ApproveWithHash struct {
	Approve
	ProposalHash eos.Checksum256 `json:"proposal_hash"`
}

// DecodeApprove decodes approve data with or without proposal_hash (nil
// when absent).
func DecodeApprove(data []byte) (Approve, eos.Checksum256, error) {
	var a Approve
	d := eos.NewDecoder(data)
	if err := d.Decode(&a); err != nil {
		return a, nil, fmt.Errorf("decoding approve: %w", err)
	}
	switch rest := len(data) - d.LastPos(); rest {
	case 0:
		return a, nil, nil
	case 32:
		return a, eos.Checksum256(append([]byte(nil), data[d.LastPos():]...)), nil
	default:
		return a, nil, fmt.Errorf("decoding approve: %d trailing bytes: expected none or a 32-byte proposal_hash", rest)
	}
}

// Unapprove is eosio.msig::unapprove.
type Unapprove struct {
	Proposer     eos.AccountName     `json:"proposer"`
	ProposalName eos.Name            `json:"proposal_name"`
	Level        eos.PermissionLevel `json:"level"`
}

// Cancel is eosio.msig::cancel.
type Cancel struct {
	Proposer     eos.AccountName `json:"proposer"`
	ProposalName eos.Name        `json:"proposal_name"`
	Canceler     eos.AccountName `json:"canceler"`
}

// Exec is eosio.msig::exec.
type Exec struct {
	Proposer     eos.AccountName `json:"proposer"`
	ProposalName eos.Name        `json:"proposal_name"`
	Executer     eos.AccountName `json:"executer"`
}

// Invalidate is eosio.msig::invalidate: approvals account gave before now
// stop counting.
type Invalidate struct {
	Account eos.AccountName `json:"account"`
}

// ProposalRow is a row of the eosio.msig "proposal" table (scope: proposer)
// without the earliest_exec_time extension.
type ProposalRow struct {
	ProposalName      eos.Name     `json:"proposal_name"`
	PackedTransaction eos.HexBytes `json:"packed_transaction"`
}

// ProposalRowExec is a proposal row with the earliest_exec_time extension
// present (time_point?$): Set false means the optional is empty.
type ProposalRowExec struct {
	ProposalRow
	EarliestExecTime OptionalTimePoint `json:"earliest_exec_time"`
}

// OptionalTimePoint is an optional<time_point>; in JSON null or the time.
type OptionalTimePoint struct {
	Set  bool
	Time eos.TimePoint
}

// MarshalJSON writes null or the time as nodeos prints time_point.
func (o OptionalTimePoint) MarshalJSON() ([]byte, error) {
	if !o.Set {
		return []byte("null"), nil
	}
	return []byte(`"` + FormatTimePoint(o.Time) + `"`), nil
}

// MarshalBinary writes the optional flag and, when set, the time point.
func (o OptionalTimePoint) MarshalBinary(e *eos.Encoder) error {
	if !o.Set {
		return e.Encode(uint8(0))
	}
	if err := e.Encode(uint8(1)); err != nil {
		return err
	}
	return e.Encode(uint64(o.Time))
}

// UnmarshalBinary reads the optional flag and the time point.
func (o *OptionalTimePoint) UnmarshalBinary(d *eos.Decoder) error {
	b, err := d.ReadByte()
	if err != nil {
		return err
	}
	o.Set = b != 0
	if o.Set {
		t, err := d.ReadUint64()
		if err != nil {
			return err
		}
		o.Time = eos.TimePoint(t)
	}
	return nil
}

// DecodeProposalRow decodes a proposal row with or without the extension.
func DecodeProposalRow(data []byte) (ProposalRowExec, bool, error) {
	var r ProposalRowExec
	d := eos.NewDecoder(data)
	if err := d.Decode(&r.ProposalRow); err != nil {
		return r, false, fmt.Errorf("decoding proposal row: %w", err)
	}
	if d.LastPos() == len(data) {
		return r, false, nil
	}
	if err := r.EarliestExecTime.UnmarshalBinary(d); err != nil {
		return r, false, fmt.Errorf("decoding proposal row: earliest_exec_time: %w", err)
	}
	return r, true, nil
}

// Approval is one approval of an approvals2 row: who and when.
type Approval struct {
	Level eos.PermissionLevel `json:"level"`
	Time  eos.TimePoint       `json:"time"`
}

// ApprovalsRow is a row of the eosio.msig "approvals2" table (scope:
// proposer). Version is 1.
type ApprovalsRow struct {
	Version            uint8      `json:"version"`
	ProposalName       eos.Name   `json:"proposal_name"`
	RequestedApprovals []Approval `json:"requested_approvals"`
	ProvidedApprovals  []Approval `json:"provided_approvals"`
}

// OldApprovalsRow is a row of the old eosio.msig "approvals" table.
type OldApprovalsRow struct {
	ProposalName       eos.Name              `json:"proposal_name"`
	RequestedApprovals []eos.PermissionLevel `json:"requested_approvals"`
	ProvidedApprovals  []eos.PermissionLevel `json:"provided_approvals"`
}

// InvalidationRow is a row of the eosio.msig "invals" table (scope:
// eosio.msig).
type InvalidationRow struct {
	Account              eos.AccountName `json:"account"`
	LastInvalidationTime eos.TimePoint   `json:"last_invalidation_time"`
}
