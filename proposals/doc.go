// Package proposals builds, reads, decodes and reviews eosio.msig proposals:
// the inner transaction, the requested approvals, who has approved and who is
// still needed, and the proposal hash an approval is pinned to. It is pure
// where it can be; chain I/O lives in package chain, reached through the
// small Chain interface (*chain.Client satisfies it).
//
// # Building
//
// Build packs the inner transaction as cleos does (ref block 0/0, delay 0,
// no resource limits) with an expiration the proposer chooses (7 days by
// default), derives the requested approvals from the authorities the
// actions declare (DeriveRequested), checks that those approvals could
// satisfy the transaction before anything is sent, and picks a valid,
// unused name (GenerateName) unless one is given. ParseActions reads the
// --actions, --trx and --plan JSON forms.
//
// # Reading and decoding
//
// Read returns a proposal exactly as stored: Packed is the
// packed_transaction column byte for byte and Hash = sha256(Packed) is the
// proposed transaction's id, the only proposal_hash the contract accepts.
// Approvals come from approvals2 (or the old approvals layout) and are
// checked against invals: an approval given before the approver's last
// invalidate is listed but does not count.
//
// DecodePacked reads a packed transaction strictly (every length bounded by
// the bytes that remain, no trailing bytes); anyone can propose, so these
// bytes are hostile input. DecodeActions decodes each action's data with
// its contract's ABI (from get_raw_abi, cached per abi_hash, or built in)
// and fails, naming the action, on data that does not decode completely.
// It never returns a partial decode.
//
// # Reviewing and approving
//
// MakeReview explains every action in words (authority diffs for
// updateauth, old -> new keys with the producer row for regproducer, ...),
// evaluates the counted approvals against each declared authorization with
// the contract's rules (Evaluate), and gives a Verdict: executable now, or
// exactly which approvals are missing. ApproveAction pins the approval to
// the hash of the bytes that were reviewed; callers re-read before signing
// and compare with Same. CheckReplaced reads the approvals the signing
// journal recorded (decoded from the actions signed) to refuse approving a
// different hash under a proposer and name approved before.
//
// A typical approval:
//
//	p, err := proposals.Read(ctx, client, "alice", "rotclaim")
//	r, err := proposals.MakeReview(ctx, client, p, proposals.ReviewOptions{})
//	r.WriteText(os.Stderr)                       // the operator decides
//	act, err := proposals.ApproveAction(p, level) // pinned to p.Hash
//
// # Inbox
//
// Inbox finds every open proposal awaiting one of the caller's levels
// without an indexer: it enumerates eosio.msig's scopes with
// get_table_by_scope and reads approval rows, a bounded number of requests
// at a time.
//
// The package refuses to decode what does not parse, to approve without a
// hash, and to exec a proposal it can tell will fail. It holds no keys and
// signs nothing.
package proposals
