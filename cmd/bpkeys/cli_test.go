package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

// runCLI runs bpkeys in-process and returns its exit code and outputs.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestKeyInspect(t *testing.T) {
	code, out, _ := runCLI(t, "key", "inspect", "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var got keyInspection
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	want := keyInspection{
		Curve: "K1", CurveName: "secp256k1",
		PublicKey:  "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63",
		LegacyForm: "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
		Point:      "02c0ded2bc1f1305fb0faac5e6c03ee3a1924234985427b6167ca569d13df435cf",
		Binary:     "0002c0ded2bc1f1305fb0faac5e6c03ee3a1924234985427b6167ca569d13df435cf",
	}
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}

	code, out, _ = runCLI(t, "key", "inspect", "PUB_R1_6EPHFSKVYHBjQgxVGQPrwCxTg7BbZ69H9i4gztN9deKTEXYne4")
	if code != 0 || !strings.Contains(out, "R1 (P-256)") || strings.Contains(out, "legacy") {
		t.Fatalf("R1 text output (exit %d):\n%s", code, out)
	}
}

func TestBadInputExitsWithUsage(t *testing.T) {
	good := "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63"
	d := [32]byte{1}
	validSig, err := testsigner.FromSeed(signer.CurveK1, "cli").Sign(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		contains string
	}{
		{"checksum", []string{"key", "inspect", good[:len(good)-1] + "4"}, "checksum"},
		{"truncated", []string{"key", "inspect", good[:30]}, "truncated"},
		{"prefix", []string{"key", "inspect", "PUB_Q1_" + good[7:]}, "expected PUB_K1_"},
		{"private key", []string{"key", "inspect", "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3"}, "never handles private keys"},
		{"bad signature", []string{"sig", "recover", "--digest", "00", "SIG_K1_x"}, "not an EOSIO signature"},
		{"non-hex digest", []string{"sig", "recover", "--digest", "zz", validSig.String()}, "--digest is not hex"},
		{"short digest", []string{"sig", "recover", "--digest", "abcd", validSig.String()}, "must be 32 bytes"},
		{"missing digest", []string{"sig", "recover", validSig.String()}, "give --digest HEX"},
		{"bad chain id", []string{"sig", "recover", "--chain-id", "xyz", "--trx", "00", validSig.String()}, "--chain-id"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"unknown flag", []string{"version", "--frob"}, "unknown flag"},
		{"extra arg", []string{"key", "inspect", good, good}, "takes 1 argument (KEY), got 2"},
		{"missing arg", []string{"key", "inspect"}, "needs KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitUsage, errOut)
			}
			if out != "" {
				t.Errorf("stdout should be empty on error, got %q", out)
			}
			if !strings.Contains(errOut, tc.contains) {
				t.Errorf("stderr %q lacks %q", errOut, tc.contains)
			}
			if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
				t.Errorf("stack trace on stderr: %s", errOut)
			}
			if strings.Contains(errOut, "KQwrPbwdL6PhXujxW37") {
				t.Error("stderr echoes the private key")
			}
		})
	}
}

func TestSigRecover(t *testing.T) {
	chainID := "aca376f206b8fc25a6ed44dbdc66547c36c6c33e3a119ffbeaef943642f0e906"
	id, _ := signer.ParseChainID(chainID)
	trx := []byte("a packed transaction")
	for _, c := range []signer.Curve{signer.CurveK1, signer.CurveR1} {
		k := testsigner.New(c)
		d := signer.Digest(id, trx, nil)
		sig, err := k.Sign(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"sig", "recover", "--digest", hex.EncodeToString(d[:]), sig.String(), "--json"},
			{"sig", "recover", "--chain-id", chainID, "--trx", hex.EncodeToString(trx), sig.String(), "--json"},
		} {
			code, out, errOut := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var r recovery
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			if r.PublicKey != k.PublicKey().String() || !r.Canonical || !r.LowS || r.Digest != hex.EncodeToString(d[:]) {
				t.Fatalf("%s: %+v", c, r)
			}
		}
	}
	// A high-S R1 signature recovers but is reported as unacceptable.
	k := testsigner.New(signer.CurveR1)
	d := signer.Digest(id, trx, nil)
	sig, _ := k.Sign(context.Background(), d)
	n, _ := hex.DecodeString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551")
	var twin [65]byte
	copy(twin[:33], sig.Data[:33])
	sub(twin[33:], n, sig.Data[33:])
	twin[0] = byte(31 + (sig.RecID() ^ 1))
	tw, err := signer.NewSignature(signer.CurveR1, twin[:])
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "sig", "recover", "--digest", hex.EncodeToString(d[:]), tw.String())
	if code != 0 || !strings.Contains(out, "HIGH S") || !strings.Contains(out, k.PublicKey().String()) {
		t.Fatalf("high-S report (exit %d):\n%s", code, out)
	}
	code, _, _ = runCLI(t, "sig", "recover", "--digest", hex.EncodeToString(d[:]), "--chain-id", chainID, "--trx", "00", sig.String())
	if code != exitUsage {
		t.Fatalf("both --digest and --trx: exit %d", code)
	}
}

// sub writes a-b (32-byte big-endian, a > b) into out.
func sub(out, a, b []byte) {
	borrow := 0
	for i := 31; i >= 0; i-- {
		v := int(a[i]) - int(b[i]) - borrow
		borrow = 0
		if v < 0 {
			v += 256
			borrow = 1
		}
		out[i] = byte(v)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version", "--json")
	var v map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["version"] == "" || !strings.HasPrefix(v["go"], "go") {
		t.Fatalf("exit %d: %s", code, out)
	}
}
