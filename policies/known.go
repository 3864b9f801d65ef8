package policies

//go:generate go run ./internal/genknownkeys -o knownkeys.txt

import (
	_ "embed"
	"strings"
	"sync"

	"github.com/bpkeys/bpkeys/signer"
)

//go:embed knownkeys.txt
var knownKeysText string

var knownKeys = sync.OnceValue(func() map[signer.PublicKey]string {
	out := map[signer.PublicKey]string{}
	for _, line := range strings.Split(knownKeysText, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, why, _ := strings.Cut(line, " ")
		k, err := signer.ParsePublicKey(key)
		if err != nil {
			panic("policies: knownkeys.txt: " + err.Error()) // generated file: a test checks it
		}
		out[k] = why
	}
	return out
})

// KnownKey reports whether k is a publicly known key (its private key is
// published: the EOSIO tutorial key, the keys of private keys 1..1000,
// test vectors of Antelope's suites) and says why.
func KnownKey(k signer.PublicKey) (why string, known bool) {
	why, known = knownKeys()[k]
	return why, known
}

// KnownKeyCount is how many publicly known keys are listed.
func KnownKeyCount() int { return len(knownKeys()) }
