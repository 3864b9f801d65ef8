package blocksigner

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/bpkeys/bpkeys/signer"
)

// Options are what the service needs besides its configuration.
type Options struct {
	// Open opens a device key by reference (required).
	Open Opener
	// Legacy forces legacy mode (no height check, rate limit only), as
	// --legacy does; the configuration's legacy: true does the same.
	Legacy bool
	// Logger receives operational messages (default: text on stderr).
	Logger *slog.Logger
	// ShutdownTimeout bounds the wait for requests in flight at stop
	// (default 10 s).
	ShutdownTimeout time.Duration

	// afterMark runs after a block key's mark is durable and before the
	// signature is answered (crash tests).
	afterMark func(Mark)
}

// key is one served key.
type key struct {
	cfg  KeyConfig
	pub  signer.PublicKey
	name string

	mu    sync.Mutex // one request at a time per key
	dev   *device
	mark  *Mark
	limit *bucket
}

// Server is the signing service.
type Server struct {
	cfg    *Config
	opts   Options
	legacy bool
	keys   map[signer.PublicKey]*key
	order  []*key
	marks  *markStore
	log    *signLog
	m      *metrics
	logger *slog.Logger
}

// New opens every configured key (each must be on its device and be the
// configured key), loads the high-water marks and opens the signing log.
func New(ctx context.Context, cfg *Config, opts Options) (*Server, error) {
	if opts.Open == nil {
		return nil, errors.New("blocksigner: no device opener")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = 10 * time.Second
	}
	if err := os.MkdirAll(cfg.State, 0o700); err != nil {
		return nil, fmt.Errorf("creating the state directory: %w", err)
	}
	if fi, err := os.Stat(cfg.State); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	} else if fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("state directory %s is writable by group or others (mode %04o): anyone who can edit a high-water mark can defeat double-sign protection; run chmod 700 on it", cfg.State, fi.Mode().Perm())
	}
	s := &Server{cfg: cfg, opts: opts, legacy: cfg.Legacy || opts.Legacy, keys: map[signer.PublicKey]*key{}, m: newMetrics(), logger: opts.Logger}
	var err error
	if s.marks, err = newMarkStore(cfg.State); err != nil {
		return nil, err
	}
	if s.log, err = openSignLog(cfg.State); err != nil {
		return nil, err
	}
	for _, kc := range cfg.Keys {
		k := &key{cfg: kc, pub: kc.PublicKey(), name: kc.PublicKey().String()}
		k.limit = newBucket(kc.limits(s.legacy))
		k.dev = &device{ref: kc.Device, pub: k.pub, open: opts.Open}
		if err := k.dev.connect(ctx); err != nil {
			s.Close()
			return nil, err
		}
		if kc.Role == RoleBlock && !s.legacy {
			if k.mark, err = s.marks.load(k.pub); err != nil {
				s.Close()
				return nil, err
			}
		}
		if k.mark != nil {
			s.m.mark(k.name, k.mark.Height)
		}
		s.m.setUp(k.name, true)
		s.keys[k.pub] = k
		s.order = append(s.order, k)
	}
	if s.legacy {
		s.logger.Warn("legacy mode: the chain is not on Savanna, so the digest carries no block height and no double-sign check is possible; block keys are only rate-limited")
	}
	return s, nil
}

// Close closes every device session and the signing log.
func (s *Server) Close() error {
	var errs []error
	for _, k := range s.order {
		k.mu.Lock()
		errs = append(errs, k.dev.close())
		k.mu.Unlock()
	}
	if s.log != nil {
		errs = append(errs, s.log.close())
	}
	if s.marks != nil {
		errs = append(errs, s.marks.close())
	}
	return errors.Join(errs...)
}

// PublicKeys lists the served keys in configuration order.
func (s *Server) PublicKeys() []signer.PublicKey {
	out := make([]signer.PublicKey, len(s.order))
	for i, k := range s.order {
		out[i] = k.pub
	}
	return out
}

