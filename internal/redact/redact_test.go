package redact

import (
	"strings"
	"testing"
)

func TestKindAndQuote(t *testing.T) {
	for _, tc := range []struct {
		in     string
		secret bool
	}{
		{"5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3", true},  // WIF
		{"5KQwrPbwdL6PhXujxW37SSQZ1JiwsST4cqQzDeyXtP79zkvFD3", true},   // one missing
		{"5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3x", true}, // one added
		{"pvt_k1_2bfgi9rysxqsxxtvjbdaphhlquojjanlomdm3cej1xtzmqut3v", true},
		{strings.Repeat("ab", 32), true},
		{"482913", true},
		{"482913@active", true},
		{"env:123456", true},
		{"PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63", false},
		{"alice@active", false},
		{"bpteam111111", false},
		{"fd:3", false},
	} {
		if got := Kind(tc.in) != ""; got != tc.secret {
			t.Errorf("Kind(%q) secret = %v, want %v", tc.in, got, tc.secret)
		}
		q := Quote(tc.in)
		if tc.secret && strings.Contains(q, tc.in[:4]) && len(tc.in) > 6 {
			t.Errorf("Quote(%q) = %s repeats it", tc.in, q)
		}
	}
}

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://op:s3cretpass@node.example:443/": "https://***@node.example:443/",
		"http://127.0.0.1:8888":                   "http://127.0.0.1:8888",
		"https://node.example/?token=abcdef":      "https://node.example/?***",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
	if got := URL("ftp//op:s3cretpass@x"); strings.Contains(got, "s3cret") {
		t.Errorf("unparsable URL repeated: %s", got)
	}
}

func TestYAMLError(t *testing.T) {
	got := YAMLError("line 3: cannot unmarshal !!str `5KQwrPb...` into bool")
	if strings.Contains(got, "5KQ") || !strings.Contains(got, "line 3") {
		t.Fatal(got)
	}
}
