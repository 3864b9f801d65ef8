package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bpkeys/bpkeys/internal/redact"
	"github.com/bpkeys/bpkeys/signer"
)

// Default timeouts per call.
const (
	DefaultReadTimeout = 5 * time.Second
	DefaultPushTimeout = 15 * time.Second
)

// maxBody caps an answer's size (the eosio ABI is ~120 kB; large table pages
// stay well below this).
const maxBody = 64 << 20

// Options configure a Client.
type Options struct {
	// URLs are the nodeos endpoints, tried in order (http:// or https://,
	// without the /v1/... path).
	URLs []string
	// ChainID pins the chain: endpoints on another chain are refused. The
	// zero value pins nothing; the endpoints must then agree with the first
	// one that answers.
	ChainID signer.ChainID
	// ReadTimeout bounds each read call to one endpoint (default 5 s).
	ReadTimeout time.Duration
	// PushTimeout bounds each push to one endpoint (default 15 s).
	PushTimeout time.Duration
	// HTTPClient is used for all requests (default: a client without its own
	// timeout; the per-call timeouts apply).
	HTTPClient *http.Client
	// Down lists endpoints (as Health names them) that did not answer in an
	// earlier run, with when: they are tried last until they answer.
	Down []EndpointHealth
	// Logf, when set, receives a line for every failover ("endpoint X
	// failed: ...; trying Y"), for operators to see why a call was slow.
	Logf func(format string, args ...any)
}

// Client talks to nodeos endpoints. It is safe for concurrent use.
type Client struct {
	s      *state
	quorum int
}

// state is shared between a Client and the copies WithQuorum makes.
type state struct {
	endpoints   []*endpoint
	http        *http.Client
	readTimeout time.Duration
	pushTimeout time.Duration
	logf        func(format string, args ...any)

	mu       sync.Mutex
	chainID  signer.ChainID // pinned or learned
	haveID   bool
	pinned   bool
	learnedF string // endpoint the id was learned from
}

type endpoint struct {
	url  string // as given, credentials included: only for requests
	name string // url with credentials redacted: for every message

	mu       sync.Mutex
	verified bool  // chain id checked and accepted
	refused  error // chain id checked and refused (cached)
	noSend   bool  // send_transaction answered 404: use push_transaction
	// downSince is when the endpoint last failed to answer (timeout,
	// connection refused or reset); zero once it answers again. A down
	// endpoint is tried last.
	downSince time.Time
}

// New returns a client for the endpoints in opts.
func New(opts Options) (*Client, error) {
	if len(opts.URLs) == 0 {
		return nil, errors.New("no nodeos endpoint given: pass --url or set BPKEYS_URL")
	}
	s := &state{
		http:        opts.HTTPClient,
		readTimeout: opts.ReadTimeout,
		pushTimeout: opts.PushTimeout,
		logf:        opts.Logf,
	}
	if s.http == nil {
		s.http = &http.Client{}
	}
	if s.readTimeout <= 0 {
		s.readTimeout = DefaultReadTimeout
	}
	if s.pushTimeout <= 0 {
		s.pushTimeout = DefaultPushTimeout
	}
	if opts.ChainID != (signer.ChainID{}) {
		s.chainID, s.haveID, s.pinned = opts.ChainID, true, true
	}
	seen := map[string]bool{}
	for _, raw := range opts.URLs {
		u, err := normaliseURL(raw)
		if err != nil {
			return nil, err
		}
		if seen[u] {
			continue
		}
		seen[u] = true
		s.endpoints = append(s.endpoints, &endpoint{url: u, name: redact.URL(u)})
	}
	for _, d := range opts.Down {
		for _, ep := range s.endpoints {
			if ep.name == d.Endpoint && !d.DownSince.IsZero() {
				ep.downSince = d.DownSince
			}
		}
	}
	return &Client{s: s, quorum: 1}, nil
}

func normaliseURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("endpoint %s: expected http://host:port or https://host", redact.URL(raw))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("endpoint %s: remove the query string or fragment", redact.URL(raw))
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// Endpoints returns the endpoint URLs in the order they are tried, with
// any credentials in them redacted.
func (c *Client) Endpoints() []string {
	out := make([]string, len(c.s.endpoints))
	for i, e := range c.s.endpoints {
		out[i] = e.name
	}
	return out
}

