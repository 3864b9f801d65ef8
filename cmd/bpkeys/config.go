package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/bpkeys/bpkeys/hsm/pkcs11"
	"github.com/bpkeys/bpkeys/internal/inputfile"
	"github.com/bpkeys/bpkeys/signer"
)

// config is config.yaml: defaults for what flags and the environment leave
// unset. It never holds a PIN or a key.
type config struct {
	URLs         []string `yaml:"urls"`
	ChainID      string   `yaml:"chain_id"`
	PKCS11Module string   `yaml:"pkcs11_module"`
	Team         string   `yaml:"team"`
	Journal      string   `yaml:"journal"`
}

// defaultConfigPath is $XDG_CONFIG_HOME/bpkeys/config.yaml, or
// ~/.config/bpkeys/config.yaml.
func defaultConfigPath() string {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "bpkeys", "config.yaml")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".config", "bpkeys", "config.yaml")
}

// parseConfig reads config.yaml strictly: unknown fields are errors with
// their line, and anything that looks like a PIN is refused.
func parseConfig(b []byte) (*config, error) {
	var probe map[string]any
	if err := yaml.Unmarshal(b, &probe); err != nil {
		return nil, err
	}
	for k := range probe {
		if strings.Contains(strings.ToLower(k), "pin") && k != "pkcs11_module" {
			return nil, fmt.Errorf("field %q: a PIN never goes in bpkeys' files; use pin-source=env:NAME, file:PATH or fd:N in the key reference", k)
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var c config
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w (valid fields: urls, chain_id, pkcs11_module, team, journal)", err)
	}
	if c.ChainID != "" {
		if _, err := signer.ParseChainID(c.ChainID); err != nil {
			return nil, fmt.Errorf("chain_id: %w", err)
		}
	}
	return &c, nil
}

// loadConfig applies the config file to the app: --config when given (it
// must exist), else the default path when it exists.
func (a *app) loadConfig() error {
	path, explicit := a.config, a.config != ""
	if !explicit {
		path = defaultConfigPath()
	}
	if path == "" {
		return nil
	}
	b, err := inputfile.Read(path, "config file", inputfile.MaxConfig)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return usageErr("config: %w", err)
	}
	c, err := parseConfig(b)
	if err != nil {
		return usageErr("config %s: %w", path, err)
	}
	if len(a.urls) == 0 && os.Getenv("BPKEYS_URL") == "" {
		a.urls = c.URLs
	}
	if a.chainID == "" {
		a.chainID = c.ChainID
	}
	if a.team == "" {
		a.team = c.Team
	}
	if a.journalPath == "" {
		a.journalPath = c.Journal
	}
	if c.PKCS11Module != "" && os.Getenv(pkcs11.ModuleEnv) == "" {
		os.Setenv(pkcs11.ModuleEnv, c.PKCS11Module)
	}
	return nil
}
