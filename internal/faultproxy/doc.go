// Package faultproxy is a small HTTP reverse proxy for tests that stands
// between bpkeys and a real nodeos stand-in (the devchain) and misbehaves
// on request: it hangs, drops the answer after the backend applied the
// request, or lies (answers with a status and body of its choosing). The
// backend is real; only the network between is faulty.
//
//	p := faultproxy.New(t, devchainURL)
//	p.Set("/v1/chain/send_transaction", faultproxy.Drop)
//	client := chain.New(chain.Options{URLs: []string{p.URL}})
package faultproxy
