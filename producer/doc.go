// Package producer carries out a block producer's operations on chain: it
// reads the eosio producers row (signing key or block-signing authority, url,
// location, last claim time), rotates the block-signing key (regproducer, or
// regproducer2 for a multi-key authority), pulls the kill switch
// (unregprod), and claims rewards on a schedule that never trips the 24-hour
// rule (eosio::claimrewards, and eosio.bpay::claimrewards where the chain has
// it).
//
// # Direct or by proposal
//
// Rotate and unregister send their action with the permission the account
// links to it (linkauth eosio::regproducer or eosio::unregprod), else active.
// When the signers present satisfy that permission (nodeos's
// get_required_keys says so) the action is sent directly; otherwise it is
// proposed to eosio.msig, with the levels of the permission's authority as
// the requested approvals, and the proposer's own approval (pinned to the
// proposal hash) in the same transaction. The others then review and approve.
//
// # What it refuses
//
//   - It never holds a private key: a new block-signing key is generated on a
//     device by the caller (package devices) and only its public key reaches
//     this package, which records where it lives (WriteKeyRecord).
//   - Every signature goes through the signing gate (package txflow): frozen
//     bytes, judged, journalled, signed, pushed, read back; no journal, no
//     signature.
//   - It signs only with the keys nodeos names as required.
//   - A claim is not sent before the chain's head block time has passed the
//     last claim time by more than 24 hours. A claim that loses the race
//     anyway (eosio_assert_message_exception 3050003, "already claimed
//     rewards within past day") is a polite no-op, not a failure.
//   - A transaction whose push is uncertain is never rebuilt and re-signed
//     before the chain has been asked: the same signed bytes are re-sent
//     (nodeos refuses duplicates) or the producers row shows whether it went
//     through.
//
// # Reward contracts
//
// eosio::claimrewards is always claimed. eosio.bpay::claimrewards is added
// on EOS mainnet (chain id aca376f2...0e906) and on any chain where a probe
// of eosio.bpay's rewards table answers; the action is included only when
// the account has a non-zero rewards row, since eosio.bpay refuses an empty
// claim. RewardContracts gives an explicit list instead.
//
// # Typical workflow
//
//	c, _ := chain.New(chain.Options{URLs: urls})
//	info, err := producer.Show(ctx, c, "bpteam111111")
//	plan, err := producer.PrepareRotation(ctx, c, producer.RotateRequest{Account: "bpteam111111", NewKeys: []signer.PublicKey{pub}}, signers)
//	prep, err := plan.Prepare(ctx, gate)   // show prep.Lines(), confirm, prep.Confirmed()
//	res, err := gate.Sign(ctx, prep, signers)
//
//	cl := &producer.Claimer{Chain: c, Journal: journal, Account: "bpteam111111", OpenSigners: open}
//	res, err := cl.Once(ctx)   // cron
//	err = cl.Run(ctx)          // --daemon, until ctx is cancelled
package producer
