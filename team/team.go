// Package team reads the team file (team.yaml): who is on the producer
// team, which public key each of them holds, on which device, whether the
// device is hardware, and its attestation certificate. bpkeys uses it to
// label keys ("alice's YubiKey 12345678 slot 9c"), to flag keys nobody
// holds, and to check that the team can still satisfy its permissions.
//
// The file holds public information only: a private key anywhere in it is
// refused with signer.ErrPrivateKey.
//
//	members:
//	  - name: alice
//	    contact: alice@example.org
//	    account: alice@active
//	hosts:
//	  - name: bp1
//	    role: producer
//	keys:
//	  - key: PUB_R1_6EPHFSKVYHBjQgxVGQPrwCxTg7BbZ69H9i4gztN9deKTEXYne4
//	    holder: alice
//	    device: yubikey:serial=12345678;slot=9c
//	    hardware: true
//	    attestation: |
//	      -----BEGIN CERTIFICATE-----
//	      ...
//	  - key: PUB_K1_...
//	    host: bp1
//	    device: pkcs11:token=bp-hsm;object=claim
//	    hardware: true
//
// A key is held by a person (holder), sits unattended on a machine (host),
// or is unheld (neither). A member's account level (account:) is
// controlled by that member: the safety rules count it as the member's
// without its keys being listed.
package team

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/internal/inputfile"
	"github.com/bpkeys/bpkeys/internal/redact"
	"github.com/bpkeys/bpkeys/signer"
)

// Member is one person of the team.
type Member struct {
	Name    string `yaml:"name" json:"name"`
	Contact string `yaml:"contact,omitempty" json:"contact,omitempty"`
	// Account is the member's account level on chain (alice@active), whose
	// approval a proposal requests when the member's key sits directly in
	// an authority.
	Account string `yaml:"account,omitempty" json:"account,omitempty"`
}

// Key is one public key and who holds it: a member (Holder), a machine
// (Host), or nobody (both empty).
type Key struct {
	Key    signer.PublicKey `json:"key"`
	Holder string           `json:"holder,omitempty"`
	// Host is the machine the key sits on unattended.
	Host string `json:"host,omitempty"`
	// Device is the key reference as written (yubikey:... or pkcs11:...);
	// Ref is it parsed (zero when Device is empty).
	Device   string     `json:"device,omitempty"`
	Ref      signer.Ref `json:"-"`
	Hardware bool       `json:"hardware"`
	// Attestation is the PEM attestation certificate, if any.
	Attestation string `json:"attestation,omitempty"`
	// Line is where the entry starts in the file.
	Line int `json:"-"`
}

// Team is a parsed team file.
type Team struct {
	Members []Member `json:"members"`
	Hosts   []Host   `json:"hosts,omitempty"`
	Keys    []Key    `json:"keys"`
	byKey   map[signer.PublicKey]int
}

type rawFile struct {
	Members []Member  `yaml:"members"`
	Hosts   []rawHost `yaml:"hosts"`
	Keys    []rawKey  `yaml:"keys"`
}

type rawKey struct {
	Key         string `yaml:"key"`
	Holder      string `yaml:"holder"`
	Host        string `yaml:"host"`
	Device      string `yaml:"device"`
	Hardware    bool   `yaml:"hardware"`
	Attestation string `yaml:"attestation"`
}

// Load reads and parses a team file.
func Load(path string) (*Team, error) {
	b, err := inputfile.Read(path, "team file", inputfile.MaxTeam)
	if err != nil {
		return nil, err
	}
	t, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("team file %s: %w", path, err)
	}
	return t, nil
}

