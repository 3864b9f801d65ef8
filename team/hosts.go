package team

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/signer/bls"
)

// Host is one machine of the producer: its name, its role (producer,
// claimer, primary, backup, ...), the block-signing key its nodeos signs
// with and the Savanna finalizer keys it votes with. Keys whose entry says
// host: NAME sit on it unattended: nobody approves each signature. Only public keys: the finalizer
// private key lives in the host's nodeos configuration, never here.
//
//	hosts:
//	  - name: bp1
//	    role: primary
//	    block_key: PUB_K1_...
//	    finalizer_keys: [PUB_BLS_...]
//	  - name: bp2
//	    role: backup
//	    block_key: PUB_R1_...
//	    finalizer_keys: [PUB_BLS_...]
type Host struct {
	Name          string            `json:"name"`
	Role          string            `json:"role,omitempty"`
	BlockKey      *signer.PublicKey `json:"block_key,omitempty"`
	FinalizerKeys []bls.PublicKey   `json:"finalizer_keys,omitempty"`
	Line          int               `json:"-"`
}

type rawHost struct {
	Name          string   `yaml:"name"`
	Role          string   `yaml:"role"`
	BlockKey      string   `yaml:"block_key"`
	FinalizerKeys []string `yaml:"finalizer_keys"`
}

// parseHosts checks the hosts entries: a unique name each, valid keys.
// A finalizer key listed on two hosts is not refused here: the policy
// check reports it (two nodes voting with one key is double voting).
func parseHosts(doc *yaml.Node, raw []rawHost) ([]Host, error) {
	lines := itemLines(doc, "hosts")
	seen := map[string]bool{}
	var out []Host
	for i, rh := range raw {
		line := at(lines, i)
		h := Host{Name: strings.TrimSpace(rh.Name), Role: strings.TrimSpace(rh.Role), Line: line}
		if h.Name == "" {
			return nil, fmt.Errorf("line %d: hosts[%d] has no name", line, i)
		}
		if seen[h.Name] {
			return nil, fmt.Errorf("line %d: host %q appears twice", line, h.Name)
		}
		seen[h.Name] = true
		if s := strings.TrimSpace(rh.BlockKey); s != "" {
			k, err := signer.ParsePublicKey(s)
			if err != nil {
				return nil, fmt.Errorf("line %d: host %s: block_key: %w", line, h.Name, err)
			}
			h.BlockKey = &k
		}
		for j, s := range rh.FinalizerKeys {
			k, err := bls.ParsePublicKey(strings.TrimSpace(s))
			if err != nil {
				return nil, fmt.Errorf("line %d: host %s: finalizer_keys[%d]: %w", line, h.Name, j, err)
			}
			h.FinalizerKeys = append(h.FinalizerKeys, k)
		}
		out = append(out, h)
	}
	return out, nil
}

// Host returns the host named name.
func (t *Team) Host(name string) (Host, bool) {
	for _, h := range t.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}

// HostsOfFinalizerKey lists the hosts whose finalizer_keys include k.
func (t *Team) HostsOfFinalizerKey(k bls.PublicKey) []string {
	var out []string
	for _, h := range t.Hosts {
		for _, fk := range h.FinalizerKeys {
			if fk.Equal(k) {
				out = append(out, h.Name)
			}
		}
	}
	return out
}