// WithQuorum returns a client sharing c's endpoints whose reads require n
// endpoints to give the same answer (see the package documentation). n < 1
// means 1. Endpoints are asked in order, skipping those that fail; a nodeos
// error (*APIError) from any of them ends the read with that error. GetInfo,
// GetBlock, GetTransactionStatus and pushes are not affected.
func (c *Client) WithQuorum(n int) *Client {
	if n < 1 {
		n = 1
	}
	return &Client{s: c.s, quorum: n}
}

// Quorum returns the number of agreeing endpoints c's reads require.
func (c *Client) Quorum() int { return c.quorum }

// ChainID returns the chain id every endpoint used so far was checked
// against: the pinned one, or the one learned from the first endpoint that
// answered (asking one if none has yet).
func (c *Client) ChainID(ctx context.Context) (signer.ChainID, error) {
	c.s.mu.Lock()
	id, ok := c.s.chainID, c.s.haveID
	c.s.mu.Unlock()
	if ok {
		return id, nil
	}
	info, err := c.GetInfo(ctx)
	if err != nil {
		return signer.ChainID{}, err
	}
	return info.ChainID, nil
}

func (s *state) log(format string, args ...any) {
	if s.logf != nil {
		s.logf(format, args...)
	}
}

// call makes one HTTP request to one endpoint. It returns the body of a 2xx
// answer, an *APIError for a nodeos error body, or an *EndpointError.
func (s *state) call(ctx context.Context, ep *endpoint, method, path string, body any, timeout time.Duration) ([]byte, int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, 0, fmt.Errorf("encoding the %s request: %w", path, err)
		}
		rd = bytes.NewReader(b)
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var sent bool
	var sentMu sync.Mutex
	cctx = httptrace.WithClientTrace(cctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				sentMu.Lock()
				sent = true
				sentMu.Unlock()
			}
		},
	})
	req, err := http.NewRequestWithContext(cctx, method, ep.url+path, rd)
	if err != nil {
		return nil, 0, fmt.Errorf("building the request to %s%s: %w", ep.name, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "bpkeys")
	wasSent := func() bool {
		sentMu.Lock()
		defer sentMu.Unlock()
		return sent
	}
	resp, err := s.http.Do(req)
	if err != nil {
		err = s.transportError(ctx, cctx, ep, path, wasSent(), timeout, err)
		if ctx.Err() == nil {
			s.markDown(ep, err)
		}
		return nil, 0, err
	}
	defer resp.Body.Close()
	s.markUp(ep)
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, resp.StatusCode, s.transportError(ctx, cctx, ep, path, true, timeout, fmt.Errorf("reading the answer: %w", err))
	}
	if len(data) > maxBody {
		return nil, resp.StatusCode, &EndpointError{Endpoint: ep.name, Path: path, Status: resp.StatusCode, Sent: true, Err: fmt.Errorf("answer larger than %d bytes", maxBody)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return data, resp.StatusCode, nil
	}
	if apiErr := parseAPIError(resp.StatusCode, data, ep.name); apiErr != nil {
		return nil, resp.StatusCode, apiErr
	}
	snippet := strings.TrimSpace(string(data))
	if len(snippet) > 200 {
		snippet = snippet[:200] + "..."
	}
	return nil, resp.StatusCode, &EndpointError{Endpoint: ep.name, Path: path, Status: resp.StatusCode, Sent: true, Body: snippet,
		Err: fmt.Errorf("HTTP %d", resp.StatusCode)}
}

func (s *state) transportError(parent, cctx context.Context, ep *endpoint, path string, sent bool, timeout time.Duration, err error) error {
	if parent.Err() != nil {
		// The caller gave up (Ctrl-C, its own deadline): not the endpoint's fault.
		return fmt.Errorf("%s%s: %w", ep.name, path, parent.Err())
	}
	if errors.Is(cctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %v (timeout): %w", timeout, context.DeadlineExceeded)
	} else {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
	}
	return &EndpointError{Endpoint: ep.name, Path: path, Sent: sent, Err: err}
}

// ensureChain checks an endpoint's chain id once.
func (s *state) ensureChain(ctx context.Context, ep *endpoint) error {
	ep.mu.Lock()
	verified, refused := ep.verified, ep.refused
	ep.mu.Unlock()
	if verified {
		return nil
	}
	if refused != nil {
		return refused
	}
	data, _, err := s.call(ctx, ep, http.MethodPost, "/v1/chain/get_info", nil, s.readTimeout)
	if err != nil {
		return err
	}
	var info Info
	if err := json.Unmarshal(data, &info); err != nil {
		return &EndpointError{Endpoint: ep.name, Path: "/v1/chain/get_info", Status: 200, Sent: true, Err: fmt.Errorf("unreadable get_info answer: %w", err)}
	}
	return s.acceptChainID(ep, info.ChainID)
}

