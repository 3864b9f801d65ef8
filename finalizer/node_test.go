package finalizer_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/finalizer"
	"github.com/bpkeys/bpkeys/internal/blstest"
	"github.com/bpkeys/bpkeys/signer/bls"
)

// spring stands in for a Spring node's get_info and get_finalizer_info
// (no Spring node runs here): the answer has the fields of Spring's
// chain_plugin get_finalizer_info_result and tracked_votes::vote_info.
func spring(t *testing.T, head uint32, votes string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/chain/get_info":
			fmt.Fprintf(w, `{"head_block_num":%d}`, head)
		case "/v1/chain/get_finalizer_info":
			fmt.Fprintf(w, `{"active_finalizer_policy":{"generation":1,"threshold":2,"finalizers":[]},"pending_finalizer_policy":null,"last_tracked_votes":[%s]}`, votes)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func vote(k bls.PublicKey, block uint32) string {
	return fmt.Sprintf(`{"public_key":%q,"description":"bpteam111111","is_vote_strong":true,"voted_policy_generation":1,"voted_block_id":"00","voted_block_num":%d,"voted_block_timestamp":"2026-01-01T00:00:00.000"}`, k, block)
}

func TestQueryNode(t *testing.T) {
	ctx := context.Background()
	old := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(old.Close)
	k, other := blstest.NewPair("n1").Key, blstest.NewPair("n2").Key
	for _, c := range []struct {
		name, url string
		known     bool
		voting    bool
		summary   string
	}{
		{"recent vote", spring(t, 1000, vote(other, 10)+","+vote(k, 999)), true, true, "voting: the active key last voted on block 999, 1 blocks behind head 1000"},
		{"old vote", spring(t, 100000, vote(k, 999)), true, false, "NOT voting lately"},
		{"no vote", spring(t, 1000, vote(other, 999)), true, false, "no vote with the active key is tracked"},
		{"old node", old.URL, false, false, "cannot be known: get_info failed (HTTP 404)"},
	} {
		v := finalizer.QueryNode(ctx, http.DefaultClient, c.url, k)
		if v.Known != c.known || v.Voting != c.voting || !strings.Contains(v.Summary, c.summary) {
			t.Errorf("%s: %+v", c.name, v)
		}
	}
	if v := finalizer.QueryNode(ctx, http.DefaultClient, "http://127.0.0.1:1", bls.PublicKey{}); v.Known || !strings.Contains(v.Summary, "no active finalizer key") {
		t.Errorf("no key: %+v", v)
	}
}
