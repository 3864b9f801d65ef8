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
	if err == nil {
		tmp := path + ".tmp"
		if err = os.WriteFile(tmp, b, 0o600); err == nil {
			err = os.Rename(tmp, path)
		}
	}
	if err != nil {
		a.info("warning: keeping endpoint health for the next run: %v", err)
	}
}
