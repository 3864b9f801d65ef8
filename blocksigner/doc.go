// Package blocksigner is bpkeys' remote signer for nodeos: a small HTTP
// service that speaks the keosd wallet API nodeos's signature provider uses
// (signature-provider = PUB_...=KEOSD:<url>), signs block ids with keys that
// stay on an HSM (PKCS#11) or a YubiKey, and refuses to sign twice at one
// block height.
//
// # Protocol
//
// nodeos POSTs the JSON array ["<digest hex>", "<public key>"] to
// /v1/wallet/sign_digest and reads a JSON string signature back; keosd
// answers 201. get_public_keys answers 200 with the keys served. Errors use
// the shape of nodeos's http_plugin (code, message, error{code, name, what,
// details}); refusals are status 500, the only error status nodeos's HTTP
// client turns into an exception carrying the reason.
//
// # Safety model
//
// Under Savanna the producer signs the block id, whose first four bytes are
// the block number, big-endian. For each key of role "block" the service
// keeps a high-water mark: the height, digest and signature of the last
// block it signed, in a mode-0600 file. The new height and digest are
// flushed to disk (fdatasync) while the device signs, and the signature
// leaves the process only after both; a failed device call rolls the
// reservation back. A request at the mark's height with the
// mark's digest is answered with the stored signature (nodeos may retry); a
// different digest at or below the mark is refused. Requests for one key are
// served one at a time, so two nodeos pointed at one signer can never both
// get a signature at the same height. A crash between the mark and the answer
// leaves the mark in place; a crash before the mark means the signature never
// left the process. Keys of role "peer" (p2p-bp-gossip) and every key in
// legacy mode (chains not yet on Savanna, where the digest carries no height)
// are protected by the rate limit only.
//
// Every signature and refusal is appended to a hash-chained log in the state
// directory; Prometheus metrics count signatures, refusals by reason and
// device latency.
//
// # What it refuses
//
//   - Keys the configuration does not name, and listeners other than a unix
//     socket or a loopback address.
//   - A private key anywhere: the service holds none and never asks for one.
//   - Guessing: a device that answers with another public key is an error.
//
// # Typical workflow
//
//	cfg, err := blocksigner.LoadConfig("/etc/bpkeys/signer.yaml")
//	srv, err := blocksigner.New(ctx, cfg, blocksigner.Options{Open: registry.Open})
//	defer srv.Close()
//	ln, err := blocksigner.Listen(cfg)
//	err = srv.Serve(ctx, ln) // returns after ctx ends and the signature in flight is answered
package blocksigner
