package permissions

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/internal/redact"
	"github.com/bpkeys/bpkeys/signer"
)

// Op is the kind of a planned edit.
type Op string

// The edits a plan can make.
const (
	OpTemplate      Op = "template"       // Template
	OpCreate        Op = "create"         // Permission under Parent (empty, filled by later edits)
	OpRotate        Op = "rotate"         // Key -> NewKey everywhere, same weight
	OpAddKey        Op = "add-key"        // Key (Weight) to Permission
	OpAddAccount    Op = "add-account"    // Level (Weight) to Permission
	OpRemoveKey     Op = "remove-key"     // Key from Permission
	OpRemoveAccount Op = "remove-account" // Level from Permission
	OpThreshold     Op = "threshold"      // Permission's threshold to Threshold
	OpLink          Op = "link"           // Action to Permission
	OpUnlink        Op = "unlink"         // Action
	OpDelete        Op = "delete"         // Permission, unlinking its links first
)

// opOrder is the order edits apply in, whatever order they were given.
var opOrder = []Op{OpTemplate, OpCreate, OpRotate, OpAddKey, OpAddAccount, OpRemoveKey, OpRemoveAccount, OpThreshold, OpLink, OpUnlink, OpDelete}

// TemplateProducer is the producer template: claim and rotate permissions.
const TemplateProducer = "producer"

// Edit is one change of a plan. Which fields are used depends on Op.
type Edit struct {
	Op         Op     `json:"op"`
	Permission string `json:"permission,omitempty"`
	Parent     string `json:"parent,omitempty"`
	Key        string `json:"key,omitempty"`
	NewKey     string `json:"new_key,omitempty"`
	Level      string `json:"level,omitempty"`
	Weight     uint16 `json:"weight,omitempty"`
	Threshold  uint32 `json:"threshold,omitempty"`
	Action     string `json:"action,omitempty"`
	Template   string `json:"template,omitempty"`
	// ClaimKeys and RotateKeys are the producer template's keys (empty:
	// copy active's authority). BPay links eosio.bpay::claimrewards too.
	ClaimKeys  []string `json:"claim_keys,omitempty"`
	RotateKeys []string `json:"rotate_keys,omitempty"`
	BPay       bool     `json:"bpay,omitempty"`
}

// String describes the edit as the command line would write it.
func (e Edit) String() string {
	switch e.Op {
	case OpRotate:
		return fmt.Sprintf("rotate %s -> %s", e.Key, e.NewKey)
	case OpAddKey:
		return fmt.Sprintf("add key %s (weight %d) to %s", e.Key, e.weight(), e.Permission)
	case OpRemoveKey:
		return fmt.Sprintf("remove key %s from %s", e.Key, e.Permission)
	case OpAddAccount:
		return fmt.Sprintf("add account %s (weight %d) to %s", e.Level, e.weight(), e.Permission)
	case OpRemoveAccount:
		return fmt.Sprintf("remove account %s from %s", e.Level, e.Permission)
	case OpThreshold:
		return fmt.Sprintf("set the threshold of %s to %d", e.Permission, e.Threshold)
	case OpCreate:
		return fmt.Sprintf("create %s under %s", e.Permission, e.Parent)
	case OpDelete:
		return fmt.Sprintf("delete %s", e.Permission)
	case OpLink:
		return fmt.Sprintf("link %s to %s", e.Action, e.Permission)
	case OpUnlink:
		return fmt.Sprintf("unlink %s", e.Action)
	case OpTemplate:
		return fmt.Sprintf("apply the %s template", e.Template)
	}
	return string(e.Op)
}

func (e Edit) weight() uint16 {
	if e.Weight == 0 {
		return 1
	}
	return e.Weight
}

// parseKey reads a public key given on the command line or in a plan.
func parseKey(s string) (signer.PublicKey, error) {
	k, err := signer.ParsePublicKey(s)
	if err != nil {
		return k, fmt.Errorf("key %s: %w", quote(s), err)
	}
	return k, nil
}

// quote is operator input for a message: shortened, and described rather
// than repeated when it could be a secret (a private key given by mistake).
func quote(s string) string {
	if redact.Kind(s) != "" {
		return redact.Quote(s)
	}
	return fmt.Sprintf("%q", shorten(s))
}

