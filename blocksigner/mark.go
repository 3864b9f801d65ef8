package blocksigner

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

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
	if m == nil {
		return nil, nil
	}
	h, d := Height(digest), hex.EncodeToString(digest[:])
	switch {
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

// markStore keeps marks as one file per key in dir.
type markStore struct{ dir string }

func newMarkStore(state string) (*markStore, error) {
	dir := filepath.Join(state, "marks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the high-water mark directory: %w", err)
	}
	return &markStore{dir: dir}, nil
}

func (s *markStore) path(pub signer.PublicKey) string {
	return filepath.Join(s.dir, pub.String()+".json")
}

// load reads the key's mark; nil when the key never signed a block.
func (s *markStore) load(pub signer.PublicKey) (*Mark, error) {
	return readMark(s.path(pub))
}

func readMark(path string) (*Mark, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the high-water mark: %w", err)
	}
	var m Mark
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("the high-water mark %s is unreadable (restore it from backup, or remove it only if this key never signed on this chain): %w", path, err)
	}
	return &m, nil
}

// save writes the mark durably: a temporary file fsync'd, renamed over the
// old one, and the directory fsync'd, so that after a crash the file holds
// either the old mark or the new one, never less.
func (s *markStore) save(pub signer.PublicKey, m Mark) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	final := s.path(pub)
	tmp := final + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing the high-water mark: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("writing the high-water mark: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("syncing the high-water mark: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the high-water mark: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("replacing the high-water mark: %w", err)
	}
	d, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("syncing the high-water mark directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing the high-water mark directory: %w", err)
	}
	return nil
}
