package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/signer"
)

// errNoEndpoint: there is no implicit endpoint, so a command never reaches
// a chain (the demo's, say) that the operator did not name.
var errNoEndpoint = errors.New("no chain endpoint: give --url URL, set BPKEYS_URL, or put urls: in config.yaml (bpkeys demo prints its endpoint)")

// chainEndpoints returns the endpoints from --url (repeatable), else from
// BPKEYS_URL (comma-separated), else none (config.yaml's urls are copied
// into --url's list when it loads).
func (a *app) chainEndpoints() []string {
	var urls []string
	for _, u := range a.urls {
		if u = strings.TrimSpace(u); u != "" {
			urls = append(urls, u)
		}
	}
	if len(urls) > 0 {
		return urls
	}
	for _, u := range strings.Split(os.Getenv("BPKEYS_URL"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			urls = append(urls, u)
		}
	}
	return urls
}

// chainClient builds the nodeos client from the global flags: endpoints as
// chainEndpoints returns them, pinned to --chain-id when given. Failovers
// are reported on stderr.
func (a *app) chainClient() (*chain.Client, error) {
	opts := chain.Options{
		URLs: a.chainEndpoints(),
		Down: a.endpointDown,
		Logf: func(format string, args ...any) { a.info("bpkeys: "+format, args...) },
	}
	if s := strings.TrimSpace(a.chainID); s != "" {
		id, err := signer.ParseChainID(s)
		if err != nil {
			return nil, usageErr("--chain-id: %v", err)
		}
		if id == (signer.ChainID{}) {
			return nil, usageErr("--chain-id: the all-zero chain id is not a chain")
		}
		opts.ChainID = id
	}
	if len(opts.URLs) == 0 {
		return nil, &exitError{code: exitUsage, err: errNoEndpoint}
	}
	c, err := chain.New(opts)
	if err != nil {
		return nil, usageErr("%v (from --url or BPKEYS_URL)", err)
	}
	if a.quorum > 1 {
		if a.quorum > len(opts.URLs) {
			return nil, usageErr("--quorum %d needs at least %d endpoints, but %d given (add --url)", a.quorum, a.quorum, len(opts.URLs))
		}
		c = c.WithQuorum(a.quorum)
	}
	return c, nil
}

// atLeastOne is an int flag that refuses values below 1 (--quorum 0 is a
// usage error, never silently 1).
type atLeastOne struct{ p *int }

func (v atLeastOne) String() string {
	if v.p == nil {
		return "1"
	}
	return strconv.Itoa(*v.p)
}

func (v atLeastOne) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return fmt.Errorf("%q: expected a whole number of at least 1", s)
	}
	*v.p = n
	return nil
}

func (atLeastOne) Type() string { return "int" }