// Sign applies the safety rules and signs digest with pub; client names
// the caller for the log.
func (s *Server) Sign(ctx context.Context, pub signer.PublicKey, digest [32]byte, client string) (signer.Signature, error) {
	entry := LogEntry{Time: time.Now().UTC(), Key: pub.String(), Digest: hex.EncodeToString(digest[:]), Client: client}
	k, ok := s.keys[pub]
	if !ok {
		return signer.Signature{}, s.refuse(entry, &RefusedError{Reason: ReasonUnknownKey, Detail: fmt.Sprintf("Public key not found in unlocked wallets %s (this signer serves only the keys in its configuration)", keyString(pub))})
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	entry.Role = k.cfg.Role
	block := k.cfg.Role == RoleBlock && !s.legacy
	if block {
		h := Height(digest)
		entry.Height = &h
		prior, err := k.mark.check(digest)
		if err != nil {
			return signer.Signature{}, s.refuse(entry, err)
		}
		if prior != nil {
			entry.Outcome, entry.Signature = "retry", prior.String()
			s.record(entry)
			s.m.retried(k.name)
			return *prior, nil
		}
	}
	if !k.limit.take(time.Now()) {
		rate, burst := k.cfg.limits(s.legacy)
		return signer.Signature{}, s.refuse(entry, &RefusedError{Reason: ReasonRateLimit, Detail: fmt.Sprintf("rate limit: %s signs at most %g a second (burst %d)", k.name, rate, burst)})
	}
	// A block key's reservation (height and block id, no signature yet) is
	// flushed while the device signs, and the answer waits for both: the
	// flush overlaps the device instead of following it.
	var reservation Mark
	var reserved chan error
	prev := k.mark
	if block {
		reservation = Mark{Key: k.name, Height: *entry.Height, Digest: entry.Digest, Time: entry.Time}
		if k.mark == nil || k.mark.Height != reservation.Height || k.mark.Digest != reservation.Digest {
			reserved = make(chan error, 1)
			go func() { reserved <- s.marks.save(k.pub, reservation, true) }()
		}
	}
	start := time.Now()
	reopens := k.dev.reopens
	sig, err := k.dev.sign(ctx, digest)
	s.m.deviceTime(k.name, time.Since(start))
	for range k.dev.reopens - reopens {
		s.m.reopened(k.name)
	}
	s.m.setUp(k.name, err == nil)
	var markErr error
	if reserved != nil {
		// Whether or not the write succeeded, the mark may now be the
		// reservation: from here on the key behaves as if it were.
		markErr = <-reserved
		k.mark = &reservation
	}
	if err != nil {
		if reserved != nil && markErr == nil {
			s.rollback(k, prev)
		}
		s.refuse(entry, &RefusedError{Reason: ReasonDevice, Detail: err.Error()})
		return signer.Signature{}, fmt.Errorf("%s: %w", k.name, err)
	}
	if markErr != nil {
		return signer.Signature{}, s.refuse(entry, &RefusedError{Reason: ReasonMarkWrite, Detail: fmt.Sprintf("the signature was made but is withheld: the high-water mark could not be written (%v); fix the state directory", markErr)})
	}
	if block {
		// The signature joins the mark so that a retry gets the same answer;
		// this write is not waited for on disk: if it is lost, the durable
		// reservation makes a retry of this block id sign it again.
		m := reservation
		m.Signature = sig.String()
		if err := s.marks.save(k.pub, m, false); err != nil {
			s.logger.Error("high-water mark: storing the signature", "key", k.name, "err", err)
		} else {
			k.mark = &m
		}
		s.m.mark(k.name, m.Height)
		if s.opts.afterMark != nil {
			s.opts.afterMark(m)
		}
	}
	entry.Outcome, entry.Signature = "signed", sig.String()
	s.record(entry)
	s.m.signed(k.name, k.cfg.Role)
	return sig, nil
}

// rollback puts back the mark a failed signature reserved over, so that
// a block the device never signed does not block its height. If that
// cannot be written, the reservation stands (refusing is the safe side).
func (s *Server) rollback(k *key, prev *Mark) {
	m := Mark{Key: k.name}
	if prev != nil {
		m = *prev
	}
	if err := s.marks.save(k.pub, m, true); err != nil {
		s.logger.Error("high-water mark: undoing the reservation of a block that was not signed", "key", k.name, "err", err)
		return
	}
	k.mark = prev
}

// refuse logs and counts a refusal and returns err.
func (s *Server) refuse(e LogEntry, err error) error {
	reason := ReasonDevice
	var r *RefusedError
	if errors.As(err, &r) {
		reason = r.Reason
	}
	e.Outcome = "refused: " + reason
	s.record(e)
	s.m.refused(reason)
	attrs := []any{"key", e.Key, "digest", e.Digest, "client", e.Client, "reason", reason, "detail", err.Error()}
	if e.Height != nil {
		attrs = append(attrs, "height", *e.Height)
	}
	s.logger.Warn("refused", attrs...)
	return err
}

func (s *Server) record(e LogEntry) {
	if err := s.log.append(e); err != nil {
		s.logger.Error("signing log", "err", err)
	}
}

// ServeHTTP serves the wallet API subset and /metrics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case PathSignDigest:
		s.serveSign(w, r)
	case PathGetPublicKeys:
		keys := make([]string, 0, len(s.order))
		for _, k := range s.order {
			keys = append(keys, keyString(k.pub))
		}
		writeJSON(w, http.StatusOK, keys)
	case PathMetrics:
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_ = s.m.write(w)
	default:
		err := &RefusedError{Reason: ReasonNotFound, Detail: "Unknown Endpoint"}
		s.m.refused(ReasonNotFound)
		s.logger.Warn("refused", "path", r.URL.Path, "client", clientOf(r), "reason", ReasonNotFound)
		writeError(w, r.URL.Path, err)
	}
}

