// Package contracts holds the typed action payloads, table rows and ABIs of
// the EOSIO contracts bpkeys sends to and reads from: the native account
// actions of eosio (newaccount, updateauth, deleteauth, linkauth, unlinkauth),
// eosio.msig, the producer actions of eosio.system, eosio.bpay and
// eosio.token. It also validates authorities exactly as nodeos does.
//
// The package is pure: no I/O, no keys. Structs encode and decode with
// eos-go's binary codec (eos.MarshalBinary / eos.UnmarshalBinary). eos-go
// panics on nil pointer fields, so every trailing binary extension
// (authorized_by$, proposal_hash$, earliest_exec_time$, producer_authority$)
// has two structs: one without the field and one ("...By", "...WithHash")
// with it. The Decode* functions accept both forms.
//
// The embedded ABIs (ABI, ABIJSON) describe the same interfaces as the real
// contracts (eosio's matches the reference-contracts system ABI for every
// action and table modelled here) and decode action data by name:
//
//	abi, _ := contracts.ABI("eosio.msig")
//	js, err := abi.DecodeAction(data, "approve")
package contracts
