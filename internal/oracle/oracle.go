// Package oracle runs independent EOSIO implementations that bpkeys did not
// write (@wharfkit/antelope and eosjs, pinned by js/package-lock.json) from Go
// tests, to check that bpkeys' keys, digests, signatures and serialised bytes
// are what the ecosystem accepts. Tests only; it needs node and an installed
// js/node_modules (scripts/deps.sh does both).
package oracle

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/bpkeys/bpkeys/internal/testenv"
	"github.com/bpkeys/bpkeys/signer"
)

// Vector is one signature to check: over chain id + packed transaction (+
// packed context-free data), or over a bare digest.
type Vector struct {
	ChainID   string `json:"chain_id,omitempty"`
	PackedTrx string `json:"packed_trx,omitempty"`
	PackedCFD string `json:"packed_cfd,omitempty"`
	Digest    string `json:"digest,omitempty"`
	Signature string `json:"signature"`
	PublicKey string `json:"public_key"` // what bpkeys says signed it
}

// NewVector builds a vector for a signature over a packed transaction.
func NewVector(chainID signer.ChainID, packedTrx, packedCFD []byte, sig signer.Signature, pub signer.PublicKey) Vector {
	v := Vector{ChainID: chainID.String(), PackedTrx: hex.EncodeToString(packedTrx), Signature: sig.String(), PublicKey: pub.String()}
	if len(packedCFD) > 0 {
		v.PackedCFD = hex.EncodeToString(packedCFD)
	}
	return v
}

// VectorResult is what the libraries computed for a Vector.
type VectorResult struct {
	Digest         string `json:"digest"`
	WharfkitDigest string `json:"wharfkit_digest"`
	WharfkitID     string `json:"wharfkit_id"`
	WharfkitDecode string `json:"wharfkit_decode_error"`
	Wharfkit       string `json:"wharfkit"`
	WharfkitError  string `json:"wharfkit_error"`
	Eosjs          string `json:"eosjs"`
	EosjsError     string `json:"eosjs_error"`
}

// KeyResult is how the libraries read a key string.
type KeyResult struct {
	Wharfkit       string `json:"wharfkit"`
	WharfkitLegacy string `json:"wharfkit_legacy"`
	WharfkitHex    string `json:"wharfkit_hex"`
	WharfkitError  string `json:"wharfkit_error"`
	Eosjs          string `json:"eosjs"`
	EosjsLegacy    string `json:"eosjs_legacy"`
	EosjsError     string `json:"eosjs_error"`
}

// StringResult is how the libraries read a signature string.
type StringResult struct {
	Wharfkit      string `json:"wharfkit"`
	WharfkitError string `json:"wharfkit_error"`
	Eosjs         string `json:"eosjs"`
	EosjsError    string `json:"eosjs_error"`
}

// CodecItem is one value to serialise, or one hex blob to decode, with an ABI type.
type CodecItem struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value,omitempty"`
	Hex   string          `json:"hex,omitempty"`
}

// CodecRequest asks wharfkit to serialise or decode items with an ABI.
type CodecRequest struct {
	ABI   json.RawMessage `json:"abi"`
	Items []CodecItem     `json:"items"`
}

// CodecResult is one serialised or decoded item.
type CodecResult struct {
	Hex   string          `json:"hex"`
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
}

// SignRequest asks wharfkit to generate a key on curve ("K1" or "R1"),
// build a transaction of actions (data given as fields, encoded with abi)
// with the given header, and sign it for chain_id. The private key never
// leaves the node process.
type SignRequest struct {
	Curve          string          `json:"curve"`
	ChainID        string          `json:"chain_id"`
	Expiration     string          `json:"expiration"` // 2006-01-02T15:04:05
	RefBlockNum    uint16          `json:"ref_block_num"`
	RefBlockPrefix uint32          `json:"ref_block_prefix"`
	ABI            json.RawMessage `json:"abi"`
	Actions        []SignAction    `json:"actions"`
}

// SignAction is one action of a SignRequest.
type SignAction struct {
	Account       string            `json:"account"`
	Name          string            `json:"name"`
	Authorization []json.RawMessage `json:"authorization"`
	Data          json.RawMessage   `json:"data"`
}

// Signed is what wharfkit built and signed for a SignRequest.
type Signed struct {
	PublicKey string `json:"public_key"`
	PackedTrx string `json:"packed_trx"`
	Signature string `json:"signature"`
	ID        string `json:"id"`
	Error     string `json:"error"`
}

// Request is one batch for the oracle.
type Request struct {
	SignTransactions []SignRequest `json:"sign_transactions,omitempty"`
	Vectors          []Vector      `json:"vectors,omitempty"`
	Keys             []string      `json:"keys,omitempty"`
	Signatures       []string      `json:"signatures,omitempty"`
	Serialize        *CodecRequest `json:"serialize,omitempty"`
	Decode           *CodecRequest `json:"decode,omitempty"`
}

// Response answers a Request, item by item.
type Response struct {
	SignTransactions []Signed       `json:"sign_transactions"`
	Vectors          []VectorResult `json:"vectors"`
	Keys             []KeyResult    `json:"keys"`
	Signatures       []StringResult `json:"signatures"`
	Serialize        []CodecResult  `json:"serialize"`
	Decode           []CodecResult  `json:"decode"`
}

