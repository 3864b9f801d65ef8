package blocksigner

import (
	"os"
	"syscall"
)

// datasync flushes f's data (and the metadata needed to read it) to disk.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
