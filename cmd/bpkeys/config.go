package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
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

// configFields are config.yaml's fields, in the order docs/config.md
// lists them.
var configFields = []string{"urls", "chain_id", "pkcs11_module", "team", "journal"}

// parseConfig reads config.yaml strictly: an unknown field is an error
// naming its line and the nearest valid field, and anything that looks
// like a PIN is refused (its value never echoed). urls takes one URL or a
// list.
func parseConfig(b []byte) (*config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %s", yamlReason(err))
	}
	var c config
	if len(doc.Content) == 0 {
		return &c, nil // empty file
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: expected fields such as \"urls: http://127.0.0.1:8888\" (valid fields: %s)", m.Line, strings.Join(configFields, ", "))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		name := k.Value
		if strings.Contains(strings.ToLower(name), "pin") && name != "pkcs11_module" {
			return nil, fmt.Errorf("line %d: field %q: a PIN never goes in bpkeys' files; use pin-source=env:NAME, file:PATH or fd:N in the key reference", k.Line, name)
		}
		if seen[name] {
			return nil, fmt.Errorf("line %d: field %q given twice", k.Line, name)
		}
		seen[name] = true
		var err error
		switch name {
		case "urls":
			c.URLs, err = yamlStrings(v)
		case "chain_id":
			c.ChainID, err = yamlString(v)
		case "pkcs11_module":
			c.PKCS11Module, err = yamlString(v)
		case "team":
			c.Team, err = yamlString(v)
		case "journal":
			c.Journal, err = yamlString(v)
		default:
			return nil, fmt.Errorf("line %d: unknown field %q%s (valid fields: %s)", k.Line, name, nearestField(name), strings.Join(configFields, ", "))
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", v.Line, name, err)
		}
	}
	if c.ChainID != "" {
		if _, err := signer.ParseChainID(c.ChainID); err != nil {
			return nil, fmt.Errorf("chain_id: %w", err)
		}
	}
	return &c, nil
}

// yamlString reads a scalar as text.
func yamlString(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", errors.New("expected one value, not a list or a map")
	}
	return n.Value, nil
}

// yamlStrings reads one value or a list of values.
func yamlStrings(n *yaml.Node) ([]string, error) {
	if n.Kind == yaml.ScalarNode {
		if n.Value == "" {
			return nil, nil
		}
		return []string{n.Value}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errors.New("expected a URL or a list of URLs")
	}
	var out []string
	for _, e := range n.Content {
		if e.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: expected a URL", e.Line)
		}
		out = append(out, e.Value)
	}
	return out, nil
}

// nearestField suggests the valid field closest to a misspelt one.
func nearestField(name string) string {
	n := strings.ToLower(strings.ReplaceAll(name, "-", "_"))
	for _, f := range configFields {
		if strings.HasPrefix(f, n) || strings.HasPrefix(n, f) || editDistance(n, f) <= 2 {
			return fmt.Sprintf("; did you mean %q?", f)
		}
	}
	return ""
}

// editDistance is the Levenshtein distance of two short words.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// yamlReason is a YAML syntax error without the library's prefix.
func yamlReason(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// configPath is the file loadConfig reads: --config when given (explicit,
// it must exist), else the default path.
func (a *app) configPath() (path string, explicit bool) {
	if a.config != "" {
		return a.config, true
	}
	return defaultConfigPath(), false
}

// resolveConfigPath makes a path from the config file absolute: ~ is the
// home directory, and a relative path is relative to the config file's
// directory, not to wherever bpkeys happens to run.
func resolveConfigPath(p, configDir string) (string, error) {
	if p == "" {
		return "", nil
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("expanding ~ in %q: %w", p, err)
		}
		return filepath.Join(home, p[1:]), nil
	}
	if filepath.IsAbs(p) {
		return p, nil
	}
	return filepath.Join(configDir, p), nil
}

// readConfig reads and checks the config file, with its paths resolved.
// found is false when there is none at the default path.
func (a *app) readConfig() (c *config, path string, found bool, err error) {
	path, explicit := a.configPath()
	if path == "" {
		return nil, "", false, nil
	}
	b, err := inputfile.Read(path, "config file", inputfile.MaxConfig)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return nil, path, false, nil
		}
		return nil, path, false, usageErr("config: %w", err)
	}
	if c, err = parseConfig(b); err != nil {
		return nil, path, true, usageErr("config %s: %w (fields and an example: docs/config.md)", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, path, true, fmt.Errorf("config %s: %w", path, err)
	}
	dir := filepath.Dir(abs)
	if c.Team, err = resolveConfigPath(c.Team, dir); err == nil {
		c.Journal, err = resolveConfigPath(c.Journal, dir)
	}
	if err == nil && (strings.ContainsRune(c.PKCS11Module, '/') || strings.HasPrefix(c.PKCS11Module, "~")) {
		// a bare library name is left to the loader's search path
		c.PKCS11Module, err = resolveConfigPath(c.PKCS11Module, dir)
	}
	if err != nil {
		return nil, path, true, usageErr("config %s: %w", path, err)
	}
	return c, path, true, nil
}

// needsConfig is false for the commands that must work whatever the config
// says: version, help, shell completion, and config check (which reads it
// itself, to report on it).
func needsConfig(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		switch c.Name() {
		case "version", "help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
			return false
		case "check":
			if c.Parent() != nil && c.Parent().Name() == "config" {
				return false
			}
		}
	}
	return true
}

// loadConfigFor loads the config unless cmd works without it.
func (a *app) loadConfigFor(cmd *cobra.Command) error {
	if !needsConfig(cmd) {
		return nil
	}
	return a.loadConfig()
}

// loadConfig applies the config file to the app: --config when given (it
// must exist), else the default path when it exists.
func (a *app) loadConfig() error {
	c, _, found, err := a.readConfig()
	if err != nil || !found {
		return err
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
