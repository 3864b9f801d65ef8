package audit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

// journalWith signs n sample transactions into a fresh journal.
func journalWith(t *testing.T, n int) (*audit.Journal, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := audit.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		signOne(t, j, i)
	}
	return j, path
}

func signOne(t *testing.T, j *audit.Journal, i int) error {
	t.Helper()
	id, _ := signer.ParseChainID(strings.Repeat("ab", 32))
	k := testsigner.New(signer.CurveK1)
	tx := sampleTx()
	tx.Expiration.Time = tx.Expiration.Time.Add(time.Duration(i) * time.Second)
	return signTransaction(context.Background(), j, fmt.Sprintf("test %d", i), tx, id, []signer.PublicKey{k.PublicKey()}, []signer.Signer{k})
}

// rechain rewrites every prev hash so that the lines chain again, as a
// forger who edits a middle line would.
func rechain(t *testing.T, lines []string) string {
	prev := strings.Repeat("0", 64)
	var out strings.Builder
	for _, l := range lines {
		var e audit.Entry
		if err := json.Unmarshal([]byte(strings.TrimSuffix(l, "\n")), &e); err != nil {
			t.Fatal(err)
		}
		e.Prev = prev
		b, _ := json.Marshal(e)
		sum := sha256.Sum256(b)
		prev = hex.EncodeToString(sum[:])
		out.Write(append(b, '\n'))
	}
	return out.String()
}

func TestJournalTamperingDetected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, path string, lines []string)
	}{
		{"last line deleted", func(t *testing.T, path string, lines []string) {
			os.WriteFile(path, []byte(strings.Join(lines[:3], "")), 0o600)
		}},
		{"truncated to half", func(t *testing.T, path string, lines []string) {
			b, _ := os.ReadFile(path)
			os.WriteFile(path, b[:len(b)/2], 0o600)
		}},
		{"emptied", func(t *testing.T, path string, lines []string) {
			os.WriteFile(path, nil, 0o600)
		}},
		{"last line edited", func(t *testing.T, path string, lines []string) {
			os.WriteFile(path, []byte(strings.Join(lines[:3], "")+strings.Replace(lines[3], "test 3", "test 9", 1)), 0o600)
		}},
		{"middle line rewritten with later hashes recomputed", func(t *testing.T, path string, lines []string) {
			edited := append([]string(nil), lines...)
			edited[1] = strings.Replace(edited[1], "test 1", "tset 1", 1)
			os.WriteFile(path, []byte(rechain(t, edited)), 0o600)
		}},
		{"journal deleted", func(t *testing.T, path string, lines []string) {
			os.Remove(path)
		}},
		{"head record deleted", func(t *testing.T, path string, lines []string) {
			os.Remove(path + ".head")
		}},
		{"last line deleted and the rest rechained", func(t *testing.T, path string, lines []string) {
			os.WriteFile(path, []byte(rechain(t, lines[:3])), 0o600)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, path := journalWith(t, 4)
			if st, err := j.Verify(); err != nil || len(st.Entries) != 4 {
				t.Fatalf("before tampering: %d entries, %v", len(st.Entries), err)
			}
			raw, _ := os.ReadFile(path)
			tc.tamper(t, path, strings.SplitAfter(strings.TrimSuffix(string(raw), "\n"), "\n"))
			_, err := j.Verify()
			var be *audit.BrokenError
			if !errors.As(err, &be) || errors.Is(err, audit.ErrNoJournal) {
				t.Fatalf("not detected: %v", err)
			}
			// Signing on it refuses and says how to seal.
			err = signOne(t, j, 7)
			if !errors.Is(err, audit.ErrBroken) || !strings.Contains(err.Error(), `bpkeys audit seal --reason`) || !strings.Contains(err.Error(), "nothing was signed") {
				t.Fatalf("signing on a broken journal: %v", err)
			}
			// A seal keeps the old file, links it, and signing goes on.
			info, err := j.Seal("test: " + tc.name)
			if err != nil || info.Problem == "" {
				t.Fatalf("seal: %+v %v", info, err)
			}
			if err := signOne(t, j, 8); err != nil {
				t.Fatal(err)
			}
			st, err := j.Verify()
			if err != nil || len(st.Entries) != 2 || st.Entries[0].Kind != audit.KindSeal || st.Entries[0].Seal.Reason != "test: "+tc.name || st.Segment != 1 {
				t.Fatalf("after seal: %+v %v", st, err)
			}
			if info.Previous != "" {
				b, err := os.ReadFile(info.Previous)
				sum := sha256.Sum256(b)
				if err != nil || hex.EncodeToString(sum[:]) != info.PreviousSHA256 {
					t.Fatalf("sealed file %s: %v", info.Previous, err)
				}
				// What was signed before the seal is still remembered.
				h, err := j.History()
				if err != nil || (info.PreviousSize > 0 && len(h) <= 2) || h[len(h)-1].Note != "test 8" {
					t.Fatalf("history: %d entries, %v", len(h), err)
				}
			}
		})
	}
}

