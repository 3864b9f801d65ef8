// Package txflow is bpkeys' signing gate: the one way a transaction goes from
// built to on chain. Every command that signs and the TUI go through it.
//
// Its invariants are carried by the shape of the code:
//
//   - Frozen bytes. A transaction is packed once (Freeze). Its display, digest,
//     id, policy check, journal line, every signature and the push all come
//     from those bytes; the display decodes them. Names that do not survive
//     the round trip (eos-go silently normalises "eosio.tokeN") are refused.
//   - Policy on effects. Judge computes what the decoded actions do to
//     authorities, through eosio.msig propose/approve/exec to the inner
//     transaction, and runs the policies against the state read just before
//     signing. An error finding refuses (*RefusedError) on every path.
//   - Shown, confirmed, journalled, signed, pushed, read back. Prepared.Lines
//     shows; Confirmed records the operator's yes and is refused before Lines;
//     Sign is refused before Confirmed; Sign re-checks, journals, signs the
//     frozen digest, pushes the frozen bytes and runs the read-back.
//   - Intent-aware duplicates. A new intent whose bytes equal a transaction
//     signed before (the journal knows its id) is made unique before it is
//     shown (its expiration moved earlier); a push that nodeos answers with
//     tx_duplicate is success only for a re-send of bytes this run sent.
//
// It refuses to sign without a journal, to sign what was not shown and
// confirmed, and to report a duplicate of an earlier intent as done.
//
//	g := &txflow.Gate{Chain: client, Journal: j, Judge: txflow.Judge{Team: t}}
//	p, err := g.Prepare(ctx, txflow.Job{Note: "msig approve", Stages: [][]*eos.Action{acts}, Avail: keys})
//	for _, l := range p.Lines() { fmt.Fprintln(os.Stderr, l) }
//	p.Confirmed()
//	res, err := g.Sign(ctx, p, signers)
package txflow
