package blocksigner

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/bpkeys/bpkeys/internal/inputfile"
	"github.com/bpkeys/bpkeys/signer"
)

// Height returns the block number a Savanna block id carries in its first
// four bytes, big-endian (block_header::calculate_id).
func Height(digest [32]byte) uint32 { return binary.BigEndian.Uint32(digest[:4]) }

// Mark is a key's high-water mark: the last block it signed.
type Mark struct {
	Key       string    `json:"key"`
	Height    uint32    `json:"height"`
	Digest    string    `json:"digest"`
	Signature string    `json:"signature"`
	Time      time.Time `json:"time"`
}

// Refusal reasons, also the metrics' reason label.
const (
	ReasonUnknownKey  = "unknown_key"
	ReasonSameHeight  = "same_height_other_digest"
	ReasonLowerHeight = "below_high_water_mark"
	ReasonRateLimit   = "rate_limit"
	ReasonBadRequest  = "bad_request"
	ReasonDevice      = "device_error"
	ReasonMarkWrite   = "mark_not_written"
	ReasonNotFound    = "unknown_endpoint"
	ReasonStopping    = "stopping"
)

// RefusedError is a request the safety rules refuse.
type RefusedError struct {
	Reason string
	Detail string
}

func (e *RefusedError) Error() string { return e.Detail }

// ErrRefused matches every RefusedError.
var ErrRefused = errors.New("refused")

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// check decides a block request against the mark m (nil: none yet). It
// returns the stored signature for a retry of the marked digest, nil to go
// ahead, or a refusal.
func (m *Mark) check(digest [32]byte) (*signer.Signature, error) {
	if m == nil || m.Digest == "" {
		return nil, nil
	}
	h, d := Height(digest), hex.EncodeToString(digest[:])
	switch {
	case h == m.Height && d == m.Digest && m.Signature == "":
		return nil, nil // reserved, the signature lost in a crash: the same block may be signed again
	case h == m.Height && d == m.Digest:
		sig, err := signer.ParseSignature(m.Signature)
		if err != nil {
			return nil, fmt.Errorf("the high-water mark of %s holds an unreadable signature: %w", m.Key, err)
		}
		return &sig, nil
	case h == m.Height:
		return nil, &RefusedError{Reason: ReasonSameHeight, Detail: fmt.Sprintf("double-sign refused: %s already signed block %d with another id (%s); this request (%s) is not signed", m.Key, h, m.Digest, d)}
	case h < m.Height:
		return nil, &RefusedError{Reason: ReasonLowerHeight, Detail: fmt.Sprintf("double-sign refused: block %d is at or below the high-water mark %d of %s", h, m.Height, m.Key)}
	}
	return nil, nil
}

// markStore keeps each key's mark in its own file of two fixed slots. A
// save writes the slot the previous save did not use and fdatasyncs it:
// one write and one flush per signature, no rename. A write torn by a
// crash damages only the slot being written, whose signature was never
// returned (the answer waits for the flush), so loading the newest intact
// slot is always correct. Files are opened once and kept open.
type markStore struct {
	dir   string
	mu    sync.Mutex
	files map[signer.PublicKey]*markFile
}

type markFile struct {
	f   *os.File
	seq uint64
}

// slotSize is the size of one slot: a length, the mark's JSON and its
// SHA-256, zero-padded.
const slotSize = 1024

// MarkSuffix ends the name of a mark file (the key's PUB_ string first).
const MarkSuffix = ".mark"

// slotMark is what a slot holds.
type slotMark struct {
	Seq uint64 `json:"seq"`
	Mark
}

func newMarkStore(state string) (*markStore, error) {
	dir := filepath.Join(state, "marks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the high-water mark directory: %w", err)
	}
	return &markStore{dir: dir, files: map[signer.PublicKey]*markFile{}}, nil
}

// MarkPath is the file holding pub's high-water mark in a state directory.
func MarkPath(state string, pub signer.PublicKey) string {
	return filepath.Join(state, "marks", pub.String()+MarkSuffix)
}

