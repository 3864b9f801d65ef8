package policies

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/internal/inputfile"
	"github.com/bpkeys/bpkeys/internal/redact"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
)

// Names of the policy file's rules.
const (
	RuleMinThreshold   = "min-threshold"
	RuleMinHolders     = "min-holders"
	RuleHardwareOnly   = "hardware-only"
	RuleAttestation    = "attestation-required"
	RuleAllowedLinks   = "allowed-links"
	RuleSharedKey      = "no-shared-keys"
	RuleSinglePerson   = "no-single-person"
	RuleDrift          = "drift"
	RuleMissingPerm    = "missing-permission"
	RuleNeedsTeamFile  = "needs-team-file"
	RuleUndesiredExtra = "not-in-desired-tree"
)

// Rule is what the policy file asks of one permission ("*": of every
// permission).
type Rule struct {
	// MinThreshold is the lowest threshold allowed.
	MinThreshold uint32 `yaml:"min_threshold"`
	// MinHolders is how many distinct people (team members) at least must
	// act together to satisfy the permission.
	MinHolders int `yaml:"min_holders"`
	// HardwareOnly requires every key to be a hardware key in the team file.
	HardwareOnly bool `yaml:"hardware_only"`
	// AttestationRequired requires every key to have an attestation
	// certificate in the team file.
	AttestationRequired bool `yaml:"attestation_required"`
	// AllowedLinks, when given, are the only actions (contract::action)
	// that may be linked to the permission.
	AllowedLinks []string `yaml:"allowed_links"`
	// NoSinglePerson refuses a permission one person can satisfy alone.
	NoSinglePerson bool `yaml:"no_single_person"`
}

// DesiredKey is a key of a desired permission.
type DesiredKey struct {
	Key    string `yaml:"key"`
	Weight uint16 `yaml:"weight"`
}

// DesiredAccount is an account level of a desired permission.
type DesiredAccount struct {
	Level  string `yaml:"level"`
	Weight uint16 `yaml:"weight"`
}

// DesiredPermission is one permission of the desired tree.
type DesiredPermission struct {
	Permission string           `yaml:"permission"`
	Parent     string           `yaml:"parent"`
	Threshold  uint32           `yaml:"threshold"`
	Keys       []DesiredKey     `yaml:"keys"`
	Accounts   []DesiredAccount `yaml:"accounts"`
	Links      []string         `yaml:"links"`
}

// Policy is a parsed policy file (policy.yaml):
//
//	permissions:
//	  owner:
//	    min_threshold: 2
//	    min_holders: 2
//	    hardware_only: true
//	  claim:
//	    allowed_links: [eosio::claimrewards, eosio.bpay::claimrewards]
//	  "*":
//	    no_single_person: false
//	no_shared_keys:
//	  - [owner, active]
//	allow_contract_wide_links: [eosio.token]
//	require_team_file: true
//	desired:
//	  - permission: owner
//	    threshold: 2
//	    keys: [{key: PUB_R1_..., weight: 1}, ...]
type Policy struct {
	Permissions map[string]Rule `yaml:"permissions"`
	// NoSharedKeys lists groups of permissions that must not share a key.
	NoSharedKeys [][]string `yaml:"no_shared_keys"`
	// Desired is the tree the account should have: any difference is drift.
	Desired []DesiredPermission `yaml:"desired"`
	// AllowContractWideLinks lists the contracts among eosio, eosio.token,
	// eosio.msig and the account itself whose contract-wide links
	// (contract::*) are allowed; the built-in rules refuse them otherwise.
	AllowContractWideLinks []string `yaml:"allow_contract_wide_links"`
	// RequireTeamFile turns the no-team-file warning into an error.
	RequireTeamFile bool `yaml:"require_team_file"`

	desired *permissions.Account
}

// Load reads and parses a policy file.
func Load(path string) (*Policy, error) {
	b, err := inputfile.Read(path, "policy file", inputfile.MaxPolicy)
	if err != nil {
		return nil, err
	}
	p, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	return p, nil
}

