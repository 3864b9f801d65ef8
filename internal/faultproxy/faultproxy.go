package faultproxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// Fault is what the proxy does with a request.
type Fault int

// The faults.
const (
	Pass Fault = iota // forward, answer
	Hang              // never answer (until the client gives up or the test ends)
	Drop              // forward (the backend applies it), then close the connection without an answer
	Lie               // answer LieStatus/LieBody without asking the backend
)

// Proxy is a running fault proxy.
type Proxy struct {
	URL string

	mu        sync.Mutex
	faults    map[string]Fault // by path; "" for every path
	lieStatus int
	lieBody   []byte
	counts    map[string]int
	done      chan struct{}
}

// New starts a proxy in front of backend, closed at the end of the test.
func New(t testing.TB, backend string) *Proxy {
	u, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{faults: map[string]Fault{}, counts: map[string]int{}, done: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		f, ok := p.faults[r.URL.Path]
		if !ok {
			f = p.faults[""]
		}
		p.counts[r.URL.Path]++
		status, body := p.lieStatus, p.lieBody
		p.mu.Unlock()
		switch f {
		case Hang:
			select {
			case <-r.Context().Done():
			case <-p.done:
			}
			return
		case Drop:
			rec := httptest.NewRecorder()
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			rp.ServeHTTP(rec, r)
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		case Lie:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write(body)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	p.URL = srv.URL
	t.Cleanup(func() {
		close(p.done)
		srv.Close()
	})
	return p
}

// Set makes the proxy apply f to requests for path ("" for every path
// without a fault of its own).
func (p *Proxy) Set(path string, f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults[path] = f
}

// SetLie sets what Lie answers.
func (p *Proxy) SetLie(status int, body string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lieStatus, p.lieBody = status, []byte(body)
}

// Count is how many requests for path reached the proxy.
func (p *Proxy) Count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[path]
}
