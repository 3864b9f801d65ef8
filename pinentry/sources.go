package pinentry

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// readFile reads a PIN file that only the running user controls: a
// regular file (not a symbolic link) owned by the user, not accessible to
// group or others, in a directory that neither group nor others can write
// to (they could replace the file).
func readFile(path string) ([]byte, error) {
	fail := func(reason string, err error) error {
		return &SourceError{Kind: File, Arg: path, Reason: reason, Err: err}
	}
	dir := filepath.Dir(path)
	di, err := os.Stat(dir)
	if err != nil {
		return nil, fail("its directory", err)
	}
	if ds, ok := di.Sys().(*syscall.Stat_t); ok {
		if di.Mode().Perm()&0o022 != 0 {
			return nil, fail(fmt.Sprintf("its directory %s is writable by group or others (mode %04o), who could replace the file: move the PIN file to a directory only you can write to", dir, di.Mode().Perm()), nil)
		}
		if int(ds.Uid) != os.Getuid() && ds.Uid != 0 {
			return nil, fail(fmt.Sprintf("its directory %s belongs to another user (uid %d), who could replace the file", dir, ds.Uid), nil)
		}
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ELOOP) {
		return nil, fail("it is a symbolic link: point pin-source at the file itself", nil)
	}
	if err != nil {
		return nil, fail("cannot open it", err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fail("cannot stat it", err)
	}
	mode := os.FileMode(st.Mode & 0o777)
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return nil, fail("it is not a regular file", nil)
	case int(st.Uid) != os.Getuid():
		return nil, fail(fmt.Sprintf("it belongs to another user (uid %d, bpkeys runs as %d): a PIN file must be the running user's own", st.Uid, os.Getuid()), nil)
	case mode&0o077 != 0:
		return nil, fail(fmt.Sprintf("the file is accessible to group or others (mode %04o); run chmod 600 on it", mode), nil)
	}
	pin, err := readBounded(f)
	if err != nil {
		return nil, fail("reading it", err)
	}
	return pin, nil
}

// readFD reads a PIN from a descriptor the caller passed (3<pinfile, a
// pipe, a socket): it refuses stdout and stderr, descriptors this process
// opened itself (they are close-on-exec: bpkeys and the Go runtime open
// every file so, and a descriptor inherited across exec never is), and
// anything that is not a pipe, socket or regular file, or that resolves
// under /proc or /sys. Nothing is read from a refused descriptor.
func readFD(n int) ([]byte, error) {
	fail := func(reason string, err error) error {
		return &SourceError{Kind: FD, Arg: strconv.Itoa(n), Reason: reason, Err: err}
	}
	if n == 1 || n == 2 {
		return nil, fail("that is standard output or error, not a PIN passed to bpkeys", nil)
	}
	flags, err := unix.FcntlInt(uintptr(n), unix.F_GETFD, 0)
	if errors.Is(err, unix.EBADF) {
		return nil, fail("no such descriptor was passed to bpkeys (run it as: bpkeys ... "+strconv.Itoa(n)+"<pinfile)", nil)
	}
	if err != nil {
		return nil, fail("cannot inspect the descriptor", err)
	}
	if flags&unix.FD_CLOEXEC != 0 {
		return nil, fail("the descriptor was opened by bpkeys itself (or the Go runtime), not passed by the caller (run it as: bpkeys ... "+strconv.Itoa(n)+"<pinfile)", nil)
	}
	var st unix.Stat_t
	if err := unix.Fstat(n, &st); err != nil {
		return nil, fail("cannot stat the descriptor", err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO, unix.S_IFSOCK, unix.S_IFREG:
	default:
		return nil, fail("the descriptor is not a pipe, socket or regular file", nil)
	}
	if target, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(n)); err == nil {
		for _, p := range []string{"/proc/", "/sys/"} {
			if strings.HasPrefix(target, p) {
				return nil, fail("the descriptor is a file under "+p+", not a PIN", nil)
			}
		}
	}
	f := os.NewFile(uintptr(n), "pin-fd")
	defer f.Close()
	pin, err := readBounded(f)
	if err != nil {
		return nil, fail("reading it", err)
	}
	return pin, nil
}
