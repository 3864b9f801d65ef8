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
		if _, err := audit.SignDigest(context.Background(), j, "t", strings.Repeat("ab", 32), k, [32]byte{byte(i)}); err != nil {
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
