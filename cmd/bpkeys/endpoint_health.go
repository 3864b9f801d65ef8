package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/internal/inputfile"
)

// endpointHealthFile keeps, between claim runs, which endpoints did not
// answer, so that a cron claim does not wait on a hung endpoint each time.
func endpointHealthFile(account string) string {
	return filepath.Join(stateDir(), "endpoints-"+account+".json")
}

// loadEndpointHealth reads what an earlier run learned; a missing or
// unreadable file is a fresh start (it only orders endpoints), reported.
func (a *app) loadEndpointHealth(path string) []chain.EndpointHealth {
	b, err := inputfile.Read(path, "endpoint health file", inputfile.MaxState)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var hs []chain.EndpointHealth
	if err == nil {
		err = json.Unmarshal(b, &hs)
	}
	if err != nil {
		a.info("warning: %v (endpoints are tried in the given order)", err)
		return nil
	}
	return hs
}

// saveEndpointHealth writes what this run learned, atomically.
func (a *app) saveEndpointHealth(path string, hs []chain.EndpointHealth) {
	b, err := json.Marshal(hs)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(path), 0o700)
	}
	var tmp *os.File
	if err == nil {
		tmp, err = os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	}
	if err == nil {
		_, err = tmp.Write(b)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		os.Remove(tmp.Name())
	}
	if err != nil {
		a.info("warning: keeping endpoint health for the next run: %v", err)
	}
}
