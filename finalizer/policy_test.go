package finalizer_test

import (
	"fmt"
	"sort"
	"testing"

	"github.com/bpkeys/bpkeys/finalizer"
	"github.com/bpkeys/bpkeys/internal/blstest"
	"github.com/bpkeys/bpkeys/signer"
)

func rules(s *finalizer.Status, doc string, peer *signer.PublicKey, t *testing.T) []string {
	tm := teamFile(t, doc)
	var out []string
	for _, f := range finalizer.Check(s, tm, peer, []signer.PublicKey{kBlock.PublicKey()}) {
		out = append(out, string(f.Severity)+" "+f.Rule)
	}
	sort.Strings(out)
	return out
}

func TestCheck(t *testing.T) {
	e := newEnv(t)
	onHost, stray := blstest.NewPair("c-on-host"), blstest.NewPair("c-stray")
	e.register(onHost)
	e.register(stray)
	s := e.status(bp)
	clean := fmt.Sprintf("members:\n  - name: a\nhosts:\n  - name: bp1\n    block_key: %s\n    finalizer_keys: [%s, %s]\n", kBlock.PublicKey(), onHost.Key, stray.Key)
	if got := rules(s, clean, nil, t); len(got) != 0 {
		t.Fatalf("clean team file: %v", got)
	}
	doc := fmt.Sprintf("members:\n  - name: a\nhosts:\n  - name: bp1\n    block_key: %s\n    finalizer_keys: [%s]\n  - name: bp2\n    block_key: %s\n  - name: bp3\n    finalizer_keys: [%s]\n",
		kBlock.PublicKey(), onHost.Key, kBack.PublicKey(), onHost.Key)
	peer := kBack.PublicKey()
	got := rules(s, doc, &peer, t)
	want := []string{"error finalizer-key-on-two-hosts", "warning finalizer-key-on-no-host", "warning host-without-finalizer-key", "warning peer-key-is-block-key"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("findings %v, want %v", got, want)
	}
	// On a Savanna chain, a producer without any key will not be scheduled.
	ko := blstest.NewPair("c-other")
	a, err := e.status("other").Register("active", ko.Key.String(), ko.PoP.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.push(kOther, a); err != nil {
		t.Fatal(err)
	}
	if err := e.dc.SwitchToSavanna(); err != nil {
		t.Fatal(err)
	}
	d, err := e.status("other").Delete("active", ko.Key.String())
	if err != nil {
		t.Fatalf("deleting the last key is allowed: %v", err)
	}
	if err := e.push(kOther, d); err != nil {
		t.Fatal(err)
	}
	fs := finalizer.Check(e.status("other"), nil, nil, nil)
	if len(fs) != 1 || fs[0].Rule != finalizer.RuleNotScheduled {
		t.Fatalf("no key on Savanna: %+v", fs)
	}
}
