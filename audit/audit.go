// Package audit keeps bpkeys' signing journal: one JSON line per signature,
// appended and synced before the signature is made, each line carrying the
// hash of the one before it, so that removing, reordering or editing a line
// is detected by Verify. A journal that cannot be written stops the
// signature. The journal holds digests, transaction ids, action summaries
// and public keys; never a private key or a PIN.
//
//	j, err := audit.Open(audit.DefaultPath())
//	err = audit.SignTransaction(ctx, j, tx, chainID, required, signers)
package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/signer"
)

// Entry is one journal line: a signature about to be made.
type Entry struct {
	Time    time.Time `json:"time"`
	ChainID string    `json:"chain_id"`
	Digest  string    `json:"digest"`
	TrxID   string    `json:"trx_id,omitempty"`
	Actions []string  `json:"actions,omitempty"` // "contract::action actor@permission"
	Key     string    `json:"key"`
	Device  string    `json:"device"`
	Note    string    `json:"note,omitempty"` // what the signature is for, e.g. "msig approve bob/rot1"
	Prev    string    `json:"prev"`           // hash of the previous line, or 64 zeros
}

// Journal is an append-only, hash-chained file.
type Journal struct {
	path string
	mu   sync.Mutex
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
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the journal directory: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("journal %s is readable by group or others (mode %04o): run chmod 600 on it", path, fi.Mode().Perm())
	}
	return &Journal{path: path}, nil
}

// Path returns the journal's file name.
func (j *Journal) Path() string { return j.path }

const zeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

func lineHash(line []byte) string {
	h := sha256.Sum256(line)
	return hex.EncodeToString(h[:])
}

// Append writes e (with Prev set to the hash of the last line) and syncs
// the file. Concurrent processes are serialised with an exclusive lock.
func (j *Journal) Append(e Entry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening the signing journal: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("locking the signing journal: %w", err)
	}
	last, err := lastLine(f)
	if err != nil {
		return fmt.Errorf("reading the signing journal: %w", err)
	}
	e.Prev = zeroHash
	if last != nil {
		e.Prev = lineHash(last)
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("writing the signing journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing the signing journal: %w", err)
	}
	return nil
}

// lastLine returns the last non-empty line of f.
func lastLine(f *os.File) ([]byte, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	var last []byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			last = append(last[:0], sc.Bytes()...)
		}
	}
	return last, sc.Err()
}

// BrokenError reports the first line whose chain does not hold.
type BrokenError struct {
	Line   int
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("journal line %d: %s", e.Line, e.Reason)
}

// ErrNoJournal means nothing has been signed yet.
var ErrNoJournal = errors.New("no journal yet: nothing has been signed with this journal")

// Entries reads every line and checks the chain of hashes. On a broken
// chain it returns the entries read so far and a *BrokenError.
func (j *Journal) Entries() ([]Entry, error) {
	f, err := os.Open(j.path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, ErrNoJournal
		}
		return nil, fmt.Errorf("opening the signing journal: %w", err)
	}
	defer f.Close()
	var out []Entry
	prev := zeroHash
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return out, &BrokenError{Line: n, Reason: "not a journal entry: " + err.Error()}
		}
		if e.Prev != prev {
			return out, &BrokenError{Line: n, Reason: "its previous-line hash does not match: a line before it was changed, removed or inserted"}
		}
		prev = lineHash(line)
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("reading the signing journal: %w", err)
	}
	return out, nil
}

// Summarize lists a transaction's actions as "contract::action actor@perm".
func Summarize(tx *eos.Transaction) []string {
	var out []string
	for _, a := range tx.Actions {
		s := string(a.Account) + "::" + string(a.Name)
		for _, l := range a.Authorization {
			s += " " + string(l.Actor) + "@" + string(l.Permission)
		}
		out = append(out, s)
	}
	return out
}

// SignTransaction journals one entry per required key, then signs tx with
// exactly those keys (signer.SignTransaction). If the journal cannot be
// written nothing is signed. note says what the signature is for.
func SignTransaction(ctx context.Context, j *Journal, note string, tx *eos.SignedTransaction, chainID signer.ChainID, required []signer.PublicKey, signers []signer.Signer) error {
	if j == nil {
		return errors.New("no signing journal: refusing to sign without recording it")
	}
	packed, cfd, err := tx.PackedTransactionAndCFD()
	if err != nil {
		return fmt.Errorf("packing the transaction: %w", err)
	}
	digest := signer.Digest(chainID, packed, cfd)
	id := sha256.Sum256(packed)
	byKey := map[signer.PublicKey]signer.Signer{}
	for _, s := range signers {
		byKey[s.PublicKey()] = s
	}
	seen := map[signer.PublicKey]bool{}
	for _, k := range required {
		if seen[k] {
			continue
		}
		seen[k] = true
		device := "no signer present"
		if s, ok := byKey[k]; ok {
			device = signer.Describe(s)
		}
		if err := j.Append(Entry{
			ChainID: chainID.String(), Digest: hex.EncodeToString(digest[:]), TrxID: hex.EncodeToString(id[:]),
			Actions: Summarize(tx.Transaction), Key: k.String(), Device: device, Note: note,
		}); err != nil {
			return fmt.Errorf("%w (nothing was signed)", err)
		}
	}
	return signer.SignTransaction(ctx, tx, chainID, required, signers)
}

// SignDigest journals and signs a bare digest with one signer.
func SignDigest(ctx context.Context, j *Journal, note string, chainID string, s signer.Signer, digest [32]byte) (signer.Signature, error) {
	if j == nil {
		return signer.Signature{}, errors.New("no signing journal: refusing to sign without recording it")
	}
	if err := j.Append(Entry{ChainID: chainID, Digest: hex.EncodeToString(digest[:]), Key: s.PublicKey().String(), Device: signer.Describe(s), Note: note}); err != nil {
		return signer.Signature{}, fmt.Errorf("%w (nothing was signed)", err)
	}
	sig, err := s.Sign(ctx, digest)
	if err != nil {
		return sig, err
	}
	if err := sig.Verify(digest[:], s.PublicKey()); err != nil {
		return signer.Signature{}, err
	}
	return sig, nil
}