func shorten(s string) string {
	if len(s) > 20 {
		return s[:12] + "..."
	}
	return s
}

func checkPermName(s string) error {
	if s == "" {
		return fmt.Errorf("a permission name is missing")
	}
	if _, err := contracts.NameValue(s); err != nil {
		return fmt.Errorf("%s is not a valid permission name (up to 12 characters a-z, 1-5 and '.')", quote(s))
	}
	return nil
}

func splitWeight(s string) (string, uint16, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 1, nil
	}
	w, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil || w == 0 {
		return "", 0, fmt.Errorf("weight %s is not a number from 1 to 65535", quote(s[i+1:]))
	}
	return s[:i], uint16(w), nil
}

// ParseRotate reads OLD=NEW.
func ParseRotate(s string) (Edit, error) {
	o, n, ok := strings.Cut(s, "=")
	if !ok {
		return Edit{}, fmt.Errorf("--rotate %s: expected OLD_KEY=NEW_KEY", quote(s))
	}
	ok1, err := parseKey(o)
	if err != nil {
		return Edit{}, fmt.Errorf("--rotate: old %w", err)
	}
	nk, err := parseKey(n)
	if err != nil {
		return Edit{}, fmt.Errorf("--rotate: new %w", err)
	}
	if ok1 == nk {
		return Edit{}, fmt.Errorf("--rotate: the old and new keys are the same")
	}
	return Edit{Op: OpRotate, Key: ok1.String(), NewKey: nk.String()}, nil
}

// permAssignment splits a flag value PERM=REST and checks the permission
// name; form describes the whole value for the error message.
func permAssignment(flag, form, s string) (perm, rest string, err error) {
	perm, rest, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fmt.Errorf("%s %s: expected %s", flag, quote(s), form)
	}
	if err := checkPermName(perm); err != nil {
		return "", "", fmt.Errorf("%s: %w", flag, err)
	}
	return perm, rest, nil
}

// ParseAddKey reads PERM=KEY[:WEIGHT].
func ParseAddKey(s string) (Edit, error) {
	p, rest, err := permAssignment("--add-key", "PERMISSION=KEY[:WEIGHT]", s)
	if err != nil {
		return Edit{}, err
	}
	ks, w, err := splitWeight(rest)
	if err != nil {
		return Edit{}, fmt.Errorf("--add-key: %w", err)
	}
	k, err := parseKey(ks)
	if err != nil {
		return Edit{}, fmt.Errorf("--add-key: %w", err)
	}
	return Edit{Op: OpAddKey, Permission: p, Key: k.String(), Weight: w}, nil
}

// ParseRemoveKey reads PERM=KEY.
func ParseRemoveKey(s string) (Edit, error) {
	p, ks, err := permAssignment("--remove-key", "PERMISSION=KEY", s)
	if err != nil {
		return Edit{}, err
	}
	k, err := parseKey(ks)
	if err != nil {
		return Edit{}, fmt.Errorf("--remove-key: %w", err)
	}
	return Edit{Op: OpRemoveKey, Permission: p, Key: k.String()}, nil
}

// ParseThreshold reads PERM=N.
func ParseThreshold(s string) (Edit, error) {
	p, ns, err := permAssignment("--threshold", "PERMISSION=N", s)
	if err != nil {
		return Edit{}, err
	}
	n, err := strconv.ParseUint(ns, 10, 32)
	if err != nil || n == 0 {
		return Edit{}, fmt.Errorf("--threshold %s: %s is not a number of at least 1 (nodeos refuses a zero threshold)", p, quote(ns))
	}
	return Edit{Op: OpThreshold, Permission: p, Threshold: uint32(n)}, nil
}

// ParseAddAccount reads PERM=ACTOR@PERMISSION[:WEIGHT].
func ParseAddAccount(s string) (Edit, error) {
	p, rest, err := permAssignment("--add-account", "PERMISSION=ACTOR@PERMISSION[:WEIGHT]", s)
	if err != nil {
		return Edit{}, err
	}
	ls, w, err := splitWeight(rest)
	if err != nil {
		return Edit{}, fmt.Errorf("--add-account: %w", err)
	}
	l, err := ParseLevel(ls)
	if err != nil {
		return Edit{}, fmt.Errorf("--add-account: %w", err)
	}
	return Edit{Op: OpAddAccount, Permission: p, Level: l.String(), Weight: w}, nil
}

