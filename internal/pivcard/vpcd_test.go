package pivcard

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

// fakeVPCD plays the pcscd side of the vpcd protocol on a loopback listener.
type fakeVPCD struct {
	t  *testing.T
	ln net.Listener
}

func newFakeVPCD(t *testing.T) *fakeVPCD {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &fakeVPCD{t: t, ln: ln}
}

func (f *fakeVPCD) accept() net.Conn {
	f.t.Helper()
	conn, err := f.ln.Accept()
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		f.t.Fatal(err)
	}
	return conn
}

// exchange sends one vpcd message and reads the answer; it returns an error
// when the card side closed the connection.
func exchange(conn net.Conn, msg []byte) ([]byte, error) {
	out := binary.BigEndian.AppendUint16(nil, uint16(len(msg)))
	if _, err := conn.Write(append(out, msg...)); err != nil {
		return nil, err
	}
	var hdr [2]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return nil, err
	}
	resp := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	_, err := io.ReadFull(conn, resp)
	return resp, err
}

func TestConnector(t *testing.T) {
	vpcd := newFakeVPCD(t)
	card, err := New(Config{Serial: 42})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := Dial(context.Background(), vpcd.ln.Addr().String(), card)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })

	c1 := vpcd.accept()
	if _, err := c1.Write([]byte{0, 1, vpcdPowerOn}); err != nil { // no answer expected
		t.Fatal(err)
	}
	atr, err := exchange(c1, []byte{vpcdGetATR})
	if err != nil || !bytes.Equal(atr, ATR) {
		t.Fatalf("ATR %x, %v", atr, err)
	}
	resp, err := exchange(c1, []byte{0, 0xf8, 0, 0, 0})
	if err != nil || !bytes.Equal(resp, []byte{0, 0, 0, 42, 0x90, 0}) {
		t.Fatalf("GET SERIAL %x, %v", resp, err)
	}

	const delay = 150 * time.Millisecond
	card.SetDelay(delay)
	start := time.Now()
	if _, err := exchange(c1, []byte{0, 0xfd, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < delay {
		t.Fatalf("answer after %v, want at least %v", took, delay)
	}
	card.SetDelay(0)

	// Removal mid-command: the connection closes without an answer and the
	// connector stays away until Insert.
	card.RemoveOnINS(0xf8)
	if resp, err := exchange(c1, []byte{0, 0xf8, 0, 0, 0}); err == nil {
		t.Fatalf("removed card answered %x", resp)
	}
	if err := conn.Insert(context.Background()); err != nil {
		t.Fatal(err)
	}
	c2 := vpcd.accept()
	if resp, err := exchange(c2, []byte{0, 0xf8, 0, 0, 0}); err != nil || len(resp) != 6 {
		t.Fatalf("after Insert: %x, %v", resp, err)
	}

	// pcscd going away makes the connector dial again by itself.
	c2.Close()
	c3 := vpcd.accept()
	if atr, err := exchange(c3, []byte{vpcdGetATR}); err != nil || !bytes.Equal(atr, ATR) {
		t.Fatalf("after reconnect: %x, %v", atr, err)
	}

	// Remove closes the socket; Close ends everything.
	conn.Remove()
	if _, err := exchange(c3, []byte{vpcdGetATR}); err == nil {
		t.Fatal("card answered after Remove")
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	if err := conn.Insert(context.Background()); err == nil {
		t.Fatal("Insert after Close succeeded")
	}
}

func TestDialFailsWithoutVPCD(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	card, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Dial(context.Background(), addr, card); err == nil {
		t.Fatal("Dial succeeded without a listener")
	}
}
