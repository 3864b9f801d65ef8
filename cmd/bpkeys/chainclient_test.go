package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/chain"
)

const testChainID = "73e4385a2708e6d7048834fbc1079f2fabb17b3c125b146af438971e90716c4d"

func TestChainEndpointsPrecedence(t *testing.T) {
	t.Setenv("BPKEYS_URL", " http://env1:8888 ,http://env2:8888,")
	a := &app{urls: []string{"http://flag1:8888", " ", "http://flag2:8888"}}
	if got := strings.Join(a.chainEndpoints(), " "); got != "http://flag1:8888 http://flag2:8888" {
		t.Errorf("--url: %s", got)
	}
	a.urls = nil
	if got := strings.Join(a.chainEndpoints(), " "); got != "http://env1:8888 http://env2:8888" {
		t.Errorf("BPKEYS_URL: %s", got)
	}
	t.Setenv("BPKEYS_URL", "")
	if got := a.chainEndpoints(); len(got) != 0 {
		t.Errorf("no endpoint given, yet: %v", got)
	}
	if _, err := a.chainClient(); !errors.Is(err, errNoEndpoint) || exitCode(context.Background(), err) != exitUsage {
		t.Errorf("no endpoint: %v", err)
	}
}

func TestChainClientUsageErrors(t *testing.T) {
	t.Setenv("BPKEYS_URL", "")
	for _, tc := range []struct {
		urls    []string
		chainID string
		want    string
	}{
		{nil, "abc", "--chain-id"},
		{nil, strings.Repeat("0", 64), "all-zero"},
		{nil, testChainID + "00", "--chain-id"},
		{[]string{"127.0.0.1:8888"}, "", "BPKEYS_URL"},
	} {
		a := &app{urls: tc.urls, chainID: tc.chainID}
		_, err := a.chainClient()
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %q: got %v", tc.urls, tc.chainID, err)
		}
	}
}

// A fake nodeos answering get_info only, and a closed port before it: the
// client fails over and says so on stderr.
func TestChainClientPinsAndReportsFailover(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"chain_id":"` + testChainID + `","head_block_num":5}`))
	}))
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String()
	_ = l.Close()

	var stderr bytes.Buffer
	a := &app{urls: []string{down, srv.URL}, chainID: strings.ToUpper(testChainID), stderr: &stderr}
	c, err := a.chainClient()
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.GetInfo(context.Background())
	if err != nil || info.HeadBlockNum != 5 {
		t.Fatalf("%+v %v", info, err)
	}
	if !strings.Contains(stderr.String(), "trying "+srv.URL) {
		t.Errorf("stderr: %q", stderr.String())
	}

	a = &app{urls: []string{srv.URL}, chainID: strings.Repeat("ab", 32), stderr: &stderr}
	c, err = a.chainClient()
	if err != nil {
		t.Fatal(err)
	}
	var cm *chain.ChainMismatchError
	if _, err := c.GetInfo(context.Background()); !errors.As(err, &cm) {
		t.Errorf("pinned to another chain: %v", err)
	}
}