// ParseRemoveAccount reads PERM=ACTOR@PERMISSION.
func ParseRemoveAccount(s string) (Edit, error) {
	p, ls, err := permAssignment("--remove-account", "PERMISSION=ACTOR@PERMISSION", s)
	if err != nil {
		return Edit{}, err
	}
	l, err := ParseLevel(ls)
	if err != nil {
		return Edit{}, fmt.Errorf("--remove-account: %w", err)
	}
	return Edit{Op: OpRemoveAccount, Permission: p, Level: l.String()}, nil
}

// ParseCreate reads PERM:PARENT.
func ParseCreate(s string) (Edit, error) {
	p, parent, ok := strings.Cut(s, ":")
	if !ok {
		return Edit{}, fmt.Errorf("--create %s: expected PERMISSION:PARENT, such as claim:active", quote(s))
	}
	for _, n := range []string{p, parent} {
		if err := checkPermName(n); err != nil {
			return Edit{}, fmt.Errorf("--create: %w", err)
		}
	}
	return Edit{Op: OpCreate, Permission: p, Parent: parent}, nil
}

// ParseDelete reads PERM.
func ParseDelete(s string) (Edit, error) {
	if err := checkPermName(s); err != nil {
		return Edit{}, fmt.Errorf("--delete: %w", err)
	}
	return Edit{Op: OpDelete, Permission: s}, nil
}

// ParseLinkEdit reads PERM=CONTRACT::ACTION.
func ParseLinkEdit(s string) (Edit, error) {
	p, as, err := permAssignment("--link", "PERMISSION=CONTRACT::ACTION", s)
	if err != nil {
		return Edit{}, err
	}
	l, err := ParseLink(as)
	if err != nil {
		return Edit{}, fmt.Errorf("--link: %w", err)
	}
	return Edit{Op: OpLink, Permission: p, Action: l.String()}, nil
}

// ParseUnlink reads CONTRACT::ACTION.
func ParseUnlink(s string) (Edit, error) {
	l, err := ParseLink(s)
	if err != nil {
		return Edit{}, fmt.Errorf("--unlink: %w", err)
	}
	return Edit{Op: OpUnlink, Action: l.String()}, nil
}

// ProducerTemplate is the producer template edit. Empty key lists copy
// active's authority into the new permission.
func ProducerTemplate(claimKeys, rotateKeys []signer.PublicKey, bpay bool) Edit {
	e := Edit{Op: OpTemplate, Template: TemplateProducer, BPay: bpay}
	for _, k := range claimKeys {
		e.ClaimKeys = append(e.ClaimKeys, k.String())
	}
	for _, k := range rotateKeys {
		e.RotateKeys = append(e.RotateKeys, k.String())
	}
	return e
}

// ProducerLinks are the actions the producer template links, by permission.
func ProducerLinks(bpay bool) map[string][]Link {
	claim := []Link{{"eosio", "claimrewards"}}
	if bpay {
		claim = append(claim, Link{"eosio.bpay", "claimrewards"})
	}
	return map[string][]Link{
		"claim":  claim,
		"rotate": {{"eosio", "regproducer"}, {"eosio", "regproducer2"}, {"eosio", "unregprod"}},
	}
}

// ApplyEdits applies edits to a copy of before and returns it normalized.
// Edits apply in a fixed order whatever order they are given in: template,
// create, rotate, add, remove, threshold, link, unlink, delete. An edit
// that cannot apply (a key that is not there, a permission that does not
// exist) is an error naming it.
func ApplyEdits(before *Account, edits []Edit) (*Account, error) {
	after := before.Clone()
	sorted := slices.Clone(edits)
	slices.SortStableFunc(sorted, func(x, y Edit) int {
		if x.Op == OpDelete && y.Op == OpDelete {
			return before.Depth(y.Permission) - before.Depth(x.Permission) // children first
		}
		return slices.Index(opOrder, x.Op) - slices.Index(opOrder, y.Op)
	})
	for _, e := range sorted {
		if !slices.Contains(opOrder, e.Op) {
			return nil, fmt.Errorf("unknown edit %q", e.Op)
		}
		if err := applyEdit(after, e); err != nil {
			return nil, fmt.Errorf("%s: %w", e, err)
		}
	}
	after.Normalize()
	if err := after.Check(); err != nil {
		return nil, fmt.Errorf("the planned tree is not valid: %w", err)
	}
	return after, nil
}

