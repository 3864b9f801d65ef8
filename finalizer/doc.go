// Package finalizer reads and plans a producer's Savanna keys: its BLS
// finalizer keys (eosio's finkeys, finalizers and lastpropfins tables) and
// its peer key (peerkeys), and builds the regfinkey, actfinkey, delfinkey,
// regpeerkey and delpeerkey actions after checking, before anything is
// signed, the rules the system contract would apply: a proof of possession
// that does not verify, a key registered by anyone, deleting the active key
// while others exist, activating the active key. A failover (the backup
// host takes over) is one transaction: actfinkey of the backup host's
// finalizer key and regproducer2 to its block-signing key.
//
// Signing is not done here: the command layer sends the actions through
// bpkeys' signing path (direct, or as an eosio.msig proposal).
package finalizer
