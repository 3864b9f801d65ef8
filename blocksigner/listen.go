package blocksigner

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"strconv"
	"time"
)

// Listen opens the configured listener. A unix socket gets the configured
// mode and group; a stale socket file left by a crash is replaced, but not
// one another signer still answers on.
func Listen(cfg *Config) (net.Listener, error) {
	network, addr, err := ParseListen(cfg.Listen)
	if err != nil {
		return nil, err
	}
	if network == "tcp" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("listening on %s: %w", addr, err)
		}
		return ln, nil
	}
	mode, err := cfg.socketMode()
	if err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(addr); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket: remove it or choose another listen path", addr)
		}
		if c, err := net.DialTimeout("unix", addr, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("another process answers on %s: is a signer already running?", addr)
		}
		if err := os.Remove(addr); err != nil {
			return nil, fmt.Errorf("removing the stale socket %s: %w", addr, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("socket path %s: %w", addr, err)
	}
	ln, err := net.Listen("unix", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	if err := os.Chmod(addr, mode); err != nil {
		ln.Close()
		return nil, fmt.Errorf("setting the socket's mode: %w", err)
	}
	if cfg.SocketGroup != "" {
		g, err := user.LookupGroup(cfg.SocketGroup)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("socket-group: %w", err)
		}
		gid, _ := strconv.Atoi(g.Gid)
		if err := os.Chown(addr, -1, gid); err != nil {
			ln.Close()
			return nil, fmt.Errorf("giving the socket to group %s: %w", cfg.SocketGroup, err)
		}
	}
	return ln, nil
}
