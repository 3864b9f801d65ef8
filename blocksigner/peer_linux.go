package blocksigner

import (
	"fmt"
	"net"
	"syscall"
)

// describeConn names the client of a connection: the uid and pid of a unix
// socket peer (SO_PEERCRED), or the remote address.
func describeConn(c net.Conn) string {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return c.RemoteAddr().String()
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return "unix"
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil || cerr != nil {
		return "unix"
	}
	return fmt.Sprintf("unix uid=%d pid=%d", cred.Uid, cred.Pid)
}