func (a *Account) mustPerm(name string) (*Permission, error) {
	p := a.Perm(name)
	if p == nil {
		return nil, fmt.Errorf("%s has no permission %q (it has: %s)", a.Name, name, strings.Join(a.names(), ", "))
	}
	return p, nil
}

func (a *Account) names() []string {
	out := make([]string, len(a.Permissions))
	for i, p := range a.Permissions {
		out[i] = p.Name
	}
	return out
}

func (a *Account) unlinkAll(l Link) bool {
	found := false
	for i := range a.Permissions {
		p := &a.Permissions[i]
		n := len(p.Links)
		p.Links = slices.DeleteFunc(p.Links, func(x Link) bool { return x == l })
		found = found || len(p.Links) != n
	}
	n := len(a.AnyLinks)
	a.AnyLinks = slices.DeleteFunc(a.AnyLinks, func(x Link) bool { return x == l })
	return found || len(a.AnyLinks) != n
}

func (a *Account) link(l Link, perm string) error {
	if perm != Any {
		if _, err := a.mustPerm(perm); err != nil {
			return err
		}
	}
	a.unlinkAll(l)
	if perm == Any {
		a.AnyLinks = append(a.AnyLinks, l)
		return nil
	}
	p := a.Perm(perm)
	p.Links = append(p.Links, l)
	return nil
}

func keysAuthority(keys []string) (Authority, error) {
	au := Authority{Threshold: 1}
	for _, s := range keys {
		k, err := parseKey(s)
		if err != nil {
			return au, err
		}
		if au.HasKey(k) {
			return au, fmt.Errorf("key %s given twice", k)
		}
		au.Keys = append(au.Keys, KeyWeight{Key: k, Weight: 1})
	}
	au.Normalize()
	return au, nil
}

