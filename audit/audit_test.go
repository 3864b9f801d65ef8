package audit_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

func sampleTx() *eos.SignedTransaction {
	return eos.NewSignedTransaction(&eos.Transaction{
		TransactionHeader: eos.TransactionHeader{Expiration: eos.JSONTime{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}},
		Actions: []*eos.Action{{Account: "eosio", Name: "claimrewards",
			Authorization: []eos.PermissionLevel{{Actor: "bpkeysdemo11", Permission: "claim"}},
			ActionData:    eos.NewActionDataFromHexData([]byte{1, 2, 3})}},
	})
}

func TestJournalChainsAndDetectsTampering(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "journal.jsonl")
	j, err := audit.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Entries(); !errors.Is(err, audit.ErrNoJournal) {
		t.Fatalf("empty journal: %v", err)
	}
	id, _ := signer.ParseChainID(strings.Repeat("ab", 32))
	k := testsigner.New(signer.CurveR1)
	for i := 0; i < 3; i++ {
		tx := sampleTx()
		tx.Expiration.Time = tx.Expiration.Time.Add(time.Duration(i) * time.Second)
		if err := signTransaction(context.Background(), j, "test", tx, id, []signer.PublicKey{k.PublicKey()}, []signer.Signer{k}); err != nil {
			t.Fatal(err)
		}
		if len(tx.Signatures) != 1 {
			t.Fatal("not signed")
		}
	}
	es, err := j.Entries()
	if err != nil || len(es) != 3 {
		t.Fatalf("%d entries, %v", len(es), err)
	}
	if es[0].Actions[0] != "eosio::claimrewards bpkeysdemo11@claim" || es[0].Key != k.PublicKey().String() || !strings.Contains(es[0].Device, "in-memory") || es[0].TrxID == "" {
		t.Fatalf("entry: %+v", es[0])
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o", fi.Mode().Perm())
	}

	raw, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(raw), "\n")
	for name, tampered := range map[string]string{
		"edited":  lines[0] + strings.Replace(lines[1], `"test"`, `"tset"`, 1) + lines[2],
		"removed": lines[0] + lines[2],
		"swapped": lines[1] + lines[0] + lines[2],
	} {
		if err := os.WriteFile(path, []byte(tampered), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := j.Entries()
		var be *audit.BrokenError
		if !errors.As(err, &be) {
			t.Errorf("%s: not detected: %v", name, err)
		}
	}
	// Editing line 2 is found at line 3, whose prev hash no longer matches.
	os.WriteFile(path, []byte(lines[0]+strings.Replace(lines[1], `"test"`, `"tset"`, 1)+lines[2]), 0o600)
	_, err = j.Entries()
	var be *audit.BrokenError
	if !errors.As(err, &be) || be.Line != 3 {
		t.Fatalf("broken line: %v", err)
	}
}

func TestUnwritableJournalStopsSigning(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.jsonl")
	j, err := audit.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil { // a directory where the file should be
		t.Fatal(err)
	}
	k := testsigner.New(signer.CurveK1)
	id, _ := signer.ParseChainID(strings.Repeat("cd", 32))
	tx := sampleTx()
	err = signTransaction(context.Background(), j, "x", tx, id, []signer.PublicKey{k.PublicKey()}, []signer.Signer{k})
	if err == nil || !strings.Contains(err.Error(), "nothing was signed") {
		t.Fatalf("err = %v", err)
	}
	if len(tx.Signatures) != 0 || k.Calls != 0 {
		t.Fatal("signed although the journal could not be written")
	}
}

func TestOpenRefusesLooseMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	os.WriteFile(path, nil, 0o644)
	if _, err := audit.Open(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("err = %v", err)
	}
}
