package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/internal/faultproxy"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/signer"
)

// An account read that fails while deciding which proposals are mine is
// an error the inbox reports, not "not mine".
func TestInboxReadErrorNotNotMine(t *testing.T) {
	g, err := devchain.ParseGenesis([]byte(`{"chain_id": "` + strings.Repeat("cd", 32) + `", "time": "2026-01-01T00:00:00.000", "accounts": []}`))
	if err != nil {
		t.Fatal(err)
	}
	dc, err := devchain.New(g, devchain.Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dc.Close() })
	srv := httptest.NewServer(dc.Handler())
	t.Cleanup(srv.Close)
	p := faultproxy.New(t, srv.URL)
	p.Set("/v1/chain/get_account", faultproxy.Lie)
	p.SetLie(502, "<html>bad gateway</html>")
	cl, err := chain.New(chain.Options{URLs: []string{p.URL}})
	if err != nil {
		t.Fatal(err)
	}
	var errs readErrors
	mine := mineByKeys(context.Background(), proposals.NewAccounts(cl), []signer.PublicKey{testsigner.New(signer.CurveK1).PublicKey()}, &errs)
	if mine(eos.PermissionLevel{Actor: "eosio", Permission: "active"}) {
		t.Fatal("mine on a failed read")
	}
	if len(errs.errs) != 1 || !strings.Contains(errs.errs[0].Error(), "eosio@active") {
		t.Fatalf("errors: %v", errs.errs)
	}
}
