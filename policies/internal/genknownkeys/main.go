// Command genknownkeys writes policies/knownkeys.txt: the public keys
// anyone can sign with because their private keys are public. It is run by
// go generate in package policies and by its test (which checks the file is
// current); bpkeys itself only reads the public keys it writes.
//
// The list: the keys of private scalars 1..1000 on K1 and R1, and keys whose
// private keys are published in Antelope documentation and test suites.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/bpkeys/bpkeys/policies/internal/knownkeys"
)

func main() {
	out := flag.String("o", "knownkeys.txt", "file to write")
	flag.Parse()
	text, err := knownkeys.Generate()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, []byte(text), 0o644); err != nil {
		log.Fatal(fmt.Errorf("writing %s: %w", *out, err))
	}
}