// Dir is the directory of the oracle's node project.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "js")
}

// Run sends req to the oracle. A missing node or node_modules ends the test
// through testenv.Missing (a failure under CI=true).
func Run(tb testing.TB, req Request) Response {
	tb.Helper()
	node := testenv.LookPath(tb, "node", testenv.Hint)
	dir := Dir()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@wharfkit", "antelope")); err != nil {
		testenv.Missing(tb, "the oracle's node_modules", "run 'npm ci' in "+dir+" or "+testenv.Hint)
	}
	in, err := json.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(dir, "oracle.js"))
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("oracle: %v\n%s", err, stderr.String())
	}
	var res Response
	if err := json.Unmarshal(out, &res); err != nil {
		tb.Fatalf("oracle answer: %v", err)
	}
	return res
}

// CheckVectors asserts that both libraries recover, for every vector, exactly
// the key bpkeys names, from the digest they compute themselves; and that
// wharfkit, decoding each packed transaction without context-free data,
// computes the same digest. It does not check canonical form or low S (the
// libraries do not): callers assert those in Go.
func CheckVectors(tb testing.TB, vs []Vector) {
	tb.Helper()
	res := Run(tb, Request{Vectors: vs})
	if len(res.Vectors) != len(vs) {
		tb.Fatalf("oracle answered %d of %d vectors", len(res.Vectors), len(vs))
	}
	failures := 0
	for i, v := range vs {
		r := res.Vectors[i]
		want, err := signer.ParsePublicKey(v.PublicKey)
		if err != nil {
			tb.Fatalf("vector %d: %v", i, err)
		}
		for lib, got := range map[string]string{"wharfkit": r.Wharfkit + r.WharfkitError, "eosjs": r.Eosjs + r.EosjsError} {
			k, err := signer.ParsePublicKey(got)
			if err != nil || k != want {
				failures++
				tb.Errorf("vector %d: %s recovered %q, bpkeys says %s", i, lib, got, v.PublicKey)
			}
		}
		if v.PackedTrx != "" && v.PackedCFD == "" && v.Digest == "" {
			if r.WharfkitDecode != "" || r.WharfkitDigest != r.Digest {
				failures++
				tb.Errorf("vector %d: wharfkit's signing digest %q (decode error %q) differs from %s", i, r.WharfkitDigest, r.WharfkitDecode, r.Digest)
			}
		}
		if failures > 10 {
			tb.Fatal("too many oracle disagreements")
		}
	}
}

// CheckKeys asserts that both libraries read every string form bpkeys
// prints for each key (PUB_K1_/PUB_R1_, and EOS... for K1) back to that key.
func CheckKeys(tb testing.TB, keys []signer.PublicKey) {
	tb.Helper()
	var strs []string
	for _, k := range keys {
		strs = append(strs, k.String())
		if k.Curve == signer.CurveK1 {
			strs = append(strs, k.Legacy())
		}
	}
	res := Run(tb, Request{Keys: strs})
	if len(res.Keys) != len(strs) {
		tb.Fatalf("oracle answered %d of %d keys", len(res.Keys), len(strs))
	}
	for i, s := range strs {
		r := res.Keys[i]
		k, _ := signer.ParsePublicKey(s)
		if r.WharfkitError != "" || r.EosjsError != "" {
			tb.Errorf("%s: wharfkit error %q, eosjs error %q", s, r.WharfkitError, r.EosjsError)
			continue
		}
		if r.WharfkitHex != k.Hex() {
			tb.Errorf("%s: wharfkit reads point %s, bpkeys %s", s, r.WharfkitHex, k.Hex())
		}
		if r.Wharfkit != k.String() || r.Eosjs != k.String() {
			tb.Errorf("%s: wharfkit prints %s, eosjs %s, bpkeys %s", s, r.Wharfkit, r.Eosjs, k)
		}
		if k.Curve == signer.CurveK1 && (r.WharfkitLegacy != k.Legacy() || r.EosjsLegacy != k.Legacy()) {
			tb.Errorf("%s: legacy forms differ: wharfkit %s, eosjs %s, bpkeys %s", s, r.WharfkitLegacy, r.EosjsLegacy, k.Legacy())
		}
	}
}

// CheckSignatureStrings asserts both libraries read each SIG_ string and
// print it back unchanged.
func CheckSignatureStrings(tb testing.TB, sigs []signer.Signature) {
	tb.Helper()
	var strs []string
	for _, s := range sigs {
		strs = append(strs, s.String())
	}
	res := Run(tb, Request{Signatures: strs})
	if len(res.Signatures) != len(strs) {
		tb.Fatalf("oracle answered %d of %d signatures", len(res.Signatures), len(strs))
	}
	for i, s := range strs {
		r := res.Signatures[i]
		if r.Wharfkit != s || r.Eosjs != s {
			tb.Errorf("%s: wharfkit %q (%s), eosjs %q (%s)", s, r.Wharfkit, r.WharfkitError, r.Eosjs, r.EosjsError)
		}
	}
}
