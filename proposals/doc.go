// Package proposals builds, reads, decodes and reviews eosio.msig proposals:
// the inner transaction, the requested approvals, who has approved and who is
// still needed, and the proposal hash an approval is pinned to. It is pure
// where it can be; chain I/O lives in package chain.
package proposals