// Parse reads a team file strictly: unknown fields, duplicate keys,
// holders who are not members, invalid keys or device references and
// attestation certificates that do not match their key are errors with the
// line they are on. A private key anywhere is refused (signer.ErrPrivateKey)
// without being echoed.
func Parse(b []byte) (*Team, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w", cleanYAMLError(err))
	}
	if err := refusePrivate(&doc); err != nil {
		return nil, err
	}
	var raw rawFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty: it needs members and keys")
		}
		return nil, cleanYAMLError(err)
	}
	lines := itemLines(&doc, "keys")
	mlines := itemLines(&doc, "members")
	t := &Team{byKey: map[signer.PublicKey]int{}}
	names := map[string]bool{}
	for i, m := range raw.Members {
		line := at(mlines, i)
		m.Name = strings.TrimSpace(m.Name)
		if m.Name == "" {
			return nil, fmt.Errorf("line %d: members[%d] has no name", line, i)
		}
		if names[m.Name] {
			return nil, fmt.Errorf("line %d: member %s appears twice", line, redact.Quote(m.Name))
		}
		if m.Account != "" {
			actor, perm, ok := strings.Cut(strings.TrimSpace(m.Account), "@")
			if !ok || !validName(actor) || !validName(perm) {
				return nil, fmt.Errorf("line %d: member %s: account %s must be ACTOR@PERMISSION with chain names (up to 12 characters a-z, 1-5 and '.'), such as alice@active", line, redact.Quote(m.Name), redact.Quote(m.Account))
			}
			m.Account = actor + "@" + perm
		}
		names[m.Name] = true
		t.Members = append(t.Members, m)
	}
	hs, err := parseHosts(&doc, raw.Hosts)
	if err != nil {
		return nil, err
	}
	hosts := map[string]bool{}
	for _, h := range hs {
		if names[h.Name] {
			return nil, fmt.Errorf("line %d: host %q has the name of a member: give machines their own names", h.Line, h.Name)
		}
		hosts[h.Name] = true
	}
	t.Hosts = hs
	for i, rk := range raw.Keys {
		line := at(lines, i)
		k, err := signer.ParsePublicKey(rk.Key)
		if err != nil {
			return nil, fmt.Errorf("line %d: keys[%d].key: %w", line, i, err)
		}
		if j, dup := t.byKey[k]; dup {
			return nil, fmt.Errorf("line %d: key %s is listed twice (also at line %d)", line, k, t.Keys[j].Line)
		}
		rk.Holder, rk.Host = strings.TrimSpace(rk.Holder), strings.TrimSpace(rk.Host)
		switch {
		case rk.Holder != "" && rk.Host != "":
			return nil, fmt.Errorf("line %d: key %s has both a holder and a host: a key is held by a person or sits on a machine, not both", line, k)
		case rk.Holder != "" && !names[rk.Holder]:
			return nil, fmt.Errorf("line %d: key %s: holder %s is not one of the members", line, k, redact.Quote(rk.Holder))
		case rk.Host != "" && !hosts[rk.Host]:
			return nil, fmt.Errorf("line %d: key %s: host %s is not one of the hosts", line, k, redact.Quote(rk.Host))
		}
		key := Key{Key: k, Holder: rk.Holder, Host: rk.Host, Device: strings.TrimSpace(rk.Device), Hardware: rk.Hardware, Attestation: rk.Attestation, Line: line}
		if key.Device != "" {
			if key.Ref, err = signer.ParseRef(key.Device); err != nil {
				return nil, fmt.Errorf("line %d: key %s: device: %w", line, k, err)
			}
		}
		if strings.TrimSpace(rk.Attestation) != "" {
			if err := checkAttestation(k, rk.Attestation); err != nil {
				return nil, fmt.Errorf("line %d: key %s: attestation: %w", line, k, err)
			}
		}
		t.byKey[k] = len(t.Keys)
		t.Keys = append(t.Keys, key)
	}
	return t, nil
}

// validName is a chain name: 1 to 12 characters a-z, 1-5 and '.'.
func validName(s string) bool {
	_, err := contracts.NameValue(s)
	return s != "" && err == nil
}

// cleanYAMLError keeps yaml's "line N: ..." messages readable, and never
// repeats a value from the file (yaml quotes part of it in backquotes).
func cleanYAMLError(err error) error {
	s := redact.YAMLError(err.Error())
	s = strings.TrimPrefix(s, "yaml: ")
	s = strings.ReplaceAll(s, "unmarshal errors:\n  ", "")
	s = strings.ReplaceAll(s, "in type team.rawFile", "")
	s = strings.ReplaceAll(s, "in type team.rawKey", "in a key entry")
	s = strings.ReplaceAll(s, "in type team.Member", "in a member entry")
	s = strings.ReplaceAll(s, "in type team.rawHost", "in a host entry")
	return fmt.Errorf("%s", strings.TrimSpace(s))
}

// refusePrivate walks every scalar and refuses private keys, never
// echoing them.
func refusePrivate(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		v := strings.TrimSpace(n.Value)
		if _, err := signer.ParsePublicKey(v); errors.Is(err, signer.ErrPrivateKey) {
			return fmt.Errorf("line %d: %w", n.Line, signer.ErrPrivateKey)
		}
		if strings.Contains(v, "PRIVATE KEY-----") {
			return fmt.Errorf("line %d: a PEM private key: %w", n.Line, signer.ErrPrivateKey)
		}
	}
	for _, c := range n.Content {
		if err := refusePrivate(c); err != nil {
			return err
		}
	}
	return nil
}

func itemLines(doc *yaml.Node, field string) []int {
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == field && m.Content[i+1].Kind == yaml.SequenceNode {
			var out []int
			for _, it := range m.Content[i+1].Content {
				out = append(out, it.Line)
			}
			return out
		}
	}
	return nil
}

func at(lines []int, i int) int {
	if i < len(lines) {
		return lines[i]
	}
	return 0
}

