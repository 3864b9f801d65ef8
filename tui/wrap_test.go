package tui

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

const (
	sigK1 = "SIG_K1_KfQ57wLFEZGdm6kh6hZ1TA8RMEgqNnN5nUzGWgXuqmUsoLZXqJ3NHwJKPPtSBtMaXZDaz4NLiHfqU8PRfVsz9pLD2ZwZbn"
	txid  = "5c0ffee0d15ea5e5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718"
)

// TestWrapKeepsWords: whatever the width, every word of the input comes
// out whole and in order, or visibly shortened (head…tail of the word),
// and no line is wider than the width.
func TestWrapKeepsWords(t *testing.T) {
	texts := []string{
		"  key " + keyRotate,
		"  signature " + sigK1 + " by bob@active",
		"  transaction " + txid,
		"Rotate the block-signing key of bpkeysdemo11 (regproducer) to " + keyProd + " from the next schedule.",
		"  actions     eosio.msig::approve alice/rotkey as bob@active, pinned to proposal hash " + txid,
		"first line\n  second line with " + keyAlice + "\nthird",
		`  actions     eosio.msig::propose {"proposal_name":"ojpweiffj4al","proposer":"alice","requested":[{"actor":"alice","permission":"active"}]} by alice@active`,
	}
	for _, s := range texts {
		for w := 8; w <= 130; w++ {
			for _, indent := range []int{0, 2, 4, 14} {
				lines, need := wrapFit(s, w, indent)
				shortened := false
				var got []string
				for _, l := range lines {
					if lw := ansi.StringWidth(l); lw > w {
						t.Fatalf("w=%d indent=%d: line %q is %d wide", w, indent, l, lw)
					}
					got = append(got, strings.Fields(l)...)
				}
				want := strings.Fields(s)
				g := 0
				for _, word := range want {
					if g >= len(got) {
						t.Fatalf("w=%d indent=%d: %q missing:\n%s", w, indent, word, strings.Join(lines, "\n"))
					}
					if got[g] == word {
						g++
						continue
					}
					if !atomic(word) { // split across lines, all of it shown
						joined := ""
						for g < len(got) && len(joined) < len(word) {
							joined += got[g]
							g++
						}
						if joined != word {
							t.Fatalf("w=%d indent=%d: word %q came out as %q", w, indent, word, joined)
						}
						continue
					}
					head, tail, ok := strings.Cut(got[g], "…")
					if !ok || !strings.HasPrefix(word, head) || !strings.HasSuffix(word, tail) {
						t.Fatalf("w=%d indent=%d: value %q became %q", w, indent, word, got[g])
					}
					shortened = true
					g++
				}
				if g != len(got) {
					t.Fatalf("w=%d indent=%d: extra words %q", w, indent, got[g:])
				}
				if shortened != (need > 0) {
					t.Fatalf("w=%d indent=%d: shortened=%v but need=%d", w, indent, shortened, need)
				}
				if need > 0 && need <= w {
					t.Fatalf("w=%d indent=%d: need %d fits, yet a word was shortened", w, indent, need)
				}
			}
		}
	}
}

// TestWrapLongWordOwnLine: a key that does not fit after its label moves
// to its own line, whole, rather than being split (the pieces joined with
// a space was the bug an operator copied off the Details pane).
func TestWrapLongWordOwnLine(t *testing.T) {
	cases := []struct {
		s      string
		w, ind int
		want   []string
	}{
		{"  key " + keyRotate, len(keyRotate) + 5, 4, []string{"  key", "    " + keyRotate}},
		{"  key " + keyRotate, len(keyRotate) + 1, 4, []string{"  key", keyRotate}},
		{"  key " + keyRotate, 40, 4, []string{"  key", "    PUB_R1_6Tg4Yh7Uj1Ik3Ol5Pm8Nb2…Io9PkL"}},
		{"a b c", 3, 0, []string{"a b", "c"}},
		// the break falls on a double space: no stray space on the next line
		{"ab cd  ef", 5, 0, []string{"ab cd", "ef"}},
		// a multi-line diff keeps its lines and their indentation
		{"  actions     propose x\n~ owner\n    ~ threshold 2 -> 3", 80, 14, []string{"  actions     propose x", "              ~ owner", "                  ~ threshold 2 -> 3"}},
		{"", 10, 2, []string{""}},
	}
	for _, c := range cases {
		got := wrap(c.s, c.w, c.ind)
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", c.want) {
			t.Errorf("wrap(%q, %d, %d)\n got %q\nwant %q", c.s, c.w, c.ind, got, c.want)
		}
	}
}

