package main

import (
	"fmt"
	"io"
	"os"
)

// maxInputFile bounds the files bpkeys reads (plans, actions, transactions).
const maxInputFile = 4 << 20

// readLimited reads a file of at most maxInputFile bytes.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxInputFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInputFile {
		return nil, fmt.Errorf("%s is larger than %d MiB: not a bpkeys file", path, maxInputFile>>20)
	}
	return b, nil
}
