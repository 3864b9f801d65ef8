// Package audit keeps bpkeys' signing journal: one JSON line per signature,
// appended and synced before the signature is made, each line carrying the
// hash of the one before it.
//
// The tail is witnessed by a head record kept apart from the journal
// (FILE.head, replaced atomically after every append): it holds the number
// of entries, the committed size and the hash of the last line. Removing,
// truncating, emptying or deleting the journal, editing any line, or
// rewriting a line with every later hash recomputed, are all detected by
// Verify. A journal that cannot be written stops the signature, and a
// journal that does not verify refuses new signatures until it is sealed
// (Seal, "bpkeys audit seal --reason ..."), which keeps the old file and
// starts a new segment whose first entry names it and says why.
//
// The head record is the commit point of an append: bytes written after
// the committed size by an append that failed (disk full, ulimit -f) are a
// failed append, nothing was signed with them, and the next append fences
// them off (its entry records their offset, size and hash) instead of
// building on them.
//
// One writer at a time, across processes: appends and seals hold an
// exclusive lock on FILE.lock.
//
// The journal holds digests, transaction ids, action summaries, public
// keys and, for eosio.msig approvals, the proposal and hash approved
// (decoded from the action signed, not from a note); never a private key
// or a PIN.
//
//	j, err := audit.Open(audit.DefaultPath())
//	(the signing gate, package txflow, appends an entry per key, then signs)
//	st, err := j.Verify()
package audit