func TestNoJournalYet(t *testing.T) {
	j, err := audit.Open(filepath.Join(t.TempDir(), "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Verify(); !errors.Is(err, audit.ErrNoJournal) {
		t.Fatalf("fresh: %v", err)
	}
	if _, err := j.Seal("  "); err == nil {
		t.Fatal("sealed without a reason")
	}
}

// A short write (disk full) is "nothing signed"; the next good signature
// fences the partial line off and the journal verifies.
func TestShortWriteFencedOff(t *testing.T) {
	j, path := journalWith(t, 2)
	audit.SetWriteSeam(j, func(f *os.File, b []byte) (int, error) {
		n, _ := f.Write(b[:len(b)/3])
		return n, syscall.ENOSPC
	})
	k := testsigner.New(signer.CurveK1)
	err := signOne(t, j, 2)
	if err == nil || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "nothing was signed") || k.Calls != 0 {
		t.Fatalf("short write: %v", err)
	}
	st, err := j.Verify()
	if err != nil || st.Pending == 0 || len(st.Entries) != 2 {
		t.Fatalf("after a short write: %+v %v", st, err)
	}
	audit.SetWriteSeam(j, nil)
	if err := signOne(t, j, 3); err != nil {
		t.Fatal(err)
	}
	if err := signOne(t, j, 4); err != nil {
		t.Fatal(err)
	}
	st, err = j.Verify()
	if err != nil || len(st.Entries) != 4 || st.Fenced != 1 || st.Pending != 0 || st.Entries[2].Fenced == nil {
		t.Fatalf("after a good signature: %+v %v", st, err)
	}
	raw, _ := os.ReadFile(path)
	if strings.Count(string(raw), "\n") != 5 {
		t.Fatalf("the partial line is not kept on its own line:\n%s", raw)
	}
}

// A whole line whose head record could not be written is not committed
// either: it is fenced off too.
func TestUncommittedWholeLineFencedOff(t *testing.T) {
	j, path := journalWith(t, 2)
	raw, _ := os.ReadFile(path)
	lines := strings.SplitAfter(strings.TrimSuffix(string(raw), "\n"), "\n")
	// A complete, chaining line that the head record never witnessed.
	var e audit.Entry
	json.Unmarshal([]byte(strings.TrimSpace(lines[1])), &e)
	sum := sha256.Sum256([]byte(strings.TrimSpace(lines[1])))
	e.Prev, e.Note = hex.EncodeToString(sum[:]), "uncommitted"
	b, _ := json.Marshal(e)
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(append(b, '\n'))
	f.Close()
	if st, err := j.Verify(); err != nil || st.Pending == 0 || len(st.Entries) != 2 {
		t.Fatalf("%+v %v", st, err)
	}
	if err := signOne(t, j, 5); err != nil {
		t.Fatal(err)
	}
	st, err := j.Verify()
	if err != nil || len(st.Entries) != 3 || st.Fenced != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	for _, e := range st.Entries {
		if e.Note == "uncommitted" {
			t.Fatal("the uncommitted line counts as an entry")
		}
	}
}