// Parse reads a policy file strictly: unknown fields, invalid permission
// names, keys, levels and actions are errors with their line; a private key
// anywhere is refused with signer.ErrPrivateKey.
func Parse(b []byte) (*Policy, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, cleanYAML(err)
	}
	if err := refusePrivate(&doc); err != nil {
		return nil, err
	}
	var p Policy
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return &p, nil // an empty policy: built-in rules only
		}
		return nil, cleanYAML(err)
	}
	for name, r := range p.Permissions {
		if name != "*" {
			if _, err := permissions.ParseLevel("x@" + name); err != nil {
				return nil, fmt.Errorf("permissions: %s is not a valid permission name (up to 12 characters a-z, 1-5 and '.')", redact.Quote(name))
			}
		}
		for _, l := range r.AllowedLinks {
			if _, err := permissions.ParseLink(l); err != nil {
				return nil, fmt.Errorf("permissions.%s.allowed_links: %w", name, err)
			}
		}
		if r.MinHolders < 0 {
			return nil, fmt.Errorf("permissions.%s.min_holders: %d is negative", name, r.MinHolders)
		}
	}
	for _, c := range p.AllowContractWideLinks {
		if _, err := contracts.NameValue(c); err != nil || c == "" {
			return nil, fmt.Errorf("allow_contract_wide_links: %q is not a valid contract account name", c)
		}
	}
	for i, g := range p.NoSharedKeys {
		if len(g) < 2 {
			return nil, fmt.Errorf("no_shared_keys[%d]: name at least two permissions", i)
		}
		for _, name := range g {
			if _, err := permissions.ParseLevel("x@" + name); err != nil {
				return nil, fmt.Errorf("no_shared_keys[%d]: %s is not a valid permission name (up to 12 characters a-z, 1-5 and '.')", i, redact.Quote(name))
			}
		}
	}
	if len(p.Desired) > 0 {
		d, err := desiredAccount(p.Desired)
		if err != nil {
			return nil, fmt.Errorf("desired: %w", err)
		}
		p.desired = d
	}
	return &p, nil
}

func desiredAccount(ds []DesiredPermission) (*permissions.Account, error) {
	a := &permissions.Account{Name: "desired"}
	for i, d := range ds {
		if d.Permission == "" {
			return nil, fmt.Errorf("entry %d has no permission name", i)
		}
		for _, n := range []string{d.Permission, d.Parent} {
			if _, err := permissions.ParseLevel("x@" + n); n != "" && err != nil {
				return nil, fmt.Errorf("entry %d: %s is not a valid permission name (up to 12 characters a-z, 1-5 and '.')", i, redact.Quote(n))
			}
		}
		parent := d.Parent
		if parent == "" && d.Permission != permissions.Owner {
			parent = permissions.Active
			if d.Permission == permissions.Active {
				parent = permissions.Owner
			}
		}
		p := permissions.Permission{Name: d.Permission, Parent: parent, Auth: permissions.Authority{Threshold: d.Threshold}, Links: []permissions.Link{}}
		for _, k := range d.Keys {
			pk, err := signer.ParsePublicKey(k.Key)
			if err != nil {
				return nil, fmt.Errorf("%s: key: %w", d.Permission, err)
			}
			p.Auth.Keys = append(p.Auth.Keys, permissions.KeyWeight{Key: pk, Weight: max(k.Weight, 1)})
		}
		for _, l := range d.Accounts {
			lv, err := permissions.ParseLevel(l.Level)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", d.Permission, err)
			}
			p.Auth.Accounts = append(p.Auth.Accounts, permissions.AccountWeight{Permission: lv, Weight: max(l.Weight, 1)})
		}
		for _, s := range d.Links {
			l, err := permissions.ParseLink(s)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", d.Permission, err)
			}
			p.Links = append(p.Links, l)
		}
		a.Permissions = append(a.Permissions, p)
	}
	if err := a.Check(); err != nil {
		return nil, err
	}
	a.Normalize()
	for _, p := range a.Permissions {
		if err := p.Auth.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
	}
	return a, nil
}

func cleanYAML(err error) error {
	s := strings.TrimPrefix(redact.YAMLError(err.Error()), "yaml: ")
	s = strings.ReplaceAll(s, "unmarshal errors:\n  ", "")
	for _, t := range []string{"policies.Policy", "policies.Rule", "policies.DesiredPermission", "policies.DesiredKey", "policies.DesiredAccount"} {
		s = strings.ReplaceAll(s, " in type "+t, "")
	}
	return errors.New(strings.TrimSpace(s))
}

