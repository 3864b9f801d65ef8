// Package devchain is a local EOSIO/Antelope chain for bpkeys' demo and
// end-to-end tests: one Go process speaking the nodeos HTTP API
// (/v1/chain/...) with nodeos's rules and error bodies. It is not a
// blockchain (no consensus, no WASM, no resources) but a faithful model of
// what bpkeys touches:
//
//   - transactions: unpacking (none or zlib), expiration (at most 3600 s
//     ahead of the pending block), TaPoS against the last 65536 blocks,
//     duplicate ids, delay_sec must be 0, signature recovery (K1 canonical,
//     R1 low-S, one signature per key, no irrelevant signatures), each
//     declared authorization checked against linkauth minimum permissions
//     and satisfied by keys and account levels (weights, thresholds, depth 6,
//     waits never count) with nodeos's greedy authority checker;
//   - native actions newaccount, updateauth, deleteauth, linkauth and
//     unlinkauth with nodeos's validation, plus the system contract's
//     authorized_by extension and limitauthchg (its table in eosio scope,
//     and check_auth_change on every authority change);
//   - eosio.msig (propose, approve with or without proposal_hash, unapprove,
//     cancel, exec running the inner actions inline, invalidate) with its
//     proposal, approvals2, approvals and invals tables and messages;
//   - eosio.system regproducer, regproducer2, unregprod and claimrewards
//     (24-hour rule, activation), eosio.bpay::claimrewards, eosio.token
//     transfers;
//   - Savanna finalizer keys (regfinkey with the proof of possession
//     verified, actfinkey, delfinkey, switchtosvnn; tables finkeys,
//     finalizers, finkeyidgen, lastpropfins) and peer keys (regpeerkey,
//     delpeerkey; table peerkeys), with eos-system-contracts' checks and
//     messages. ProducerSchedule (and get_producer_schedule) applies the
//     schedule rule: after the switch, a producer without an active
//     finalizer key is not scheduled. The devchain has no votes: it
//     schedules every active producer;
//   - nodeos's HTTP statuses, error codes and body shapes, checked against
//     a real Leap 4 node's recorded answers (conformance_test.go), and
//     get_transaction_status;
//
// The contracts serve real ABIs (eosio's is the recorded Jungle 4 system
// ABI). Genesis "system_contract": "legacy" models an older eosio.system
// (no regproducer2, limitauthchg, finalizer actions, producer_authority,
// nor an eosio.bpay contract); "transaction_status": false turns
// get_transaction_status off (404, as a default nodeos); "activated": false
// leaves the system contract unactivated.
//
// Blocks come every BlockInterval (500 ms); with Options.ManualClock the
// clock stands still and tests make blocks with ProduceBlocks and move time
// with AdvanceTime, never sleeping:
//
//	c, err := devchain.New(genesis, devchain.Options{ManualClock: true})
//	srv := httptest.NewServer(c.Handler())
//	... push transactions to srv.URL ...
//	c.AdvanceTime(24*time.Hour + time.Second)
//
// An action a contract does not dispatch runs as the reference contracts'
// CDT dispatcher runs it: nothing on eosio, eosio_assert_code 1 (3050004)
// on any other contract; eosio actions of the ABI that the devchain does
// not model (voteproducer, buyram, ...) are treated so too, and logged. An
// account without a contract runs nothing. Context-free actions and
// secondary indexes are refused with a clear error. It holds no private
// keys; the demo's keys live in devchain/demokeys.
package devchain
