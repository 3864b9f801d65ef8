package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
)

// configReport is what bpkeys config check found (--json).
type configReport struct {
	Path         string   `json:"path"`
	Found        bool     `json:"found"`
	URLs         []string `json:"urls"`
	ChainID      string   `json:"chain_id,omitempty"`
	PKCS11Module string   `json:"pkcs11_module,omitempty"`
	Team         string   `json:"team,omitempty"`
	Journal      string   `json:"journal,omitempty"`
	Problems     []string `json:"problems"`
}

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check the config file (fields: docs/config.md)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Read the config file, resolve its paths and check every field (exit 2 when it is invalid, 1 when a file it names is not usable)",
		Long: `Read config.yaml (--config FILE, else $XDG_CONFIG_HOME/bpkeys/config.yaml) as every command does,
then check what it names: the URLs, the chain id, the PKCS#11 module, the team file (parsed) and the
journal's directory. Relative paths in the file are relative to the file's own directory; ~ is the home
directory. docs/config.md lists every field.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return a.configCheck() },
	})
	return cmd
}

func (a *app) configCheck() error {
	c, path, found, err := a.readConfig()
	if err != nil {
		return err
	}
	r := configReport{Path: path, Found: found, URLs: []string{}, Problems: []string{}}
	if found {
		r.URLs, r.ChainID, r.PKCS11Module, r.Team, r.Journal = c.URLs, c.ChainID, c.PKCS11Module, c.Team, c.Journal
		if r.URLs == nil {
			r.URLs = []string{}
		}
		r.Problems = configProblems(c)
	}
	if a.json {
		if err := a.printJSON(r); err != nil {
			return err
		}
	} else {
		printConfigReport(a, r)
	}
	if len(r.Problems) > 0 {
		return withCode(exitFailed, fmt.Errorf("config %s: %d problem%s", path, len(r.Problems), plural(len(r.Problems))))
	}
	return nil
}

// configProblems checks what a parsed config names.
func configProblems(c *config) []string {
	var out []string
	for _, u := range c.URLs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			out = append(out, fmt.Sprintf("urls: %q is not an http:// or https:// URL", u))
		}
	}
	if c.ChainID != "" {
		if _, err := signer.ParseChainID(c.ChainID); err != nil {
			out = append(out, "chain_id: "+err.Error())
		}
	}
	if m := c.PKCS11Module; strings.ContainsRune(m, '/') {
		if _, err := os.Stat(m); err != nil {
			out = append(out, fmt.Sprintf("pkcs11_module: %v", err))
		}
	}
	if c.Team != "" {
		if _, err := team.Load(c.Team); err != nil {
			out = append(out, "team: "+err.Error())
		}
	}
	if c.Journal != "" {
		if st, err := os.Stat(filepath.Dir(c.Journal)); err != nil {
			out = append(out, fmt.Sprintf("journal: its directory: %v (bpkeys creates the file, not the directory)", err))
		} else if !st.IsDir() {
			out = append(out, fmt.Sprintf("journal: %s is not a directory", filepath.Dir(c.Journal)))
		}
	}
	return out
}

func printConfigReport(a *app, r configReport) {
	if !r.Found {
		a.out("no config file at %s: bpkeys uses its flags and environment only", r.Path)
		a.out("(every field, with an example file: docs/config.md)")
		return
	}
	a.out("config %s", r.Path)
	show := func(field, v string) {
		if v == "" {
			v = "(not set)"
		}
		a.out("  %-14s %s", field, v)
	}
	show("urls", strings.Join(r.URLs, ", "))
	show("chain_id", r.ChainID)
	show("pkcs11_module", r.PKCS11Module)
	show("team", r.Team)
	show("journal", r.Journal)
	if len(r.Problems) == 0 {
		a.out("ok")
		return
	}
	for _, p := range r.Problems {
		a.out("✗ %s", p)
	}
}
