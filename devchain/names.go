package devchain

import "fmt"

// checkName validates a name field of a request as nodeos's name::set does
// (at most 13 characters, and the string must be the name's normalized
// form), answering 400 invalid_http_request like http_plugin's
// parse_params when it is not.
func checkName(s string) error {
	if len(s) > 13 {
		return invalidRequest(fmt.Sprintf("Name is longer than 13 characters (%s) ", s))
	}
	if n := normalizeName(s); n != s {
		return invalidRequest(fmt.Sprintf("Name not properly normalized (name: %s, normalized: %s) ", s, n))
	}
	return nil
}

// normalizeName is nameString(string_to_name(s)): characters outside
// .1-5a-z become '.', trailing dots are dropped.
func normalizeName(s string) string {
	sym := func(c byte) uint64 {
		switch {
		case c >= 'a' && c <= 'z':
			return uint64(c-'a') + 6
		case c >= '1' && c <= '5':
			return uint64(c-'1') + 1
		}
		return 0
	}
	var v uint64
	for i := 0; i < len(s) && i < 12; i++ {
		v |= (sym(s[i]) & 0x1f) << (64 - 5*(i+1))
	}
	if len(s) > 12 {
		v |= sym(s[12]) & 0x0f
	}
	return nameString(v)
}

// checkNames validates several name fields.
func checkNames(names ...string) error {
	for _, n := range names {
		if err := checkName(n); err != nil {
			return err
		}
	}
	return nil
}