// TestShortWriteRlimit appends in a child process whose file size limit
// (ulimit -f) cuts the line: the kernel's short write, then a good
// signature from this process, then verify passes.
func TestShortWriteRlimit(t *testing.T) {
	if p := os.Getenv("BPKEYS_AUDIT_CHILD"); p != "" {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		lim := uint64(fi.Size()) + 40
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: lim, Max: lim}); err != nil {
			t.Fatal(err)
		}
		j, err := audit.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		err = signOne(t, j, 1)
		fmt.Printf("child: %v\n", err)
		if !errors.Is(err, syscall.EFBIG) {
			t.Fatalf("want EFBIG, got %v", err)
		}
		return
	}
	j, path := journalWith(t, 1)
	cmd := exec.Command(os.Args[0], "-test.run=^TestShortWriteRlimit$", "-test.count=1")
	cmd.Env = append(os.Environ(), "BPKEYS_AUDIT_CHILD="+path)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "nothing was signed") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	raw, _ := os.ReadFile(path)
	if strings.HasSuffix(string(raw), "\n") {
		t.Fatal("the child left no partial line")
	}
	if err := signOne(t, j, 2); err != nil {
		t.Fatal(err)
	}
	st, err := j.Verify()
	if err != nil || len(st.Entries) != 2 || st.Fenced != 1 {
		t.Fatalf("%+v %v", st, err)
	}
}

// Appends from several processes at once are serialised by the lock.
func TestConcurrentWritersSerialised(t *testing.T) {
	if p := os.Getenv("BPKEYS_AUDIT_WRITER"); p != "" {
		j, err := audit.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 10; i++ {
			if err := signOne(t, j, i); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	_, path := journalWith(t, 0)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	outs := make([][]byte, 3)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestConcurrentWritersSerialised$", "-test.count=1")
			cmd.Env = append(os.Environ(), "BPKEYS_AUDIT_WRITER="+path)
			outs[i], errs[i] = cmd.CombinedOutput()
		}(i)
	}
	// and this process too, through its own Journal
	j2, _ := audit.Open(path)
	for i := 0; i < 10; i++ {
		if err := signOne(t, j2, i); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v\n%s", i, err, outs[i])
		}
	}
	st, err := j2.Verify()
	if err != nil || len(st.Entries) != 40 {
		t.Fatalf("%d entries, %v", len(st.Entries), err)
	}
}

// Approvals are recorded from the packed approve action, not from a note.
func TestApprovalRecordedFromAction(t *testing.T) {
	j, _ := journalWith(t, 0)
	hash := strings.Repeat("5a", 32)
	data, _ := hex.DecodeString(
		"0000000000855c34" + // alice
			"0000000000a0a6bc" + // rot (placeholder, replaced below)
			"0000000000855c34" + "00000000a8ed3232" + hash)
	// proposal_name "rot"
	rot, _ := eos.StringToName("rot")
	alice, _ := eos.StringToName("alice")
	for i := 0; i < 8; i++ {
		data[i] = byte(alice >> (8 * i))
		data[16+i] = byte(alice >> (8 * i))
		data[8+i] = byte(rot >> (8 * i))
	}
	tx := eos.NewSignedTransaction(&eos.Transaction{Actions: []*eos.Action{{Account: "eosio.msig", Name: "approve",
		Authorization: []eos.PermissionLevel{{Actor: "alice", Permission: "active"}},
		ActionData:    eos.NewActionDataFromHexData(data)}}})
	id, _ := signer.ParseChainID(strings.Repeat("ab", 32))
	k := testsigner.New(signer.CurveK1)
	if err := signTransaction(context.Background(), j, "words only", tx, id, []signer.PublicKey{k.PublicKey()}, []signer.Signer{k}); err != nil {
		t.Fatal(err)
	}
	es, err := j.Entries()
	if err != nil || len(es) != 1 || len(es[0].Approvals) != 1 {
		t.Fatalf("%+v %v", es, err)
	}
	if got := es[0].Approvals[0]; got != (audit.Approval{Proposer: "alice", Name: "rot", Level: "alice@active", Hash: hash}) {
		t.Fatalf("%+v", got)
	}
}
