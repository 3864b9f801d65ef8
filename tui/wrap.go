package tui

import (
	"regexp"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Screens show keys, signatures, hashes and account names that an operator
// copies off the terminal, so wrapping never splits or alters one: a word
// that does not fit moves to a line of its own, and a key, signature or
// hash longer than the whole width is shortened visibly in the middle
// (head…tail), never cut silently; screens that may shorten say how to see
// it whole. Any other word longer than the width (a JSON blob in a signing
// summary) is split across lines, so that all of it is shown.

// wrap word-wraps s to w columns, indenting continuation lines by indent
// spaces. Words are never split; see wrapFit.
func wrap(s string, w, indent int) []string {
	lines, _ := wrapFit(s, w, indent)
	return lines
}

// wrapFit is wrap that also reports the width a shortened word would have
// needed (0 when every word is shown whole), so a screen can say how wide
// the terminal must be to show it.
func wrapFit(s string, w, indent int) ([]string, int) {
	if w < 1 {
		w = 1
	}
	if indent > w/2 {
		indent = w / 2
	}
	var out []string
	need := 0
	for i, para := range strings.Split(s, "\n") {
		pre := 0
		if i > 0 {
			pre = indent // the paragraph's own indentation follows
		}
		lines, n := wrapPara(para, w, pre, indent)
		out = append(out, lines...)
		need = max(need, n)
	}
	return out, need
}

// wrapPara wraps one paragraph whose first line starts at column first and
// whose other lines start at column indent.
func wrapPara(s string, w, first, indent int) ([]string, int) {
	var out []string
	need := 0
	cur := strings.Repeat(" ", first)
	// fresh: the line holds nothing but indentation; broken: because the
	// paragraph was broken there (its spaces are then dropped)
	curW, fresh, broken := first, first > 0, false
	flush := func() {
		if strings.TrimSpace(ansi.Strip(cur)) != "" || len(out) == 0 {
			out = append(out, cur)
		}
		cur, curW, fresh, broken = strings.Repeat(" ", indent), indent, true, true
	}
	for i, t := range strings.Split(s, " ") {
		tw := ansi.StringWidth(t)
		sep := 1
		if i == 0 || fresh && broken {
			sep = 0
		}
		if fresh && broken && t == "" {
			continue // the spaces where a line was broken
		}
		if curW+sep+tw <= w {
			if sep == 1 {
				cur += " "
			}
			cur += t
			curW += sep + tw
			fresh = false
			continue
		}
		if !fresh && strings.TrimSpace(ansi.Strip(cur)) != "" {
			flush()
		}
		if t == "" {
			continue // a space where the line breaks
		}
		switch {
		case curW+tw <= w:
			cur += t
			curW += tw
			fresh = false
		case tw <= w:
			// fits only from the left edge: a line of its own
			if strings.TrimSpace(ansi.Strip(cur)) != "" {
				out = append(out, cur)
			}
			out = append(out, t)
			cur, curW, fresh, broken = strings.Repeat(" ", indent), indent, true, true
		case !atomic(t):
			// not a value anyone copies: show all of it, split
			if strings.TrimSpace(ansi.Strip(cur)) != "" {
				out = append(out, cur)
				cur, curW = strings.Repeat(" ", indent), indent
			}
			if w-curW < 1 {
				cur, curW = "", 0
			}
			room := w - curW
			for i := 0; i < tw; i += room {
				out = append(out, cur+ansi.Cut(t, i, min(tw, i+room)))
			}
			cur, curW, fresh, broken = strings.Repeat(" ", indent), indent, true, true
		default:
			room := w - curW
			if room < 12 {
				if strings.TrimSpace(ansi.Strip(cur)) != "" {
					out = append(out, cur)
				}
				cur, curW, room = "", 0, w
			}
			need = max(need, curW+tw)
			cur += shorten(t, room)
			out = append(out, cur)
			cur, curW, fresh, broken = strings.Repeat(" ", indent), indent, true, true
		}
	}
	if !fresh || len(out) == 0 {
		out = append(out, cur)
	}
	return out, need
}

// shorten fits one word into w columns by replacing its middle with an
// ellipsis, keeping its head and its last characters, so the shortening
// is visible and the ends still identify it: PUB_R1_6Tg4Yh…o9PkL.
func shorten(t string, w int) string {
	tw := ansi.StringWidth(t)
	if tw <= w {
		return t
	}
	if w < 2 {
		return "…"
	}
	tail := min(6, (w-1)/3)
	head := w - 1 - tail
	return ansi.Truncate(t, head, "") + "…" + ansi.TruncateLeft(t, tw-tail, "")
}

// copyValueRE matches what an operator copies and must never see split: public
// keys and signatures (PUB_K1_..., SIG_R1_..., legacy EOS...), hashes and
// ids (16 hex digits or more), and account names and levels.
var copyValueRE = regexp.MustCompile(`^(?:(?:PUB|SIG|PVT)_[A-Z0-9]{2}_[0-9A-Za-z]+|EOS[0-9A-Za-z]{40,}|[0-9a-fA-F]{16,}|[a-z1-5.]{1,13}(?:@[a-z1-5.]{1,13})?)$`)

// atomic reports whether a word is such a value, ignoring the punctuation
// around it.
func atomic(t string) bool {
	return copyValueRE.MatchString(strings.Trim(ansi.Strip(t), "()[]{},.;:'\"…"))
}
