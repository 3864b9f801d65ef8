package pivcard

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// ATR is the answer-to-reset of a YubiKey 5 (YKPIV_ATR_YK5 in
// yubico-piv-tool); it advertises T=1, which piv-go requires.
var ATR = []byte{0x3b, 0xfd, 0x13, 0x00, 0x00, 0x81, 0x31, 0xfe, 0x15, 0x80,
	0x73, 0xc0, 0x21, 0xc0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4b, 0x65, 0x79, 0x40}

// vpcd control messages (one-byte payloads from the driver).
const (
	vpcdPowerOff = 0x00
	vpcdPowerOn  = 0x01
	vpcdReset    = 0x02
	vpcdGetATR   = 0x04
)

// redialInterval is how often a Connector retries after pcscd dropped it.
const redialInterval = 200 * time.Millisecond

var errRemoved = errors.New("card removed by fault injection")

// Connector presents a Card in a vsmartcard-vpcd reader slot. vpcd (inside
// pcscd) listens on a TCP port per slot; the Connector dials it and answers
// its messages, each framed by a 2-byte big-endian length: one-byte payloads
// are control messages (00 power off, 01 power on, 02 reset, 04 get ATR),
// longer ones are C-APDUs answered with R-APDUs. Closing the connection is
// how a card leaves the reader.
type Connector struct {
	card   *Card
	addr   string
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	conn    net.Conn      // nil while removed or reconnecting
	removed bool          // Remove or an injected removal; cleared by Insert
	seen    chan struct{} // closed when vpcd first talks on conn
}

// Dial inserts card into the vpcd slot listening at addr (e.g.
// "127.0.0.1:35963") and serves it in the background until ctx is done or
// Close is called. If pcscd drops the connection (pcscd restarted), the
// Connector dials again every 200 ms; after Remove it waits for Insert.
func Dial(ctx context.Context, addr string, card *Card) (*Connector, error) {
	ctx, cancel := context.WithCancel(ctx)
	c := &Connector{card: card, addr: addr, ctx: ctx, cancel: cancel}
	conn, err := c.dial(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	c.mu.Lock()
	c.attach(conn)
	c.mu.Unlock()
	return c, nil
}

func (c *Connector) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to vpcd at %s: %w", c.addr, err)
	}
	return conn, nil
}

// attach makes conn the current connection and serves it; c.mu must be held.
func (c *Connector) attach(conn net.Conn) {
	c.conn, c.removed, c.seen = conn, false, make(chan struct{})
	c.wg.Add(1)
	go c.serve(conn, c.seen)
}

// Detected returns a channel that is closed once vpcd has talked to the
// card on its current connection (after Dial, Insert or a reconnection).
// vpcd serves one connection per slot and accepts a new one only after
// dropping the previous card, so from then on pcscd's view of the slot is
// this card: a client connecting earlier may still reach the previous,
// closed card. (piv-go leaks its exclusive handle when Open fails after
// connecting, so waiting for this before piv.Open matters.)
func (c *Connector) Detected() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		return make(chan struct{})
	}
	return c.seen
}

// Remove pulls the card out of the reader: the connection is closed and
// pcscd reports the card removed within its 400 ms polling period.
func (c *Connector) Remove() {
	c.mu.Lock()
	conn := c.conn
	c.conn, c.removed = nil, true
	c.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}

// Insert puts a removed card back into the reader. It does nothing if the
// card is present.
func (c *Connector) Insert(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		return nil
	}
	if c.ctx.Err() != nil {
		return fmt.Errorf("inserting card: %w", net.ErrClosed)
	}
	conn, err := c.dial(ctx)
	if err != nil {
		return fmt.Errorf("inserting card: %w", err)
	}
	c.attach(conn)
	return nil
}

// Close removes the card for good and waits for the connection to end.
func (c *Connector) Close() error {
	c.cancel()
	c.Remove()
	c.wg.Wait()
	return nil
}

// serve answers vpcd on conn until it fails, then reconnects unless the card
// was removed or the Connector closed.
func (c *Connector) serve(conn net.Conn, seen chan struct{}) {
	defer c.wg.Done()
	stop := context.AfterFunc(c.ctx, func() { conn.Close() })
	err := c.loop(conn, seen)
	stop()
	conn.Close()

	c.mu.Lock()
	current := c.conn == conn // false after Remove, Close or an injected removal
	if current {
		c.conn = nil
	}
	c.mu.Unlock()
	if current && !errors.Is(err, errRemoved) {
		c.reconnect()
	}
}

// reconnect dials vpcd again after pcscd dropped the connection.
func (c *Connector) reconnect() {
	t := time.NewTicker(redialInterval)
	defer t.Stop()
	for {
		c.mu.Lock()
		done := c.removed || c.conn != nil || c.ctx.Err() != nil
		c.mu.Unlock()
		if done {
			return
		}
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		conn, err := c.dial(c.ctx)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.removed || c.conn != nil {
			c.mu.Unlock()
			conn.Close()
			return
		}
		c.attach(conn)
		c.mu.Unlock()
		return
	}
}

func (c *Connector) loop(conn net.Conn, seen chan struct{}) error {
	var hdr [2]byte
	for first := true; ; first = false {
		quickAck(conn)
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			return fmt.Errorf("reading from vpcd: %w", err)
		}
		if first {
			close(seen)
		}
		msg := make([]byte, binary.BigEndian.Uint16(hdr[:]))
		quickAck(conn)
		if _, err := io.ReadFull(conn, msg); err != nil {
			return fmt.Errorf("reading from vpcd: %w", err)
		}
		var resp []byte
		switch {
		case len(msg) == 0:
			continue
		case len(msg) == 1:
			switch msg[0] {
			case vpcdPowerOff, vpcdPowerOn, vpcdReset:
				c.card.PowerCycle()
				continue
			case vpcdGetATR:
				resp = ATR
			default:
				continue
			}
		default:
			var remove bool
			resp, remove = c.card.transmit(msg)
			if remove {
				// Mark the card removed before the connection closes, so
				// that an Insert after the client saw the failure dials.
				c.mu.Lock()
				if c.conn == conn {
					c.conn, c.removed = nil, true
				}
				c.mu.Unlock()
				return errRemoved
			}
			if d := c.card.delay(); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-c.ctx.Done():
					t.Stop()
					return c.ctx.Err()
				case <-t.C:
				}
			}
		}
		out := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(resp)), uint16(len(resp)))
		if _, err := conn.Write(append(out, resp...)); err != nil {
			return fmt.Errorf("writing to vpcd: %w", err)
		}
	}
}