func refusePrivate(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		v := strings.TrimSpace(n.Value)
		if _, err := signer.ParsePublicKey(v); errors.Is(err, signer.ErrPrivateKey) {
			return fmt.Errorf("line %d: %w", n.Line, signer.ErrPrivateKey)
		}
	}
	for _, c := range n.Content {
		if err := refusePrivate(c); err != nil {
			return err
		}
	}
	return nil
}

func perr(rule, perm, format string, args ...any) Finding {
	return Finding{Severity: permissions.SeverityError, Rule: rule, Permission: perm, Message: fmt.Sprintf(format, args...)}
}

// rulesFor merges the "*" rule with the permission's own.
func (p *Policy) rulesFor(name string) (Rule, bool) {
	r, ok := p.Permissions[name]
	all, okAll := p.Permissions["*"]
	if !ok && !okAll {
		return Rule{}, false
	}
	if !ok {
		return all, true
	}
	if okAll {
		r.MinThreshold = max(r.MinThreshold, all.MinThreshold)
		r.MinHolders = max(r.MinHolders, all.MinHolders)
		r.HardwareOnly = r.HardwareOnly || all.HardwareOnly
		r.AttestationRequired = r.AttestationRequired || all.AttestationRequired
		r.NoSinglePerson = r.NoSinglePerson || all.NoSinglePerson
		if r.AllowedLinks == nil {
			r.AllowedLinks = all.AllowedLinks
		}
	}
	return r, true
}

// Check applies the policy file's rules to the state of account in w.
// Rules about holders, hardware and attestation need the team file: without
// one they are reported as unverifiable.
func (p *Policy) Check(w *permissions.World, account string, t *team.Team) []Finding {
	a := w.Account(account)
	if a == nil {
		return []Finding{perr(RuleMissingPerm, "", "account %s is not loaded", account)}
	}
	var out []Finding
	names := make([]string, 0, len(p.Permissions))
	for n := range p.Permissions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n != "*" && a.Perm(n) == nil {
			out = append(out, perr(RuleMissingPerm, n, "the policy has rules for %s, which %s does not have", n, account))
		}
	}
	for _, perm := range a.Permissions {
		r, ok := p.rulesFor(perm.Name)
		if !ok {
			continue
		}
		out = append(out, p.checkPerm(w, account, &perm, r, t)...)
	}
	for _, g := range p.NoSharedKeys {
		owners := map[signer.PublicKey][]string{}
		for _, name := range g {
			q := a.Perm(name)
			if q == nil {
				continue
			}
			for _, k := range q.Auth.Keys {
				if k.Unsupported == "" && !slices.Contains(owners[k.Key], name) {
					owners[k.Key] = append(owners[k.Key], name)
				}
			}
		}
		keys := make([]signer.PublicKey, 0, len(owners))
		for k := range owners {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, signer.Compare)
		for _, k := range keys {
			if ps := owners[k]; len(ps) > 1 {
				out = append(out, perr(RuleSharedKey, ps[0], "key %s is in %s: the policy says these permissions must not share keys", k.String(), strings.Join(ps, " and ")))
			}
		}
	}
	if p.desired != nil {
		out = append(out, drift(p.desired, a)...)
	}
	return out
}

