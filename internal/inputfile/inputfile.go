package inputfile

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Limits per kind of file: far above any real file, far below memory.
const (
	MaxConfig = 64 << 10
	MaxTeam   = 1 << 20
	MaxPolicy = 1 << 20
	MaxPlan   = 4 << 20
	MaxAction = 4 << 20
	MaxState  = 1 << 20
)

// ErrTooLarge is matched by Read's error for a file over its limit.
var ErrTooLarge = errors.New("file too large")

// TooLargeError names the file, what it was meant to be and the limit.
type TooLargeError struct {
	Path, What string
	Max        int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s %s is larger than %d bytes: that is not a %s (check the path)", e.What, e.Path, e.Max, e.What)
}

// Is matches ErrTooLarge.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// Read reads path ("-" is standard input) up to max bytes; more is an
// error, and nothing past max+1 bytes is read.
func Read(path, what string, max int64) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("reading the %s: %w", what, err)
		}
		defer f.Close()
		r = f
	}
	return ReadFrom(r, path, what, max)
}

// ReadFrom is Read for an open reader named path.
func ReadFrom(r io.Reader, path, what string, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading the %s %s: %w", what, path, err)
	}
	if int64(len(b)) > max {
		return nil, &TooLargeError{Path: path, What: what, Max: max}
	}
	return b, nil
}

// SyncDir syncs a directory, so that a file just created or renamed in it
// survives a crash (after its own fsync).
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