// acceptChainID records an endpoint's chain id, refusing it when it differs
// from the pinned or learned one.
func (s *state) acceptChainID(ep *endpoint, got signer.ChainID) error {
	if got == (signer.ChainID{}) {
		return &EndpointError{Endpoint: ep.name, Path: "/v1/chain/get_info", Status: 200, Sent: true, Err: errors.New("get_info has no chain_id")}
	}
	s.mu.Lock()
	if !s.haveID {
		s.chainID, s.haveID, s.learnedF = got, true, ep.name
	}
	want, pinned, ref := s.chainID, s.pinned, s.learnedF
	s.mu.Unlock()
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if got != want {
		ep.refused = &ChainMismatchError{Endpoint: ep.name, Got: got, Want: want, Pinned: pinned, ReferenceEndpoint: ref}
		return ep.refused
	}
	ep.verified = true
	return nil
}

// canFailOver tells whether a read may try the next endpoint after err.
func canFailOver(err error) bool {
	var ee *EndpointError
	if errors.As(err, &ee) {
		return true
	}
	var cm *ChainMismatchError
	if errors.As(err, &cm) {
		return true
	}
	var ae *APIError
	// A nodeos 404 is "Unknown Endpoint": this node lacks the API.
	return errors.As(err, &ae) && ae.HTTPStatus == http.StatusNotFound
}

// normFunc extracts the part of an answer a quorum read compares, in
// canonical form. It also validates the answer.
type normFunc func(raw []byte) ([]byte, error)

// read asks endpoints in order until c.quorum of them have answered the same
// (after norm). It returns the first endpoint's answer.
func (c *Client) read(ctx context.Context, op, path string, body any, norm normFunc) ([]byte, error) {
	s := c.s
	need := c.quorum
	if need > len(s.endpoints) {
		return nil, fmt.Errorf("%s: a quorum of %d endpoints is required but only %d are configured (add --url)", op, need, len(s.endpoints))
	}
	var (
		errs      []error
		first     []byte
		firstNorm []byte
		firstEP   string
		got       int
	)
	eps := s.ordered()
	for i, ep := range eps {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		data, err := c.readOne(ctx, ep, path, body)
		if err == nil {
			var n []byte
			if norm != nil {
				n, err = norm(data)
				if err != nil {
					err = &EndpointError{Endpoint: ep.name, Path: path, Status: 200, Sent: true, Err: fmt.Errorf("unreadable answer: %w", err)}
				}
			}
			if err == nil {
				got++
				if first == nil {
					first, firstNorm, firstEP = data, n, ep.name
				} else if !bytes.Equal(firstNorm, n) {
					return nil, &DisagreementError{Op: op, EndpointA: firstEP, EndpointB: ep.name, AnswerA: firstNorm, AnswerB: n}
				}
				if got >= need {
					return first, nil
				}
				continue
			}
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", op, ctx.Err())
		}
		if !canFailOver(err) {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		errs = append(errs, err)
		if i+1 < len(eps) {
			s.log("%s: %v; trying %s", op, err, eps[i+1].name)
		}
	}
	return nil, &UnavailableError{Op: op, Need: need, Got: got, Errs: errs}
}

func (c *Client) readOne(ctx context.Context, ep *endpoint, path string, body any) ([]byte, error) {
	if err := c.s.ensureChain(ctx, ep); err != nil {
		return nil, err
	}
	data, _, err := c.s.call(ctx, ep, http.MethodPost, path, body, c.s.readTimeout)
	return data, err
}

// canonicalJSON re-encodes JSON with sorted object keys, no insignificant
// whitespace and numbers kept as written.
func canonicalJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON value")
	}
	return marshalCanonical(v)
}

func marshalCanonical(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// wholeNorm compares whole answers.
func wholeNorm(raw []byte) ([]byte, error) { return canonicalJSON(raw) }

// fieldsNorm compares only the named top-level fields.
func fieldsNorm(fields ...string) normFunc {
	return func(raw []byte) ([]byte, error) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		out := make(map[string]any, len(fields))
		for _, f := range fields {
			v, ok := m[f]
			if !ok {
				out[f] = nil
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.UseNumber()
			var x any
			if err := dec.Decode(&x); err != nil {
				return nil, err
			}
			out[f] = x
		}
		return marshalCanonical(out)
	}
}
