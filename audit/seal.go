package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/bpkeys/bpkeys/internal/inputfile"
)

// SealInfo is what the first entry of a segment records about the one it
// closed.
type SealInfo struct {
	Reason string `json:"reason"`
	// Previous is the file the closed segment was moved to ("" when the
	// journal was missing).
	Previous       string `json:"previous,omitempty"`
	PreviousSHA256 string `json:"previous_sha256,omitempty"`
	PreviousSize   int64  `json:"previous_size"`
	// HeadEntries and HeadLast are what the head record witnessed.
	HeadEntries int    `json:"head_entries"`
	HeadLast    string `json:"head_last,omitempty"`
	// Problem is what verifying the closed segment found ("" when it
	// verified).
	Problem string `json:"problem,omitempty"`
}

// Seal closes the current segment, whatever its state: the journal is
// moved aside (FILE.sealed-TIME), and a new journal starts with an entry
// recording reason, the old file's name, size and hash, what its head
// record witnessed and what verifying it found.
func (j *Journal) Seal(reason string) (SealInfo, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return SealInfo{}, errors.New("a seal needs a reason (--reason): say why the journal is being sealed")
	}
	unlock, err := j.lock(true)
	if err != nil {
		return SealInfo{}, err
	}
	defer unlock()
	data, h, lerr := j.load()
	var be *BrokenError
	if lerr != nil && !errors.Is(lerr, ErrNoJournal) && !errors.As(lerr, &be) {
		return SealInfo{}, lerr
	}
	info := SealInfo{Reason: reason}
	if lerr == nil {
		_, lerr = check(data, h)
	}
	if lerr != nil && !errors.Is(lerr, ErrNoJournal) {
		info.Problem = lerr.Error()
	}
	next := head{Version: 1, Last: zeroHash, Segment: 1}
	if h != nil {
		info.HeadEntries, info.HeadLast = h.Entries, h.Last
		next.Segment = h.Segment + 1
	}
	if data != nil {
		sum := sha256.Sum256(data)
		info.PreviousSHA256, info.PreviousSize = hex.EncodeToString(sum[:]), int64(len(data))
		info.Previous = fmt.Sprintf("%s.sealed-%s", j.path, time.Now().UTC().Format("20060102T150405.000000000Z"))
		if _, err := os.Lstat(info.Previous); err == nil {
			return SealInfo{}, fmt.Errorf("%s exists already: try again", info.Previous)
		}
		if err := os.Rename(j.path, info.Previous); err != nil {
			return SealInfo{}, fmt.Errorf("moving the sealed journal aside: %w", err)
		}
	}
	if err := writeHead(j.HeadPath(), &next); err != nil {
		return SealInfo{}, err
	}
	if err := j.appendLocked(Entry{Kind: KindSeal, Seal: &info}); err != nil {
		return SealInfo{}, err
	}
	return info, nil
}

// History returns the current segment's entries after the entries that
// parse in the segments sealed before it (followed through each seal's
// Previous; those may not verify, which is why they were sealed). Checks
// that look for what was signed before, such as an approval of another
// hash, read it so that a seal does not make them forget. It fails when
// the current segment does not verify.
func (j *Journal) History() ([]Entry, error) {
	cur, err := j.Entries()
	if err != nil {
		return cur, err
	}
	var older []Entry
	seen := map[string]bool{}
	for next := sealOf(cur); next != "" && !seen[next]; {
		seen[next] = true
		data, err := inputfile.Read(next, "sealed journal segment", maxJournal)
		if err != nil {
			return cur, fmt.Errorf("reading the sealed segment %s: %w", next, err)
		}
		var seg []Entry
		for _, line := range bytes.Split(data, []byte("\n")) {
			var e Entry
			if json.Unmarshal(line, &e) == nil {
				seg = append(seg, e)
			}
		}
		older = append(seg, older...)
		next = sealOf(seg)
	}
	return append(older, cur...), nil
}

func sealOf(es []Entry) string {
	if len(es) == 0 || es[0].Seal == nil {
		return ""
	}
	return es[0].Seal.Previous
}