func (s *Server) serveSign(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err == nil && len(body) > maxRequestBody {
		err = fmt.Errorf("%w: the body is larger than %d bytes", ErrBadRequest, maxRequestBody)
	}
	if err != nil && !errors.Is(err, ErrBadRequest) {
		err = fmt.Errorf("%w: reading the body: %w", ErrBadRequest, err)
	}
	var digest [32]byte
	var pub signer.PublicKey
	if err == nil {
		digest, pub, err = parseSignRequest(body)
	}
	if err != nil {
		s.m.refused(ReasonBadRequest)
		s.logger.Warn("refused", "client", clientOf(r), "reason", ReasonBadRequest, "detail", err.Error())
		writeError(w, "sign_digest", err)
		return
	}
	sig, err := s.Sign(r.Context(), pub, digest, clientOf(r))
	if err != nil {
		writeError(w, "sign_digest", err)
		return
	}
	writeJSON(w, statusSigned, sig.String())
}

type clientKey struct{}

func clientOf(r *http.Request) string {
	if c, ok := r.Context().Value(clientKey{}).(string); ok {
		return c
	}
	return r.RemoteAddr
}

// Serve answers on ln (and on the configured metrics address) until ctx
// ends, then stops accepting, lets the requests in flight finish (the
// signature being made is answered) and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	cs := newConnServer(s)
	errc := make(chan error, 2)
	go func() { errc <- cs.serve(ln) }()
	var msrv *http.Server
	if s.cfg.Metrics != "" {
		mln, err := net.Listen("tcp", s.cfg.Metrics)
		if err != nil {
			ln.Close()
			_ = cs.shutdown(ctx)
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc(PathMetrics, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			_ = s.m.write(w)
		})
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := msrv.Serve(mln); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	s.logger.Info("serving", "listen", s.cfg.Listen, "keys", len(s.order), "legacy", s.legacy)
	var serveErr error
	select {
	case serveErr = <-errc:
		if serveErr != nil {
			serveErr = fmt.Errorf("serving: %w", serveErr)
		}
	case <-ctx.Done():
	}
	ln.Close()
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	errs := []error{serveErr, cs.shutdown(sctx)}
	if msrv != nil {
		errs = append(errs, msrv.Shutdown(sctx))
	}
	s.logger.Info("stopped")
	return errors.Join(errs...)
}