func applyEdit(a *Account, e Edit) error {
	switch e.Op {
	case OpTemplate:
		if e.Template != TemplateProducer {
			return fmt.Errorf("unknown template %q (known: %s)", e.Template, TemplateProducer)
		}
		active, err := a.mustPerm(Active)
		if err != nil {
			return err
		}
		activeAuth := active.Auth
		for perm, links := range ProducerLinks(e.BPay) {
			keys := e.ClaimKeys
			if perm == "rotate" {
				keys = e.RotateKeys
			}
			au := activeAuth
			if len(keys) > 0 {
				if au, err = keysAuthority(keys); err != nil {
					return fmt.Errorf("%s keys: %w", perm, err)
				}
			}
			if p := a.Perm(perm); p == nil {
				a.Permissions = append(a.Permissions, Permission{Name: perm, Parent: Active, Auth: cloneAuth(au), Links: []Link{}})
			} else if len(keys) > 0 {
				p.Auth = au
			}
			for _, l := range links {
				if err := a.link(l, perm); err != nil {
					return err
				}
			}
		}
	case OpCreate:
		if err := checkPermName(e.Permission); err != nil {
			return err
		}
		if a.Perm(e.Permission) != nil {
			return fmt.Errorf("%s already exists", e.Permission)
		}
		if strings.HasPrefix(e.Permission, "eosio.") {
			return fmt.Errorf("permission names starting with eosio. are reserved")
		}
		if e.Permission == Owner || e.Permission == Active {
			return fmt.Errorf("%s always exists", e.Permission)
		}
		if _, err := a.mustPerm(e.Parent); err != nil {
			return fmt.Errorf("parent: %w", err)
		}
		a.Permissions = append(a.Permissions, Permission{Name: e.Permission, Parent: e.Parent, Auth: Authority{Threshold: 1}, Links: []Link{}})
	case OpRotate:
		old, err := parseKey(e.Key)
		if err != nil {
			return err
		}
		nk, err := parseKey(e.NewKey)
		if err != nil {
			return err
		}
		found := false
		for i := range a.Permissions {
			p := &a.Permissions[i]
			for j := range p.Auth.Keys {
				if p.Auth.Keys[j].Unsupported == "" && p.Auth.Keys[j].Key == old {
					if p.Auth.HasKey(nk) {
						return fmt.Errorf("%s already has the new key next to the old one: remove the old key instead", p.Name)
					}
					p.Auth.Keys[j].Key = nk
					found = true
				}
			}
		}
		if !found {
			return fmt.Errorf("no permission of %s has the key %s", a.Name, old)
		}
	case OpAddKey:
		p, err := a.mustPerm(e.Permission)
		if err != nil {
			return err
		}
		k, err := parseKey(e.Key)
		if err != nil {
			return err
		}
		if p.Auth.HasKey(k) {
			return fmt.Errorf("%s already has this key", p.Name)
		}
		p.Auth.Keys = append(p.Auth.Keys, KeyWeight{Key: k, Weight: e.weight()})
	case OpRemoveKey:
		p, err := a.mustPerm(e.Permission)
		if err != nil {
			return err
		}
		k, err := parseKey(e.Key)
		if err != nil {
			return err
		}
		if !p.Auth.HasKey(k) {
			return fmt.Errorf("%s does not have this key", p.Name)
		}
		p.Auth.Keys = slices.DeleteFunc(p.Auth.Keys, func(kw KeyWeight) bool { return kw.Unsupported == "" && kw.Key == k })
	case OpAddAccount:
		p, err := a.mustPerm(e.Permission)
		if err != nil {
			return err
		}
		l, err := ParseLevel(e.Level)
		if err != nil {
			return err
		}
		if p.Auth.HasAccount(l) {
			return fmt.Errorf("%s already has %s", p.Name, l)
		}
		p.Auth.Accounts = append(p.Auth.Accounts, AccountWeight{Permission: l, Weight: e.weight()})
	case OpRemoveAccount:
		p, err := a.mustPerm(e.Permission)
		if err != nil {
			return err
		}
		l, err := ParseLevel(e.Level)
		if err != nil {
			return err
		}
		if !p.Auth.HasAccount(l) {
			return fmt.Errorf("%s does not have %s", p.Name, l)
		}
		p.Auth.Accounts = slices.DeleteFunc(p.Auth.Accounts, func(aw AccountWeight) bool { return aw.Permission == l })
	case OpThreshold:
		p, err := a.mustPerm(e.Permission)
		if err != nil {
			return err
		}
		if e.Threshold == 0 {
			return fmt.Errorf("a threshold of 0 is refused by nodeos")
		}
		p.Auth.Threshold = e.Threshold
	case OpLink:
		l, err := ParseLink(e.Action)
		if err != nil {
			return err
		}
		if e.Permission != Any {
			if _, err := a.mustPerm(e.Permission); err != nil {
				return err
			}
		}
		return a.link(l, e.Permission)
	case OpUnlink:
		l, err := ParseLink(e.Action)
		if err != nil {
			return err
		}
		if !a.unlinkAll(l) {
			return fmt.Errorf("%s is not linked", l)
		}
	case OpDelete:
		if e.Permission == Owner || e.Permission == Active {
			return fmt.Errorf("nodeos never deletes %s", e.Permission)
		}
		if _, err := a.mustPerm(e.Permission); err != nil {
			return err
		}
		if c := a.Children(e.Permission); len(c) > 0 {
			return fmt.Errorf("%s has children (%s): delete them first", e.Permission, strings.Join(c, ", "))
		}
		a.Permissions = slices.DeleteFunc(a.Permissions, func(p Permission) bool { return p.Name == e.Permission })
	}
	return nil
}

func cloneAuth(au Authority) Authority {
	return Authority{Threshold: au.Threshold, Keys: slices.Clone(au.Keys), Accounts: slices.Clone(au.Accounts), Waits: slices.Clone(au.Waits)}
}
