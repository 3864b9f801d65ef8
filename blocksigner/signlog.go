package blocksigner

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// LogEntry is one line of the signing log. Hash is the SHA-256 of Prev and
// the entry's JSON without Hash, so removing or editing a line breaks the
// chain from there on.
type LogEntry struct {
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	Key       string    `json:"key"`
	Role      string    `json:"role,omitempty"`
	Height    *uint32   `json:"height,omitempty"`
	Digest    string    `json:"digest"`
	Client    string    `json:"client"`
	Outcome   string    `json:"outcome"` // "signed", "retry" or "refused: <reason>"
	Signature string    `json:"signature,omitempty"`
	Prev      string    `json:"prev"`
	Hash      string    `json:"hash"`
}

func (e LogEntry) digest() string {
	e.Hash = ""
	b, _ := json.Marshal(e)
	h := sha256.New()
	h.Write([]byte(e.Prev))
	h.Write([]byte{'\n'})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// LogFile is the name of the signing log in the state directory.
const LogFile = "signing.log"

// signLog appends to the chain. Appends are written at once, not fsync'd:
// the high-water mark, not the log, is what prevents a double signature.
type signLog struct {
	mu   sync.Mutex
	f    *os.File
	seq  uint64
	last string
}

func openSignLog(state string) (*signLog, error) {
	path := filepath.Join(state, LogFile)
	last, err := lastEntry(path)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the signing log: %w", err)
	}
	l := &signLog{f: f}
	if last != nil {
		l.seq, l.last = last.Seq, last.Hash
	}
	return l, nil
}

// lastEntry reads the log's last line (nil for an empty or missing log).
func lastEntry(path string) (*LogEntry, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the signing log: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading the signing log: %w", err)
	}
	size := fi.Size()
	if size == 0 {
		return nil, nil
	}
	const chunk = 64 << 10
	off := max(size-chunk, 0)
	buf := make([]byte, size-off)
	if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
		return nil, fmt.Errorf("reading the signing log: %w", err)
	}
	buf = bytes.TrimRight(buf, "\n")
	if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
		buf = buf[i+1:]
	}
	var e LogEntry
	if err := json.Unmarshal(buf, &e); err != nil {
		return nil, fmt.Errorf("the signing log's last line is unreadable (a torn write? check with bpkeys signer status): %w", err)
	}
	return &e, nil
}

func (l *signLog) append(e LogEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	e.Seq, e.Prev = l.seq, l.last
	e.Hash = e.digest()
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		l.seq--
		return fmt.Errorf("appending to the signing log: %w", err)
	}
	l.last = e.Hash
	return nil
}

func (l *signLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.f.Sync(); err != nil {
		l.f.Close()
		return err
	}
	return l.f.Close()
}

// LogSummary is what VerifyLog found.
type LogSummary struct {
	Entries uint64    `json:"entries"`
	Signed  uint64    `json:"signed"`
	Refused uint64    `json:"refused"`
	Last    *LogEntry `json:"last,omitempty"`
}

// ErrLogBroken means the signing log's hash chain does not hold.
var ErrLogBroken = errors.New("the signing log's hash chain is broken")

// VerifyLog reads the whole signing log in state and checks its chain.
func VerifyLog(state string) (LogSummary, error) {
	var s LogSummary
	f, err := os.Open(filepath.Join(state, LogFile))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("reading the signing log: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	prev := ""
	for sc.Scan() {
		var e LogEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return s, fmt.Errorf("%w: line %d is unreadable: %w", ErrLogBroken, s.Entries+1, err)
		}
		if e.Seq != s.Entries+1 || e.Prev != prev || e.digest() != e.Hash {
			return s, fmt.Errorf("%w at line %d (seq %d): an entry was removed, inserted or edited", ErrLogBroken, s.Entries+1, e.Seq)
		}
		s.Entries++
		if e.Outcome == "signed" || e.Outcome == "retry" {
			s.Signed++
		} else {
			s.Refused++
		}
		prev = e.Hash
		last := e
		s.Last = &last
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("reading the signing log: %w", err)
	}
	return s, nil
}
