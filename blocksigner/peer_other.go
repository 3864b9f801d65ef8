//go:build !linux

package blocksigner

import "net"

// describeConn names the client of a connection by its remote address.
func describeConn(c net.Conn) string {
	if _, ok := c.(*net.UnixConn); ok {
		return "unix"
	}
	return c.RemoteAddr().String()
}
