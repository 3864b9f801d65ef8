package blocksigner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// connServer serves HTTP/1.1 on a listener with net/http's request parser
// and a handler, but without net/http's server. nodeos over a unix socket
// sends the socket's path as the Host header (fc's http_client sets Host to
// the URL's host, which for unix:// is the path), and net/http's server
// refuses such a request with "400 malformed Host header". Connections are
// kept alive as nodeos expects; shutdown stops reading new requests and
// lets the ones being answered finish.
type connServer struct {
	handler http.Handler
	idle    time.Duration

	mu      sync.Mutex
	conns   map[*serverConn]struct{}
	closing bool
	wg      sync.WaitGroup
}

type serverConn struct {
	c    net.Conn
	busy bool
}

// responseBuffer is the ResponseWriter handed to the handler: answers are
// small and written at once, with a Content-Length.
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *responseBuffer) Header() http.Header { return r.header }
func (r *responseBuffer) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *responseBuffer) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

func newConnServer(h http.Handler) *connServer {
	return &connServer{handler: h, idle: 5 * time.Minute, conns: map[*serverConn]struct{}{}}
}

// serve accepts until the listener is closed.
func (s *connServer) serve(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.isClosing() || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		sc := &serverConn{c: c}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			c.Close()
			continue
		}
		s.conns[sc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.handle(sc)
	}
}

func (s *connServer) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// setBusy marks the connection as answering a request; false when the
// server is stopping and the request must not be served.
func (s *connServer) setBusy(sc *serverConn, busy bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if busy && s.closing {
		return false
	}
	sc.busy = busy
	return !s.closing
}

func (s *connServer) handle(sc *serverConn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, sc)
		s.mu.Unlock()
		sc.c.Close()
	}()
	client := describeConn(sc.c)
	br := bufio.NewReader(sc.c)
	for {
		// The idle deadline is armed under the lock, so that shutdown's
		// "stop reading now" cannot be overwritten by it.
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			return
		}
		_ = sc.c.SetReadDeadline(time.Now().Add(s.idle))
		s.mu.Unlock()
		req, err := http.ReadRequest(br)
		if err != nil {
			if !errors.Is(err, io.EOF) && !isTimeout(err) && !s.isClosing() {
				_, _ = io.WriteString(sc.c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}
			return
		}
		if !s.setBusy(sc, true) {
			return
		}
		_ = sc.c.SetReadDeadline(time.Time{})
		req.RemoteAddr = client
		req = req.WithContext(context.WithValue(context.Background(), clientKey{}, client))
		rb := &responseBuffer{header: http.Header{}}
		s.handler.ServeHTTP(rb, req)
		_, _ = io.Copy(io.Discard, req.Body)
		rb.WriteHeader(http.StatusOK)
		keep := s.setBusy(sc, false) && !req.Close
		resp := &http.Response{
			StatusCode: rb.status, ProtoMajor: 1, ProtoMinor: 1, Header: rb.header,
			ContentLength: int64(rb.body.Len()), Body: io.NopCloser(&rb.body), Close: !keep,
		}
		_ = sc.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if err := resp.Write(sc.c); err != nil || !keep {
			return
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// shutdown stops reading requests: idle connections are closed at once,
// busy ones after their answer. It waits for them until ctx ends, then
// closes what is left.
func (s *connServer) shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for sc := range s.conns {
		if !sc.busy {
			_ = sc.c.SetReadDeadline(time.Now())
		}
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for sc := range s.conns {
			sc.c.Close()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}