// checkAttestation requires a PEM certificate and, when Go can read its
// public key (P-256), that it is the key it attests.
func checkAttestation(k signer.PublicKey, s string) error {
	block, rest := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return errors.New("not a PEM certificate (expected -----BEGIN CERTIFICATE-----)")
	}
	if block.Type != "CERTIFICATE" {
		return fmt.Errorf("a PEM %q block, expected CERTIFICATE", block.Type)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return errors.New("more than one PEM block: give the key's attestation certificate only")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		if k.Curve == signer.CurveK1 && strings.Contains(err.Error(), "unsupported elliptic curve") {
			return nil // secp256k1: Go cannot read the key; keep the certificate
		}
		return fmt.Errorf("the certificate cannot be read: %w", err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("the certificate holds a %T, not an EC key", cert.PublicKey)
	}
	got, err := signer.PublicKeyFromECDSA(pub)
	if err != nil {
		return fmt.Errorf("the certificate's key: %w", err)
	}
	if got != k {
		return fmt.Errorf("the certificate attests %s, not this key", got)
	}
	return nil
}

// Key returns the entry of a key, if the team file lists it.
func (t *Team) Key(k signer.PublicKey) (Key, bool) {
	if t == nil {
		return Key{}, false
	}
	i, ok := t.byKey[k]
	if !ok {
		return Key{}, false
	}
	return t.Keys[i], true
}

// Holder names the member who holds k; ok is false for keys on a host and
// keys nobody holds. Its signature fits permissions.HolderFunc.
func (t *Team) Holder(k signer.PublicKey) (string, bool) {
	e, ok := t.Key(k)
	return e.Holder, ok && e.Holder != ""
}

// HostOf names the machine k sits on unattended, if the team file says so.
func (t *Team) HostOf(k signer.PublicKey) (string, bool) {
	e, ok := t.Key(k)
	return e.Host, ok && e.Host != ""
}

// MemberOfLevel names the member whose account: is level (actor@permission).
func (t *Team) MemberOfLevel(level string) (string, bool) {
	if t == nil {
		return "", false
	}
	for _, m := range t.Members {
		if m.Account != "" && m.Account == level {
			return m.Name, true
		}
	}
	return "", false
}

// MemberLevels lists the account levels the members control.
func (t *Team) MemberLevels() []string {
	if t == nil {
		return nil
	}
	var out []string
	for _, m := range t.Members {
		if m.Account != "" {
			out = append(out, m.Account)
		}
	}
	return out
}

// Account returns the account level (actor@permission) of the member
// holding key k, when the team file names one.
func (t *Team) Account(k signer.PublicKey) (string, bool) {
	h, ok := t.Holder(k)
	if !ok {
		return "", false
	}
	for _, m := range t.Members {
		if m.Name == h && m.Account != "" {
			return m.Account, true
		}
	}
	return "", false
}

// MemberNames lists the members in file order.
func (t *Team) MemberNames() []string {
	if t == nil {
		return nil
	}
	out := make([]string, len(t.Members))
	for i, m := range t.Members {
		out[i] = m.Name
	}
	return out
}

// HeldKeys lists every key of the team file a member holds or a host
// keeps (the keys the team can sign with); unheld entries are left out.
func (t *Team) HeldKeys() []signer.PublicKey {
	if t == nil {
		return nil
	}
	out := make([]signer.PublicKey, 0, len(t.Keys))
	for _, k := range t.Keys {
		if k.Holder != "" || k.Host != "" {
			out = append(out, k.Key)
		}
	}
	slices.SortFunc(out, signer.Compare)
	return out
}

// IsHardware reports whether the team file says k is on a hardware device.
func (t *Team) IsHardware(k signer.PublicKey) bool {
	e, ok := t.Key(k)
	return ok && e.Hardware
}

// HasAttestation reports whether the team file has an attestation
// certificate for k.
func (t *Team) HasAttestation(k signer.PublicKey) bool {
	e, ok := t.Key(k)
	return ok && strings.TrimSpace(e.Attestation) != ""
}

// Label describes a key for an operator: "alice's YubiKey 12345678 slot
// 9c", "bob's HSM bp-hsm/claim", "carol's software key", or "not in the
// team file" for keys nobody holds. Its signature fits
// permissions.LabelFunc.
func (t *Team) Label(k signer.PublicKey) string {
	e, ok := t.Key(k)
	switch {
	case !ok:
		return "not in the team file"
	case e.Holder != "":
		return e.Holder + "'s " + e.DeviceName()
	case e.Host != "":
		return "host " + e.Host + "'s " + e.DeviceName() + " (unattended)"
	}
	return e.DeviceName() + " held by nobody"
}

// DeviceName names the device: "YubiKey 12345678 slot 9c", "HSM
// bp-hsm/claim", "hardware key" or "software key".
func (e Key) DeviceName() string {
	switch e.Ref.Scheme {
	case "yubikey":
		s := "YubiKey"
		if v := e.Ref.Get("serial"); v != "" {
			s += " " + v
		}
		if v := e.Ref.Get("slot"); v != "" {
			s += " slot " + v
		}
		return s
	case "pkcs11":
		s := "HSM"
		var parts []string
		for _, a := range []string{"token", "object", "id"} {
			if v := e.Ref.Get(a); v != "" {
				parts = append(parts, v)
			}
		}
		if len(parts) > 0 {
			s += " " + strings.Join(parts, "/")
		}
		return s
	}
	if e.Hardware {
		return "hardware key"
	}
	return "software key"
}
