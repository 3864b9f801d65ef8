package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Entry is one journal line: a signature about to be made, or the seal
// that starts a segment.
type Entry struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind,omitempty"` // "" for a signature, KindSeal for a seal
	ChainID string    `json:"chain_id,omitempty"`
	Digest  string    `json:"digest,omitempty"`
	TrxID   string    `json:"trx_id,omitempty"`
	Actions []string  `json:"actions,omitempty"` // "contract::action actor@permission"
	Key     string    `json:"key,omitempty"`
	Device  string    `json:"device,omitempty"`
	Note    string    `json:"note,omitempty"` // what the signature is for, in words; never parsed
	// Approvals are the eosio.msig approvals in the transaction signed,
	// decoded from its actions.
	Approvals []Approval `json:"approvals,omitempty"`
	// Seal is set on the first entry of a segment started by Seal.
	Seal *SealInfo `json:"seal,omitempty"`
	// Fenced is set when this entry follows a failed append: the bytes it
	// fenced off (nothing was signed with them).
	Fenced *Fence `json:"fenced,omitempty"`
	Prev   string `json:"prev"` // hash of the previous entry's line, or 64 zeros
}

// KindSeal marks the first entry of a segment.
const KindSeal = "seal"

// Fence names the bytes a failed append left, which the entry carrying it
// fenced off.
type Fence struct {
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Journal is an append-only, hash-chained file with its head record.
type Journal struct {
	path string
	mu   sync.Mutex
	// write is the seam tests use to simulate a short write; nil writes
	// to the file.
	write func(f *os.File, b []byte) (int, error)
}

// DefaultPath is $XDG_STATE_HOME/bpkeys/journal.jsonl, or
// ~/.local/state/bpkeys/journal.jsonl.
func DefaultPath() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "bpkeys", "journal.jsonl")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return filepath.Join(home, ".local", "state", "bpkeys", "journal.jsonl")
}

// Open prepares the journal at path, creating its directory (0700) when
// needed. The file itself is created at the first Append, mode 0600.
func Open(path string) (*Journal, error) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs // a seal records where the old segment went
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the journal directory: %w", err)
	}
	for _, p := range []string{path, headPath(path)} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("%s is readable by group or others (mode %04o): run chmod 600 on it", p, fi.Mode().Perm())
		}
	}
	return &Journal{path: path}, nil
}

// Path returns the journal's file name.
func (j *Journal) Path() string { return j.path }

// HeadPath returns the name of the journal's head record.
func (j *Journal) HeadPath() string { return headPath(j.path) }

const zeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

func lineHash(line []byte) string {
	h := sha256.Sum256(line)
	return hex.EncodeToString(h[:])
}

// ErrNoJournal means nothing has been signed yet: neither the journal nor
// its head record exists.
var ErrNoJournal = errors.New("no journal yet: nothing has been signed with this journal")

// ErrBroken is matched by the error of an Append or a Seal-less signature
// on a journal that does not verify.
var ErrBroken = errors.New("the signing journal does not verify")

// lock takes the journal's cross-process lock (FILE.lock): exclusive for
// writers, shared for readers.
func (j *Journal) lock(exclusive bool) (func(), error) {
	j.mu.Lock()
	f, err := os.OpenFile(j.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		j.mu.Unlock()
		return nil, fmt.Errorf("opening the journal lock: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		j.mu.Unlock()
		return nil, fmt.Errorf("locking the signing journal: %w", err)
	}
	return func() {
		f.Close() // releases the flock
		j.mu.Unlock()
	}, nil
}

// Append verifies the journal, writes e (with Prev set to the hash of the
// last entry, and fencing off what a failed append left) and syncs it,
// then moves the head record past it. Only then is the entry committed: an
// error means nothing may be signed. On a journal that does not verify it
// refuses (ErrBroken) and says how to seal it.
func (j *Journal) Append(e Entry) error {
	unlock, err := j.lock(true)
	if err != nil {
		return err
	}
	defer unlock()
	return j.appendLocked(e)
}

func (j *Journal) appendLocked(e Entry) error {
	data, h, err := j.load()
	var st Status
	if err == nil || errors.Is(err, ErrNoJournal) {
		st, err = check(data, h)
	}
	if err != nil && !errors.Is(err, ErrNoJournal) {
		return fmt.Errorf("%w: %s: %w; nothing is signed on a journal that does not verify: look at it (bpkeys audit verify), keep a copy, then run bpkeys audit seal --reason \"...\" to start a new segment linked to it", ErrBroken, j.path, err)
	}
	if h == nil {
		// The head record exists before the journal does: a journal
		// without one was tampered with, never half-created.
		h = &head{Version: 1, Last: zeroHash}
		if err := writeHead(j.HeadPath(), h); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening the signing journal: %w", err)
	}
	defer f.Close()
	end := int64(len(data))
	var buf []byte
	if st.Pending > 0 {
		tail := data[h.Size:]
		if tail[len(tail)-1] != '\n' {
			buf = append(buf, '\n')
		}
		fenced := append(append([]byte(nil), tail...), buf...)
		e.Fenced = &Fence{Offset: h.Size, Size: int64(len(fenced)), SHA256: lineHash(fenced)}
	}
	e.Prev = h.Last
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	buf = append(append(buf, line...), '\n')
	if _, err := f.Seek(end, 0); err != nil {
		return fmt.Errorf("writing the signing journal: %w", err)
	}
	if err := j.writeAll(f, buf); err != nil {
		return fmt.Errorf("writing the signing journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing the signing journal: %w", err)
	}
	next := *h
	next.Entries++
	next.Size = end + int64(len(buf))
	next.Last = lineHash(line)
	return writeHead(j.HeadPath(), &next)
}

func (j *Journal) writeAll(f *os.File, b []byte) error {
	w := j.write
	if w == nil {
		w = (*os.File).Write
	}
	n, err := w(f, b)
	if err == nil && n < len(b) {
		err = fmt.Errorf("short write (%d of %d bytes)", n, len(b))
	}
	return err
}
