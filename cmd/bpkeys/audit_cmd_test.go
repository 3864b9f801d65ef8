package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/txflow"
)

// TestAuditVerifySeal: a truncated journal fails verify (exit 3) and
// names the seal command; after a seal it verifies and says why.
func TestAuditVerifySeal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := audit.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	k := testsigner.New(signer.CurveK1)
	for i := 0; i < 3; i++ {
		b := &txflow.BlindDigest{Digest: [32]byte{byte(i)}, ChainID: strings.Repeat("ab", 32), Note: "t"}
		_ = b.Lines(k.PublicKey(), "test key")
		if err := b.Confirmed(); err != nil {
			t.Fatal(err)
		}
		if _, err := (&txflow.Gate{Journal: j}).SignDigest(context.Background(), b, k); err != nil {
			t.Fatal(err)
		}
	}
	code, out, _ := runCLI(t, "--journal", path, "audit", "verify")
	if code != 0 || !strings.Contains(out, "3 entries") {
		t.Fatalf("intact: exit %d %s", code, out)
	}
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)/2], 0o600)
	code, _, errOut := runCLI(t, "--journal", path, "audit", "verify")
	if code != exitPolicy || !strings.Contains(errOut, "truncated") || !strings.Contains(errOut, "bpkeys audit seal --reason") {
		t.Fatalf("truncated: exit %d %s", code, errOut)
	}
	os.Remove(path)
	code, out, errOut = runCLI(t, "--journal", path, "audit", "verify")
	if code != exitPolicy || strings.Contains(out, "no journal yet") || !strings.Contains(errOut, "deleted") {
		t.Fatalf("deleted: exit %d %s %s", code, out, errOut)
	}
	if code, _, _ := runCLI(t, "--journal", path, "audit", "seal"); code == 0 {
		t.Fatal("sealed without a reason")
	}
	code, out, _ = runCLI(t, "--journal", path, "audit", "seal", "--reason", "journal lost in test")
	if code != 0 || !strings.Contains(out, "new segment") {
		t.Fatalf("seal: exit %d %s", code, out)
	}
	code, out, _ = runCLI(t, "--journal", path, "audit", "verify")
	if code != 0 || !strings.Contains(out, "journal lost in test") {
		t.Fatalf("after seal: exit %d %s", code, out)
	}
}
