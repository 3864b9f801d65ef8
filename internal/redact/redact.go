package redact

import (
	"fmt"
	"net/url"
	"strings"
)

const b58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// Kind says what secret s, or any part of it between separators (such as
// the actor of "actor@permission"), looks like, or "" when it can be
// repeated.
func Kind(s string) string {
	if k := kind(s); k != "" {
		return k
	}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("@=:;?&/, \t\n\"'", r) }) {
		if k := kind(part); k != "" {
			return k
		}
	}
	return ""
}

func kind(s string) string {
	t := strings.TrimSpace(s)
	u := strings.ToUpper(t)
	switch {
	case t == "":
		return ""
	case strings.Contains(u, "PVT_"):
		return "a private key (PVT_...)"
	case strings.Contains(u, "PRIVATE KEY"):
		return "a PEM private key"
	case wifLike(t):
		return "a private key in WIF form"
	case hexRun(t) >= 32:
		return "a long hex string (a private key, a management key or another secret?)"
	case digitsOnly(t) && len(t) >= 4 && len(t) <= 16:
		return "a number (a PIN?)"
	}
	return ""
}

// wifLike: base58 of about a WIF's length (51 or 52, give or take two for
// a character missing or added) starting with 5, K or L.
func wifLike(s string) bool {
	if len(s) < 48 || len(s) > 55 || !strings.ContainsRune("5KL", rune(s[0])) {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune(b58, c) {
			return false
		}
	}
	return true
}

// hexRun is the length of the longest run of hex digits in s.
func hexRun(s string) int {
	best, n := 0, 0
	for _, c := range s {
		if (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

func digitsOnly(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// PrivateKeyLike reports whether s looks like a private key: PVT_ in any
// case, a PEM private key, or a WIF even with a character missing or added.
func PrivateKeyLike(s string) bool {
	t := strings.TrimSpace(s)
	u := strings.ToUpper(t)
	return strings.Contains(u, "PVT_") || strings.Contains(u, "PRIVATE KEY") || wifLike(t)
}

// Quote is s quoted for a message, or, when s could be a secret, what kind
// of thing it looks like instead. Long values are shortened.
func Quote(s string) string {
	if k := Kind(s); k != "" {
		return "(not repeated: it looks like " + k + ")"
	}
	if len(s) > 64 {
		s = s[:40] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// URL returns u with any user name and password replaced by ***, and any
// query string dropped (it may hold a token). Input that does not parse
// as a URL is Quote'd.
func URL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		if strings.Contains(u, "@") {
			return "(an endpoint URL, not repeated: it may hold credentials)"
		}
		return Quote(u)
	}
	creds := p.User != nil
	p.User = nil
	if p.RawQuery != "" {
		p.RawQuery = "***"
	}
	p.Fragment = ""
	out := p.String()
	if creds {
		out = strings.Replace(out, "://", "://***@", 1)
	}
	return out
}

// YAMLError removes the values gopkg.in/yaml quotes in backquotes from
// its error messages ("cannot unmarshal !!str `5KQwrPb...` into bool"),
// keeping the line numbers and types.
func YAMLError(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '`')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i+1:], '`')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString("(a value)")
		s = s[i+1+j+1:]
	}
}

// Fragments lists every substring of s of length n: a test asserts none of
// them appears in an output.
func Fragments(s string, n int) []string {
	var out []string
	for i := 0; i+n <= len(s); i++ {
		out = append(out, s[i:i+n])
	}
	return out
}
