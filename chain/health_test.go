package chain_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/internal/faultproxy"
)

func startDevchain(t *testing.T) string {
	t.Helper()
	g, err := devchain.ParseGenesis([]byte(`{"chain_id": "` + e2eChainID + `", "time": "2026-01-01T00:00:00.000", "accounts": []}`))
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
	return srv.URL
}

// A hung primary endpoint costs one timeout per run: afterwards it is
// tried last, and a later run told it was down (Options.Down) does not
// wait on it at all.
func TestHungEndpointCostsOneTimeout(t *testing.T) {
	backend := startDevchain(t)
	hung := faultproxy.New(t, backend)
	hung.Set("", faultproxy.Hang)
	var logs []string
	c, err := chain.New(chain.Options{URLs: []string{hung.URL, backend}, ReadTimeout: 300 * time.Millisecond,
		Logf: func(f string, a ...any) { logs = append(logs, f) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if _, err := c.GetInfo(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetAccount(ctx, "eosio"); err != nil {
			t.Fatal(err)
		}
	}
	if n := hung.Count("/v1/chain/get_info"); n != 1 {
		t.Fatalf("the hung endpoint was asked %d times, want 1", n)
	}
	h := c.Health()
	if h[0].DownSince.IsZero() || !h[1].DownSince.IsZero() {
		t.Fatalf("health: %+v", h)
	}
	// The next run (the claim daemon keeps Health between runs).
	c2, _ := chain.New(chain.Options{URLs: []string{hung.URL, backend}, ReadTimeout: 300 * time.Millisecond, Down: h})
	if _, err := c2.GetInfo(ctx); err != nil {
		t.Fatal(err)
	}
	if n := hung.Count("/v1/chain/get_info"); n != 1 {
		t.Fatalf("the next run asked the endpoint known down first (%d calls)", n)
	}
	// It answers again: once the others fail, it is asked, and is up.
	hung.Set("", faultproxy.Pass)
	c3, _ := chain.New(chain.Options{URLs: []string{"http://127.0.0.1:1", hung.URL}, ReadTimeout: 300 * time.Millisecond, Down: []chain.EndpointHealth{{Endpoint: hung.URL, DownSince: time.Now()}}})
	if _, err := c3.GetInfo(ctx); err != nil {
		t.Fatal(err)
	}
	if h := c3.Health(); !h[1].DownSince.IsZero() || h[0].DownSince.IsZero() {
		t.Fatalf("after it answered: %+v", h)
	}
}
