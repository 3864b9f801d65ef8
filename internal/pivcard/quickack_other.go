//go:build !linux

package pivcard

import "net"

// quickAck is a no-op where TCP_QUICKACK does not exist.
func quickAck(net.Conn) {}
