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
//     authorized_by extension;
//   - eosio.msig (propose, approve with or without proposal_hash, unapprove,
//     cancel, exec running the inner actions inline, invalidate) with its
//     proposal, approvals2, approvals and invals tables and messages;
//   - eosio.system regproducer, regproducer2, unregprod and claimrewards
//     (24-hour rule), eosio.bpay::claimrewards, eosio.token transfers;
//   - Savanna finalizer keys (regfinkey with the proof of possession
//     verified, actfinkey, delfinkey, switchtosvnn; tables finkeys,
//     finalizers, finkeyidgen, lastpropfins) and peer keys (regpeerkey,
//     delpeerkey; table peerkeys), with eos-system-contracts' checks and
//     messages. ProducerSchedule (and get_producer_schedule) applies the
//     schedule rule: after the switch, a producer without an active
//     finalizer key is not scheduled. The devchain has no votes: it
//     schedules every active producer.
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
// The devchain refuses what it does not implement (other system actions,
// context-free actions, secondary indexes) with a clear error rather than
// pretending. It holds no private keys; the demo's keys live in
// devchain/demokeys.
package devchain
