package signer

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/bpkeys/bpkeys/internal/redact"
)

// Ref is a key reference as --signer takes it: an RFC 7512 PKCS#11 URI
// ("pkcs11:token=bp-hsm;object=claim?module-path=...&pin-source=env:PIN") or a
// YubiKey reference in the same syntax ("yubikey:serial=12345678;slot=9c").
type Ref struct {
	Scheme string            // "pkcs11" or "yubikey"
	Path   map[string]string // attributes before '?', separated by ';'
	Query  map[string]string // attributes after '?', separated by '&'
}

// ErrPINInRef refuses a PIN written into a key reference.
var ErrPINInRef = errors.New("pin-value is refused: a PIN in a key reference ends up in shell history and process listings; use pin-source=env:NAME, pin-source=file:PATH, pin-source=fd:N, or leave it out to be prompted")

var refAttrs = map[string]struct{ path, query []string }{
	"pkcs11":  {path: []string{"token", "object", "id", "serial", "type", "manufacturer", "model", "slot-id"}, query: []string{"module-path", "module-name", "pin-source"}},
	"yubikey": {path: []string{"serial", "slot"}, query: []string{"pin-source", "management-key-source"}},
}

// ParseRef parses and validates a key reference.
func ParseRef(s string) (Ref, error) {
	s = strings.TrimSpace(s)
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Ref{}, fmt.Errorf("key reference %s: expected a pkcs11: or yubikey: reference", redact.Quote(s))
	}
	scheme = lower(scheme)
	allowed, ok := refAttrs[scheme]
	if !ok {
		return Ref{}, fmt.Errorf("key reference %s: unknown scheme %s (use pkcs11 for an HSM, yubikey for a YubiKey)", redact.Quote(s), redact.Quote(scheme))
	}
	path, query, _ := strings.Cut(rest, "?")
	r := Ref{Scheme: scheme, Path: map[string]string{}, Query: map[string]string{}}
	if err := parseAttrs(path, ";", allowed.path, r.Path); err != nil {
		return Ref{}, fmt.Errorf("key reference %s: %w", scheme, err)
	}
	if query != "" {
		if err := parseAttrs(query, "&", allowed.query, r.Query); err != nil {
			return Ref{}, fmt.Errorf("key reference %s: %w", scheme, err)
		}
	}
	return r, nil
}

func parseAttrs(s, sep string, allowed []string, into map[string]string) error {
	if s == "" {
		return nil
	}
	for _, part := range strings.Split(s, sep) {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = lower(k)
		if k == "pin-value" {
			return ErrPINInRef
		}
		if !ok {
			return fmt.Errorf("attribute %s has no value (expected name=value)", redact.Quote(k))
		}
		if !contains(allowed, k) {
			return fmt.Errorf("unknown attribute %s here (valid: %s)", redact.Quote(k), strings.Join(allowed, ", "))
		}
		if strings.HasSuffix(k, "-source") {
			_, arg, _ := strings.Cut(v, ":")
			if kind := redact.Kind(arg); kind != "" || redact.Kind(v) != "" {
				return fmt.Errorf("attribute %s: the value is not repeated: it looks like a secret, and a source names where a secret is (env:NAME, file:/PATH, fd:N), never the secret itself", k)
			}
		}
		if _, dup := into[k]; dup {
			return fmt.Errorf("attribute %q given twice", k)
		}
		dv, err := url.PathUnescape(v)
		if err != nil {
			return fmt.Errorf("attribute %q: bad percent-encoding", k)
		}
		into[k] = dv
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Get returns an attribute from the path or, failing that, the query.
func (r Ref) Get(name string) string {
	if v, ok := r.Path[name]; ok {
		return v
	}
	return r.Query[name]
}

// String writes the reference back in a canonical order.
func (r Ref) String() string {
	var b strings.Builder
	b.WriteString(r.Scheme)
	b.WriteByte(':')
	b.WriteString(joinAttrs(r.Path, ";"))
	if len(r.Query) > 0 {
		b.WriteByte('?')
		b.WriteString(joinAttrs(r.Query, "&"))
	}
	return b.String()
}

func joinAttrs(m map[string]string, sep string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + escapeAttr(m[k])
	}
	return strings.Join(parts, sep)
}

func escapeAttr(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || strings.IndexByte("-._~:/@!$'()*+,", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
