package audit

import (
	"encoding/binary"
	"encoding/hex"
	"errors"

	eos "github.com/eoscanada/eos-go"
)

// Approval is an eosio.msig::approve in a signed transaction.
type Approval struct {
	Proposer string `json:"proposer"`
	Name     string `json:"proposal_name"`
	Level    string `json:"level"`          // actor@permission
	Hash     string `json:"hash,omitempty"` // the proposal hash pinned, if any
}

// Approvals decodes the eosio.msig::approve actions of tx from their
// packed form: what is signed, not what a note says. Whoever appends an
// Entry for a transaction records them (Entry.Approvals).
func Approvals(tx *eos.Transaction) ([]Approval, error) {
	var out []Approval
	for _, a := range tx.Actions {
		if a.Account != "eosio.msig" || a.Name != "approve" {
			continue
		}
		data, err := actionData(a)
		if err != nil {
			return nil, err
		}
		ap, err := decodeApprove(data)
		if err != nil {
			return nil, err
		}
		out = append(out, ap)
	}
	return out, nil
}

// actionData is the packed data of a, cut out of the packed action.
func actionData(a *eos.Action) ([]byte, error) {
	b, err := eos.MarshalBinary(a)
	if err != nil {
		return nil, err
	}
	d := b[16:] // account, name
	n, k := binary.Uvarint(d)
	if k <= 0 {
		return nil, errPacked
	}
	d = d[k:]
	if uint64(len(d)) < n*16 {
		return nil, errPacked
	}
	d = d[n*16:]
	n, k = binary.Uvarint(d)
	if k <= 0 || uint64(len(d)-k) != n {
		return nil, errPacked
	}
	return d[k:], nil
}

var errPacked = errors.New("journal: an eosio.msig::approve action does not pack as expected")

// decodeApprove reads approve(proposer, proposal_name, level,
// binary_extension<checksum256> proposal_hash): 32 bytes, or 64 with the
// hash appended as it is.
func decodeApprove(d []byte) (Approval, error) {
	if len(d) != 32 && len(d) != 64 {
		return Approval{}, errPacked
	}
	name := func(i int) string { return eos.NameToString(binary.LittleEndian.Uint64(d[i:])) }
	ap := Approval{Proposer: name(0), Name: name(8), Level: name(16) + "@" + name(24)}
	if len(d) == 64 {
		ap.Hash = hex.EncodeToString(d[32:])
	}
	return ap, nil
}
