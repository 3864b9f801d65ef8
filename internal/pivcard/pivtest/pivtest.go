package pivtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-piv/piv-go/v2/piv"

	"github.com/bpkeys/bpkeys/internal/pivcard"
	"github.com/bpkeys/bpkeys/internal/testenv"
)

// Lease is exclusive use of one vpcd port, held through an flock on a file in
// the shared state directory, so that parallel test processes never present
// two cards on the same slot. The lock dies with the process.
type Lease struct {
	// Port is the vpcd TCP port of the slot.
	Port int
	// Reader is the PC/SC name of the slot.
	Reader string
	unlock func() error
}

// Release gives the port back.
func (l *Lease) Release() error { return l.unlock() }

// AcquirePort leases a free vpcd port, waiting (up to timeout) while all are
// taken.
func AcquirePort(timeout time.Duration) (*Lease, error) {
	dir, err := stateDir()
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, p := range Ports() {
			f, err := flockPoll(filepath.Join(dir, "port-"+strconv.Itoa(p)+".lock"), syscall.LOCK_EX, 0)
			if err != nil {
				continue
			}
			return &Lease{Port: p, Reader: ReaderName(p), unlock: f.Close}, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("all %d vpcd ports stayed leased for %v", len(Ports()), timeout)
		}
		<-tick.C
	}
}

// Card is an emulated card inserted into a leased vpcd slot.
type Card struct {
	*pivcard.Card
	// Connector presents the card to pcscd; use it to Remove and Insert the card.
	Connector *pivcard.Connector
	// Reader is the PC/SC reader name to pass to piv.Open.
	Reader string
	// Port is the vpcd port of the reader slot.
	Port int
}

type options struct {
	cfg        pivcard.Config
	allReaders bool
}

// Option configures NewCard.
type Option func(*options)

// WithProfile selects the firmware profile (default pivcard.Profile57).
func WithProfile(p pivcard.Profile) Option { return func(o *options) { o.cfg.Profile = p } }

// WithSerial sets the serial number (default: random, unique enough to tell
// cards apart in the shared pcscd).
func WithSerial(s uint32) Option { return func(o *options) { o.cfg.Serial = s } }

// WithAllReaders is for tests that run clients touching every "Yubico"
// reader, such as ykcs11 (pkcs11-tool) or OpenSC: while such a client holds a
// reader, piv-go cannot open it exclusively. The card's lifetime then takes
// the readers lock exclusively instead of shared, so no card of any test
// process exists meanwhile; the wait for it is bounded (60 s), after which
// the test goes on without it and logs so.
func WithAllReaders() Option { return func(o *options) { o.allReaders = true } }

// The readers lock keeps clients that touch every reader (WithAllReaders)
// apart from cards in use: cards hold readers.lock shared, such tests hold it
// exclusively. flock does not queue, so a waiting writer first takes
// gate.lock, which new readers must pass (shared) before they lock
// readers.lock: the writer then only waits for the cards alive already.
// Readers of a process that holds readers.lock already skip the gate, so a
// test creating its second card cannot deadlock against a waiting writer.
var held struct {
	sync.Mutex
	n int // shared readers.lock holds of this process
}

// flockPoll opens path and takes an flock, polling until timeout.
func flockPoll(path string, how int, timeout time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		<-tick.C
	}
}

// lockReaders takes the readers lock, shared or exclusive, and returns the
// function releasing it.
func lockReaders(exclusive bool, timeout time.Duration) (release func(), err error) {
	dir, err := stateDir()
	if err != nil {
		return nil, err
	}
	gatePath, readersPath := filepath.Join(dir, "gate.lock"), filepath.Join(dir, "readers.lock")
	if exclusive {
		gate, err := flockPoll(gatePath, syscall.LOCK_EX, timeout)
		if err != nil {
			return nil, err
		}
		readers, err := flockPoll(readersPath, syscall.LOCK_EX, timeout)
		if err != nil {
			gate.Close()
			return nil, err
		}
		return func() { readers.Close(); gate.Close() }, nil
	}
	held.Lock()
	defer held.Unlock()
	if held.n == 0 {
		gate, err := flockPoll(gatePath, syscall.LOCK_SH, timeout)
		if err != nil {
			return nil, err
		}
		defer gate.Close()
	}
	readers, err := flockPoll(readersPath, syscall.LOCK_SH, timeout)
	if err != nil {
		return nil, err
	}
	held.n++
	return func() {
		held.Lock()
		held.n--
		held.Unlock()
		readers.Close()
	}, nil
}

// readyTimeout bounds the wait for pcscd to see a new card; detection takes
// 0.5 to 1 s (pcscd polls every 400 ms).
const readyTimeout = 15 * time.Second

// busyTimeout is how long NewCard tolerates a reader held exclusively by
// someone else before it moves to another port.
const busyTimeout = 3 * time.Second

// errReaderBusy reports a reader that another PC/SC client keeps exclusively.
var errReaderBusy = errors.New("reader held exclusively by another PC/SC client")

