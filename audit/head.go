package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bpkeys/bpkeys/internal/inputfile"
)

// head is the record kept apart from the journal that witnesses its tail:
// how many entries and bytes are committed and the hash of the last line.
type head struct {
	Version int       `json:"version"`
	Entries int       `json:"entries"`
	Size    int64     `json:"size"`
	Last    string    `json:"last"`
	Segment int       `json:"segment"`
	Updated time.Time `json:"updated"`
}

func headPath(journal string) string { return journal + ".head" }

// maxJournal bounds what is read: a journal that grows past it is sealed.
const maxJournal = 512 << 20

const maxHead = 64 << 10

// writeHead replaces the head record atomically: a temporary file synced,
// renamed over the old one, and the directory synced.
func writeHead(path string, h *head) error {
	h.Updated = time.Now().UTC()
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing the journal's head record: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the journal's head record: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing the journal's head record: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the journal's head record: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing the journal's head record: %w", err)
	}
	return inputfile.SyncDir(dir)
}

// load reads the journal and its head record. A missing journal is
// ErrNoJournal when the head record is missing too or records nothing;
// a missing journal whose head record records entries was deleted.
func (j *Journal) load() ([]byte, *head, error) {
	var h *head
	hb, err := inputfile.Read(j.HeadPath(), "journal head record", maxHead)
	switch {
	case err == nil:
		h = &head{}
		if err := json.Unmarshal(hb, h); err != nil || h.Version != 1 || len(h.Last) != 64 || h.Size < 0 {
			return nil, nil, &BrokenError{Reason: fmt.Sprintf("its head record %s is not one bpkeys wrote", j.HeadPath())}
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, nil, fmt.Errorf("reading the journal's head record: %w", err)
	}
	data, err := inputfile.Read(j.path, "signing journal", maxJournal)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if h != nil && h.Size > 0 {
			return nil, h, &BrokenError{Reason: fmt.Sprintf("the journal is missing but its head record %s says %d entries were committed: it was deleted or moved", j.HeadPath(), h.Entries)}
		}
		return nil, h, ErrNoJournal
	case err != nil:
		return nil, h, fmt.Errorf("reading the signing journal: %w (a journal that grew too large is sealed: bpkeys audit seal --reason \"size\")", err)
	}
	return data, h, nil
}
