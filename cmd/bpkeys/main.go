// Command bpkeys manages the keys, permissions, multisig proposals and
// producer operations of an EOSIO/Antelope block-producer team, signing with
// YubiKeys and PKCS#11 HSMs only.
//
//	bpkeys version
//	bpkeys key inspect KEY
//	bpkeys sig recover (--digest HEX | --chain-id HEX --trx HEX) SIG
//	bpkeys keys list|generate|attest
//	bpkeys sign-digest REF HEX
//	bpkeys devchain, bpkeys demo
//
// Results go to stdout (--json for scripts); prompts and progress to stderr.
// Exit codes: 0 done, 1 failed, 2 usage, 3 policy findings, 4 refused for
// safety, 130 interrupted.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