// NewCard starts a fresh emulated card on a leased port of the project's
// pcscd (starting pcscd when needed) and returns once piv-go opens it and
// reads its serial. Cleanup removes the card and releases the port. Without
// pcscd and vpcd the test is skipped, or fails under CI=true.
//
// Any PC/SC client may open any reader: a process that keeps one of the
// project's readers open (piv-go even leaks its exclusive handle when Open
// fails after connecting, e.g. on a card that was just removed) makes that
// reader unusable for as long as it lives. NewCard then keeps the port leased
// until the test ends, so that no one else tries it, and moves on.
func NewCard(tb testing.TB, opts ...Option) *Card {
	tb.Helper()
	o := options{cfg: pivcard.Config{Serial: 10_000_000 + rand.Uint32N(89_999_999)}}
	for _, opt := range opts {
		opt(&o)
	}
	if err := EnsurePCSCD(); err != nil {
		testenv.Missing(tb, "pcscd with vsmartcard-vpcd", err.Error()+"; "+testenv.Hint)
	}
	card, err := pivcard.New(o.cfg)
	if err != nil {
		tb.Fatalf("creating emulated card: %v", err)
	}
	if o.allReaders {
		release, err := lockReaders(true, 60*time.Second)
		if err != nil {
			tb.Logf("going on without exclusive use of the readers: %v", err)
		} else {
			tb.Cleanup(release)
		}
	} else {
		release, err := lockReaders(false, 2*time.Minute)
		if err != nil {
			tb.Fatalf("waiting for a test that uses all readers: %v", err)
		}
		tb.Cleanup(release)
	}
	c := &Card{Card: card}
	c.place(tb)
	card.TakeLog() // drop the readiness probes
	return c
}

// place inserts the card into a leased slot and waits until piv-go sees it,
// moving on to another slot while readers are held by other processes.
func (c *Card) place(tb testing.TB) {
	tb.Helper()
	for range Ports() {
		lease, err := AcquirePort(2 * time.Minute)
		if err != nil {
			tb.Fatalf("leasing a vpcd port: %v", err)
		}
		tb.Cleanup(func() { _ = lease.Release() })
		conn, err := pivcard.Dial(context.Background(), "127.0.0.1:"+strconv.Itoa(lease.Port), c.Card)
		if err != nil {
			testenv.Missing(tb, "pcscd with vsmartcard-vpcd", err.Error()+"; "+testenv.Hint)
		}
		c.Connector, c.Reader, c.Port = conn, lease.Reader, lease.Port
		err = c.waitReady(readyTimeout)
		if errors.Is(err, errReaderBusy) {
			tb.Logf("skipping %q: %v", c.Reader, err)
			_ = conn.Close()
			continue
		}
		tb.Cleanup(func() { _ = conn.Close() })
		if err != nil {
			tb.Fatalf("emulated card %d on %q: %v", c.Serial(), c.Reader, err)
		}
		return
	}
	tb.Fatalf("every vpcd reader is held by another PC/SC client")
}

// waitReady waits until pcscd has detected the card (see
// pivcard.Connector.Detected), then polls piv.Open on the card's reader until
// it opens and reports the card's serial, or the timeout expires. Only this
// card's reader is touched, so readers of other test processes do not matter.
func (c *Card) waitReady(timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-c.Connector.Detected():
	case <-timer.C:
		return fmt.Errorf("pcscd did not poll the card within %v", timeout)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var busySince time.Time
	for {
		yk, err := piv.Open(c.Reader)
		if err == nil {
			var got uint32
			got, err = yk.Serial()
			yk.Close()
			if err == nil && got == c.Serial() {
				return nil
			}
			if err == nil {
				err = fmt.Errorf("reader shows card %d", got)
			}
		}
		if strings.Contains(err.Error(), "other connections outstanding") { // SCARD_E_SHARING_VIOLATION
			if busySince.IsZero() {
				busySince = time.Now()
			} else if time.Since(busySince) > busyTimeout {
				return fmt.Errorf("%w: %w", errReaderBusy, err)
			}
		} else {
			busySince = time.Time{}
		}
		select {
		case <-tick.C:
		case <-timer.C:
			return fmt.Errorf("not usable through pcscd after %v: %w", timeout, err)
		}
	}
}

// Open opens the card with piv-go and closes it at cleanup. It retries for a
// while when another PC/SC client holds the reader.
func (c *Card) Open(tb testing.TB) *piv.YubiKey {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		yk, err := piv.Open(c.Reader)
		if err == nil {
			tb.Cleanup(func() { _ = yk.Close() })
			return yk
		}
		if !strings.Contains(err.Error(), "other connections outstanding") || time.Now().After(deadline) {
			tb.Fatalf("opening %q: %v", c.Reader, err)
		}
		<-tick.C
	}
}

// Reinsert puts the card back after a removal and waits until piv-go sees
// it. If another process grabbed the reader meanwhile (piv-go leaks its
// handle when Open fails on a card being removed), the card moves to another
// slot, changing Reader and Port.
func (c *Card) Reinsert(tb testing.TB) {
	tb.Helper()
	if err := c.Connector.Insert(context.Background()); err != nil {
		tb.Fatalf("reinserting card: %v", err)
	}
	err := c.waitReady(readyTimeout)
	if err == nil {
		return
	}
	if !errors.Is(err, errReaderBusy) {
		tb.Fatalf("card %d after reinsertion: %v", c.Serial(), err)
	}
	tb.Logf("moving card %d away from %q: %v", c.Serial(), c.Reader, err)
	_ = c.Connector.Close()
	c.place(tb)
}
