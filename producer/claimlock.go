package producer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockAccount takes the per-account claim lock in dir (claim-ACCOUNT.lock),
// so that one run at a time claims for an account on this machine. busy
// says another run held it when asked: the caller then waited for it.
func lockAccount(ctx context.Context, dir, account string) (unlock func(), busy bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("creating the claim lock directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "claim-"+account+".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("opening the claim lock: %w", err)
	}
	fd := int(f.Fd())
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		return func() { f.Close() }, false, nil
	} else if err != syscall.EWOULDBLOCK {
		f.Close()
		return nil, false, fmt.Errorf("locking the claim lock: %w", err)
	}
	got := make(chan error, 1)
	go func() { got <- syscall.Flock(fd, syscall.LOCK_EX) }()
	select {
	case err := <-got:
		if err != nil {
			f.Close()
			return nil, true, fmt.Errorf("locking the claim lock: %w", err)
		}
		return func() { f.Close() }, true, nil
	case <-ctx.Done():
		f.Close() // the waiting flock fails or is released with it
		return nil, true, ctx.Err()
	}
}
