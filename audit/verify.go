package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Status is what Verify found.
type Status struct {
	// Entries are the committed entries of the current segment, in order.
	Entries []Entry
	// Segment counts the seals before this segment.
	Segment int
	// Fenced counts failed appends that a later entry fenced off.
	Fenced int
	// Pending is the size of what a failed append left after the last
	// committed entry (nothing was signed with it); the next append
	// fences it off.
	Pending int64
}

// BrokenError reports where the journal stops verifying. Line is 1-based,
// 0 when the problem is the file as a whole.
type BrokenError struct {
	Line   int
	Reason string
}

func (e *BrokenError) Error() string {
	if e.Line == 0 {
		return e.Reason
	}
	return fmt.Sprintf("journal line %d: %s", e.Line, e.Reason)
}

// Verify checks the chain of hashes against the head record, under the
// shared lock. It returns ErrNoJournal when nothing was ever committed,
// and a *BrokenError (with the entries that verify before it) when the
// journal was truncated, emptied, deleted, edited or rewritten.
func (j *Journal) Verify() (Status, error) {
	unlock, err := j.lock(false)
	if err != nil {
		return Status{}, err
	}
	defer unlock()
	data, h, err := j.load()
	if err != nil {
		return Status{}, err
	}
	st, err := check(data, h)
	if err == nil && h == nil {
		return st, ErrNoJournal
	}
	return st, err
}

// Entries returns the committed entries of the current segment; see
// Verify.
func (j *Journal) Entries() ([]Entry, error) {
	st, err := j.Verify()
	return st.Entries, err
}

type accepted struct {
	end  int64
	hash string
}

// check verifies data against the head record h (nil: none yet).
func check(data []byte, h *head) (Status, error) {
	if h == nil {
		if len(data) == 0 {
			return Status{}, nil
		}
		return Status{}, &BrokenError{Reason: "it has no head record: its tail cannot be checked (the head record was deleted, or an older bpkeys wrote this journal)"}
	}
	st := Status{Segment: h.Segment}
	if int64(len(data)) < h.Size {
		return st, &BrokenError{Reason: fmt.Sprintf("the journal is %d bytes but its head record says %d were committed: it was truncated or emptied", len(data), h.Size)}
	}
	committed := data[:h.Size]
	if len(committed) > 0 && committed[len(committed)-1] != '\n' {
		return st, &BrokenError{Reason: "the committed part does not end with a whole line: it was edited"}
	}
	var acc []accepted
	prev := func() (int64, string) {
		if len(acc) == 0 {
			return 0, zeroHash
		}
		return acc[len(acc)-1].end, acc[len(acc)-1].hash
	}
	gapLine, gapReason := 0, ""
	var off int64
	for n := 1; off < int64(len(committed)); n++ {
		i := bytes.IndexByte(committed[off:], '\n')
		line := committed[off : off+int64(i)]
		start, end := off, off+int64(i)+1
		off = end
		var e Entry
		perr := json.Unmarshal(line, &e)
		lastEnd, lastHash := prev()
		switch {
		case perr == nil && e.Fenced == nil && start == lastEnd && e.Prev == lastHash:
			st.Entries = append(st.Entries, e)
			acc = append(acc, accepted{end: end, hash: lineHash(line)})
			gapLine = 0
			continue
		case perr == nil && e.Fenced != nil:
			if k, ok := fenceFits(committed, acc, e, start); ok {
				st.Entries = append(st.Entries[:k], e)
				acc = append(acc[:k], accepted{end: end, hash: lineHash(line)})
				st.Fenced++
				gapLine = 0
				continue
			}
		}
		if gapLine == 0 {
			gapLine = n
			switch {
			case perr != nil:
				gapReason = "not a journal entry: " + perr.Error()
			case e.Fenced != nil:
				gapReason = "it claims to fence off bytes that are not what it names"
			default:
				gapReason = "its previous-line hash does not match: a line before it was changed, removed or inserted"
			}
		}
	}
	if gapLine != 0 {
		return st, &BrokenError{Line: gapLine, Reason: gapReason}
	}
	_, lastHash := prev()
	if len(acc) != h.Entries || lastHash != h.Last {
		return st, &BrokenError{Reason: fmt.Sprintf("the journal's committed lines (%d, the last hashing to %s) are not the ones its head record witnessed (%d, the last hashing to %s): lines were removed, edited or rewritten", len(acc), short(lastHash), h.Entries, short(h.Last))}
	}
	st.Pending = int64(len(data)) - h.Size
	return st, nil
}

// fenceFits reports whether e, starting at start, fences exactly the bytes
// after one of the accepted entries (k of them stay) and chains from it.
func fenceFits(data []byte, acc []accepted, e Entry, start int64) (int, bool) {
	f := e.Fenced
	if f.Size <= 0 || f.Offset+f.Size != start {
		return 0, false
	}
	for k := len(acc); k >= 0; k-- {
		end, hash := int64(0), zeroHash
		if k > 0 {
			end, hash = acc[k-1].end, acc[k-1].hash
		}
		if end < f.Offset {
			return 0, false
		}
		if end == f.Offset {
			return k, e.Prev == hash && lineHash(data[f.Offset:start]) == f.SHA256
		}
	}
	return 0, false
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// IsBroken reports whether err says the journal does not verify.
func IsBroken(err error) bool {
	var be *BrokenError
	return errors.As(err, &be) || errors.Is(err, ErrBroken)
}