func (p *Policy) checkPerm(w *permissions.World, account string, perm *permissions.Permission, r Rule, t *team.Team) []Finding {
	var out []Finding
	name := perm.Name
	if r.MinThreshold > 0 && perm.Auth.Threshold < r.MinThreshold {
		out = append(out, perr(RuleMinThreshold, name, "%s has threshold %d; the policy asks for at least %d", name, perm.Auth.Threshold, r.MinThreshold))
	}
	if r.AllowedLinks != nil {
		for _, l := range perm.Links {
			if !slices.Contains(r.AllowedLinks, l.String()) && !(l.Action == "" && slices.Contains(r.AllowedLinks, l.Contract+"::")) {
				out = append(out, perr(RuleAllowedLinks, name, "%s is linked to %s, which the policy does not allow (allowed: %s)", name, l, strings.Join(r.AllowedLinks, ", ")))
			}
		}
	}
	needTeam := r.HardwareOnly || r.AttestationRequired || r.MinHolders > 0 || r.NoSinglePerson
	if needTeam && t == nil {
		out = append(out, perr(RuleNeedsTeamFile, name, "the policy's rules for %s (holders, hardware, attestation) need the team file: give --team", name))
		return out
	}
	for _, k := range perm.Auth.Keys {
		if k.Unsupported != "" {
			if r.HardwareOnly || r.AttestationRequired {
				out = append(out, perr(RuleHardwareOnly, name, "%s has a key bpkeys cannot check (%s)", name, k.Unsupported))
			}
			continue
		}
		if r.HardwareOnly && !t.IsHardware(k.Key) {
			out = append(out, perr(RuleHardwareOnly, name, "key %s of %s (%s) is not a hardware key in the team file; the policy asks for hardware keys only", k.Key.String(), name, t.Label(k.Key)))
		}
		if r.AttestationRequired && !t.HasAttestation(k.Key) {
			out = append(out, perr(RuleAttestation, name, "key %s of %s (%s) has no attestation certificate in the team file; the policy requires one", k.Key.String(), name, t.Label(k.Key)))
		}
	}
	if r.MinHolders > 0 || r.NoSinglePerson {
		sets, _ := w.MinimalHolderSets(permissions.Level{Actor: account, Permission: name}, t.Holder, 0)
		smallest := -1
		var who []string
		for _, s := range sets {
			if smallest < 0 || len(s) < smallest {
				smallest, who = len(s), s
			}
		}
		if smallest >= 0 && r.MinHolders > 0 && smallest < r.MinHolders {
			out = append(out, perr(RuleMinHolders, name, "%s can be satisfied by %d holder(s) (%s); the policy asks that at least %d act together", name, smallest, strings.Join(who, ", "), r.MinHolders))
		}
		if smallest == 1 && r.NoSinglePerson {
			out = append(out, perr(RuleSinglePerson, name, "%s can be satisfied by %s alone; the policy says no single person may hold it", name, who[0]))
		}
	}
	return out
}

// drift compares the desired tree with the actual one.
func drift(want, got *permissions.Account) []Finding {
	var out []Finding
	for _, d := range want.Permissions {
		g := got.Perm(d.Name)
		if g == nil {
			out = append(out, perr(RuleDrift, d.Name, "the desired tree has %s, which the account does not have", d.Name))
			continue
		}
		if g.Parent != d.Parent {
			out = append(out, perr(RuleDrift, d.Name, "%s is under %s; the desired tree has it under %s", d.Name, g.Parent, d.Parent))
		}
		if !g.Auth.Equal(d.Auth) {
			out = append(out, perr(RuleDrift, d.Name, "%s's authority differs from the desired tree: %s", d.Name, strings.Join(authDiff(d.Auth, g.Auth), "; ")))
		}
		var wl, gl []string
		for _, l := range d.Links {
			wl = append(wl, l.String())
		}
		for _, l := range g.Links {
			gl = append(gl, l.String())
		}
		slices.Sort(wl)
		slices.Sort(gl)
		if !slices.Equal(wl, gl) {
			out = append(out, perr(RuleDrift, d.Name, "%s is linked to [%s]; the desired tree links [%s]", d.Name, strings.Join(gl, ", "), strings.Join(wl, ", ")))
		}
	}
	for _, g := range got.Permissions {
		if want.Perm(g.Name) == nil {
			out = append(out, perr(RuleUndesiredExtra, g.Name, "%s exists but is not in the desired tree", g.Name))
		}
	}
	return out
}

func authDiff(want, got permissions.Authority) []string {
	var out []string
	if want.Threshold != got.Threshold {
		out = append(out, fmt.Sprintf("threshold %d, desired %d", got.Threshold, want.Threshold))
	}
	for _, k := range got.Keys {
		if !slices.Contains(want.Keys, k) {
			out = append(out, fmt.Sprintf("extra key %s weight %d", k, k.Weight))
		}
	}
	for _, k := range want.Keys {
		if !slices.Contains(got.Keys, k) {
			out = append(out, fmt.Sprintf("missing key %s weight %d", k, k.Weight))
		}
	}
	for _, l := range got.Accounts {
		if !slices.Contains(want.Accounts, l) {
			out = append(out, fmt.Sprintf("extra account %s weight %d", l.Permission, l.Weight))
		}
	}
	for _, l := range want.Accounts {
		if !slices.Contains(got.Accounts, l) {
			out = append(out, fmt.Sprintf("missing account %s weight %d", l.Permission, l.Weight))
		}
	}
	if len(out) == 0 {
		out = append(out, "waits differ")
	}
	return out
}
