package pivcard

import (
	"net"
	"syscall"
)

// quickAck asks Linux to acknowledge received data at once. vpcd sends the
// length and the payload of each message with two send calls on a socket
// with Nagle's algorithm on, so the payload waits for the ACK of the length;
// with delayed ACKs every APDU would cost about 40 ms. The flag is not
// sticky, so it is set again before every read.
func quickAck(conn net.Conn) {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