func FuzzWrap(f *testing.F) {
	f.Add("  key "+keyRotate, 40, 4)
	f.Add("x  y\n z", 5, 2)
	f.Fuzz(func(t *testing.T, s string, w, indent int) {
		if w < 2 || w > 300 || indent < 0 || indent > 300 || !printable(s) {
			return
		}
		lines, _ := wrapFit(s, w, indent)
		for _, l := range lines {
			if ansi.StringWidth(l) > w {
				t.Fatalf("line %q wider than %d", l, w)
			}
		}
	})
}

// printable is text a screen shows: valid UTF-8 without control bytes.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != '\n' && !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// valueRE matches what an operator copies off a screen: public keys,
// signatures, and hashes (transaction ids, digests, chain ids), including
// a visibly shortened form (with …).
var valueRE = regexp.MustCompile(`(?:PUB_[KRW][1A]_|SIG_[KRW][1A]_|EOS)[0-9A-Za-z]{8,}(?:…[0-9A-Za-z]*)?|[0-9a-f]{12,}(?:…[0-9a-f]*)?|…[0-9a-f]{4,}`)

// knownValues are the whole values the fake backend and the golden cases
// hand to the screens.
func knownValues(t *testing.T) []string {
	var out []string
	for _, f := range []string{"fake_test.go", "golden_test.go", "wrap_test.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range valueRE.FindAllString(string(b), -1) {
			if !strings.Contains(v, "…") {
				out = append(out, v)
			}
		}
	}
	return out
}

// TestScreensNeverSplitValues renders every golden case at many sizes and
// checks each key, signature or hash on screen is either one of the whole
// values the screens were given or a visibly shortened form of one (its
// head and its tail around an ellipsis): never a piece of one, which is
// what a split across lines leaves.
func TestScreensNeverSplitValues(t *testing.T) {
	known := knownValues(t)
	matches := func(v string) bool {
		head, tail, short := strings.Cut(v, "…")
		for _, k := range known {
			if !short && k == v {
				return true
			}
			if short && strings.HasPrefix(k, head) && strings.HasSuffix(k, tail) && len(head)+len(tail) < len(k) {
				return true
			}
		}
		return false
	}
	for _, c := range goldenCases() {
		for _, w := range []int{40, 52, 60, 64, 72, 80, 100, 120, 132, 200} {
			for _, h := range []int{24, 40} {
				fb := &fakeBackend{}
				m := sized(withScreens(t, fb, c.build), w, h)
				if c.after != nil {
					c.after(t, &m)
				}
				frame := ansi.Strip(m.View())
				for _, v := range valueRE.FindAllString(frame, -1) {
					if !matches(v) {
						t.Errorf("%s at %dx%d: %q on screen is not a whole or visibly shortened value:\n%s", c.name, w, h, v, frame)
					}
				}
			}
		}
	}
}

// TestSignTallSummaryScrolls: a summary taller than the terminal cannot be
// confirmed until every line of it has been on screen; scrolled to the end,
// it can.
func TestSignTallSummaryScrolls(t *testing.T) {
	fb := &fakeBackend{}
	m := sized(withScreens(t, fb, func(m *Model) []screen {
		return []screen{newSign(m.common(), SignRequest{Kind: SignApprove, Proposer: "alice", Proposal: "rotkey"})}
	}), 80, 11)
	s := m.stack[len(m.stack)-1].(*signScreen)
	m.View()
	press(s, "enter")
	if s.state != signReview || !s.cut {
		t.Fatalf("confirmed before the summary was read: state %v", s.state)
	}
	for i := 0; i < 20 && s.cut; i++ {
		press(s, "j")
		m.View()
	}
	if s.cut {
		t.Fatalf("scrolled to the end, still not confirmable:\n%s", m.View())
	}
	press(s, "enter")
	if s.state != signPIN {
		t.Fatalf("state %v after reading it all and enter", s.state)
	}
}