// load reads the key's mark, nil when the key never signed a block, and
// keeps the file open for saves.
func (s *markStore) load(pub signer.PublicKey) (*Mark, error) {
	path := filepath.Join(s.dir, pub.String()+MarkSuffix)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the high-water mark: %w", err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		// A new file: make its directory entry durable once.
		if err := inputfile.SyncDir(s.dir); err != nil {
			f.Close()
			return nil, err
		}
	}
	sm, err := readSlots(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	mf := &markFile{f: f}
	var m *Mark
	if sm != nil {
		mf.seq = sm.Seq
		if sm.Digest != "" {
			m = &sm.Mark
		}
	}
	s.mu.Lock()
	if old := s.files[pub]; old != nil {
		old.f.Close()
	}
	s.files[pub] = mf
	s.mu.Unlock()
	return m, nil
}

// ReadMark reads the mark file at path without changing it; nil when the
// key never signed a block.
func ReadMark(path string) (*Mark, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the high-water mark: %w", err)
	}
	defer f.Close()
	sm, err := readSlots(f, path)
	if err != nil || sm == nil || sm.Digest == "" {
		return nil, err
	}
	return &sm.Mark, nil
}

// readSlots returns the newest intact slot. A file with content but no
// intact slot is an error: the service will not start on it.
func readSlots(f *os.File, path string) (*slotMark, error) {
	buf := make([]byte, 2*slotSize)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading the high-water mark: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	var best *slotMark
	for i := 0; i < 2; i++ {
		if sm, ok := decodeSlot(buf[i*slotSize : (i+1)*slotSize]); ok && (best == nil || sm.Seq > best.Seq) {
			best = sm
		}
	}
	if best == nil {
		return nil, fmt.Errorf("the high-water mark %s holds no intact record: restore it from backup, or remove it only if you know this key signed no block above the chain's head", path)
	}
	return best, nil
}

func decodeSlot(b []byte) (*slotMark, bool) {
	n := int(binary.BigEndian.Uint32(b[:4]))
	if n == 0 || 4+n+sha256.Size > len(b) {
		return nil, false
	}
	body := b[4 : 4+n]
	sum := sha256.Sum256(body)
	if !bytes.Equal(sum[:], b[4+n:4+n+sha256.Size]) {
		return nil, false
	}
	var sm slotMark
	if json.Unmarshal(body, &sm) != nil {
		return nil, false
	}
	return &sm, true
}

// save makes m the key's mark; with flush, durably before returning.
func (s *markStore) save(pub signer.PublicKey, m Mark, flush bool) error {
	s.mu.Lock()
	mf := s.files[pub]
	s.mu.Unlock()
	if mf == nil {
		return fmt.Errorf("the high-water mark of %s is not open", pub)
	}
	sm := slotMark{Seq: mf.seq + 1, Mark: m}
	body, err := json.Marshal(sm)
	if err != nil {
		return err
	}
	if 4+len(body)+sha256.Size > slotSize {
		return fmt.Errorf("the high-water mark of %s does not fit its slot", pub)
	}
	slot := make([]byte, slotSize)
	binary.BigEndian.PutUint32(slot, uint32(len(body)))
	copy(slot[4:], body)
	sum := sha256.Sum256(body)
	copy(slot[4+len(body):], sum[:])
	if _, err := mf.f.WriteAt(slot, int64(sm.Seq%2)*slotSize); err != nil {
		return fmt.Errorf("writing the high-water mark: %w", err)
	}
	if flush {
		if err := datasync(mf.f); err != nil {
			return fmt.Errorf("flushing the high-water mark to disk: %w", err)
		}
	}
	mf.seq = sm.Seq
	return nil
}

func (s *markStore) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for k, mf := range s.files {
		errs = append(errs, mf.f.Close())
		delete(s.files, k)
	}
	return errors.Join(errs...)
}
