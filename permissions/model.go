package permissions

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
)

// Well-known permission names.
const (
	Owner  = "owner"
	Active = "active"
	// Any is the pseudo-permission a link can name to mean "any permission
	// of the account will do" (eosio.any).
	Any = "eosio.any"
	// Code is the permission contracts' inline actions carry (eosio.code).
	Code = "eosio.code"
)

// MaxDepth is nodeos's default max_authority_depth: a permission, then at
// most five nested account levels, are evaluated; deeper levels count for
// nothing.
const MaxDepth = 6

// Level is a permission level, actor@permission.
type Level struct {
	Actor      string `json:"actor"`
	Permission string `json:"permission"`
}

// String returns actor@permission.
func (l Level) String() string { return l.Actor + "@" + l.Permission }

// ParseLevel reads actor@permission; a bare actor means actor@active.
func ParseLevel(s string) (Level, error) {
	s = strings.TrimSpace(s)
	actor, perm, ok := strings.Cut(s, "@")
	if !ok {
		perm = Active
	}
	l := Level{Actor: actor, Permission: perm}
	if _, err := contracts.NameValue(actor); err != nil || actor == "" {
		return Level{}, fmt.Errorf("permission level %s: the actor is not a valid account name (up to 12 characters a-z, 1-5 and '.')", quote(s))
	}
	if _, err := contracts.NameValue(perm); err != nil || perm == "" {
		return Level{}, fmt.Errorf("permission level %s: the permission is not a valid name (up to 12 characters a-z, 1-5 and '.')", quote(s))
	}
	return l, nil
}

// KeyWeight is one key of an authority.
type KeyWeight struct {
	Key    signer.PublicKey
	Weight uint16
	// Unsupported is the text of a key bpkeys cannot represent (a WebAuthn
	// PUB_WA_ key); Key is then zero. It still counts on chain, but no
	// device of the team can sign with it.
	Unsupported string
}

// String is the key in its PUB_ form (or the unsupported key's text).
func (k KeyWeight) String() string {
	if k.Unsupported != "" {
		return k.Unsupported
	}
	return k.Key.String()
}

// MarshalJSON writes {"key": "PUB_...", "weight": n}.
func (k KeyWeight) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Key    string `json:"key"`
		Weight uint16 `json:"weight"`
	}{k.String(), k.Weight})
}

// UnmarshalJSON reads {"key": "EOS...|PUB_K1_...|PUB_R1_...", "weight": n}.
func (k *KeyWeight) UnmarshalJSON(b []byte) error {
	var aux struct {
		Key    string `json:"key"`
		Weight uint16 `json:"weight"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*k = KeyWeight{Weight: aux.Weight}
	p, err := signer.ParsePublicKey(aux.Key)
	switch {
	case errors.Is(err, signer.ErrUnsupported) && strings.HasPrefix(aux.Key, "PUB_WA_"):
		k.Unsupported = aux.Key
	case err != nil:
		return fmt.Errorf("authority key: %w", err)
	default:
		k.Key = p
	}
	return nil
}

// AccountWeight is one account level of an authority.
type AccountWeight struct {
	Permission Level  `json:"permission"`
	Weight     uint16 `json:"weight"`
}

// WaitWeight is one wait of an authority. Waits need delayed transactions,
// which current Antelope chains no longer run: bpkeys never counts them
// towards satisfying a permission.
type WaitWeight struct {
	WaitSec uint32 `json:"wait_sec"`
	Weight  uint16 `json:"weight"`
}

// Authority is a permission's required_auth.
type Authority struct {
	Threshold uint32          `json:"threshold"`
	Keys      []KeyWeight     `json:"keys"`
	Accounts  []AccountWeight `json:"accounts"`
	Waits     []WaitWeight    `json:"waits"`
}

// Link is a linked action: the contract and action (empty: every action of
// the contract) whose minimum permission is the permission holding it.
type Link struct {
	Contract string `json:"account"`
	Action   string `json:"action,omitempty"`
}

// String returns contract::action, or contract::* for the whole contract.
func (l Link) String() string {
	if l.Action == "" {
		return l.Contract + "::*"
	}
	return l.Contract + "::" + l.Action
}

// ParseLink reads contract::action; contract::* or contract:: means every
// action of the contract.
func ParseLink(s string) (Link, error) {
	s = strings.TrimSpace(s)
	c, a, ok := strings.Cut(s, "::")
	if !ok {
		return Link{}, fmt.Errorf("action %s: expected CONTRACT::ACTION, such as eosio::claimrewards", quote(s))
	}
	if a == "*" {
		a = ""
	}
	if _, err := contracts.NameValue(c); err != nil || c == "" {
		return Link{}, fmt.Errorf("action %s: %s is not a valid contract account name", quote(s), quote(c))
	}
	if a != "" {
		if _, err := contracts.NameValue(a); err != nil {
			return Link{}, fmt.Errorf("action %s: %s is not a valid action name", quote(s), quote(a))
		}
	}
	return Link{Contract: c, Action: a}, nil
}

// Permission is one permission of an account.
type Permission struct {
	Name   string    `json:"perm_name"`
	Parent string    `json:"parent"`
	Auth   Authority `json:"required_auth"`
	// Links are the actions linked to this permission.
	Links []Link `json:"linked_actions"`
}

// Account is an account's permission tree and links.
type Account struct {
	Name string `json:"account_name"`
	// Permissions in tree order: owner, then each permission followed by
	// its children, siblings by name.
	Permissions []Permission `json:"permissions"`
	// AnyLinks are the actions linked to eosio.any.
	AnyLinks []Link `json:"eosio_any_linked_actions,omitempty"`
	// LinksUnknown is true when the node did not report linked actions
	// (nodeos before Leap 4): the links are then not known to be absent.
	LinksUnknown bool `json:"links_unknown,omitempty"`
	// AuthChange is the account's limitauthchg setting (nil: none, or not
	// read).
	AuthChange *AuthChangeLimit `json:"limitauthchg,omitempty"`
}

// FromChain builds the model of an account from get_account's answer.
func FromChain(a *chain.Account) (*Account, error) {
	if a == nil {
		return nil, errors.New("no account")
	}
	out := &Account{Name: a.AccountName}
	for _, p := range a.Permissions {
		perm := Permission{Name: p.PermName, Parent: p.Parent, Links: []Link{}}
		if p.LinkedActions == nil {
			out.LinksUnknown = true
		}
		perm.Auth.Threshold = p.RequiredAuth.Threshold
		perm.Auth.Keys = []KeyWeight{}
		for _, k := range p.RequiredAuth.Keys {
			perm.Auth.Keys = append(perm.Auth.Keys, KeyWeight{Key: k.Key, Weight: k.Weight, Unsupported: k.Unsupported})
		}
		perm.Auth.Accounts = []AccountWeight{}
		for _, l := range p.RequiredAuth.Accounts {
			perm.Auth.Accounts = append(perm.Auth.Accounts, AccountWeight{Permission: Level{l.Permission.Actor, l.Permission.Permission}, Weight: l.Weight})
		}
		perm.Auth.Waits = []WaitWeight{}
		for _, w := range p.RequiredAuth.Waits {
			perm.Auth.Waits = append(perm.Auth.Waits, WaitWeight{WaitSec: w.WaitSec, Weight: w.Weight})
		}
		for _, l := range p.LinkedActions {
			perm.Links = append(perm.Links, Link{Contract: l.Account, Action: l.Action})
		}
		out.Permissions = append(out.Permissions, perm)
	}
	for _, l := range a.EosioAnyLinkedActions {
		out.AnyLinks = append(out.AnyLinks, Link{Contract: l.Account, Action: l.Action})
	}
	if err := out.Check(); err != nil {
		return nil, fmt.Errorf("account %s: %w", a.AccountName, err)
	}
	out.Normalize()
	return out, nil
}

// ParseAccountJSON reads a get_account answer (or an Account as bpkeys
// writes it) and builds its model.
func ParseAccountJSON(b []byte) (*Account, error) {
	var ca chain.Account
	if err := json.Unmarshal(b, &ca); err != nil {
		return nil, fmt.Errorf("reading the account JSON: %w", err)
	}
	return FromChain(&ca)
}

// Check verifies the tree's shape: exactly one owner with no parent,
// active under owner, every parent present, no parent cycles, no duplicate
// names, links naming existing permissions once.
func (a *Account) Check() error {
	seen := map[string]bool{}
	for _, p := range a.Permissions {
		if p.Name == "" {
			return errors.New("a permission has no name")
		}
		if seen[p.Name] {
			return fmt.Errorf("permission %s appears twice", p.Name)
		}
		if _, err := contracts.NameValue(p.Name); err != nil {
			return fmt.Errorf("permission %q: not a valid name (up to 12 characters a-z, 1-5 and '.')", p.Name)
		}
		for _, l := range p.Links {
			if _, err := ParseLink(l.String()); err != nil {
				return fmt.Errorf("permission %s: %w", p.Name, err)
			}
		}
		seen[p.Name] = true
	}
	if !seen[Owner] {
		return errors.New("the account has no owner permission")
	}
	for _, p := range a.Permissions {
		switch {
		case p.Name == Owner && p.Parent != "":
			return fmt.Errorf("owner has parent %q; owner has none", p.Parent)
		case p.Name != Owner && p.Parent == "":
			return fmt.Errorf("permission %s has no parent; only owner has none", p.Name)
		case p.Name != Owner && !seen[p.Parent]:
			return fmt.Errorf("permission %s has parent %s, which does not exist", p.Name, p.Parent)
		case p.Name == Active && p.Parent != Owner:
			return fmt.Errorf("active has parent %s; active is always under owner", p.Parent)
		}
		// parent cycle
		cur, n := p.Parent, 0
		for cur != "" {
			if n++; n > len(a.Permissions) {
				return fmt.Errorf("permission %s: its parents form a cycle", p.Name)
			}
			cur = a.Perm(cur).Parent
		}
	}
	links := map[Link]string{}
	for _, p := range a.Permissions {
		for _, l := range p.Links {
			if prev, ok := links[l]; ok {
				return fmt.Errorf("action %s is linked to both %s and %s", l, prev, p.Name)
			}
			links[l] = p.Name
		}
	}
	for _, l := range a.AnyLinks {
		if prev, ok := links[l]; ok {
			return fmt.Errorf("action %s is linked to both %s and eosio.any", l, prev)
		}
		links[l] = Any
	}
	return nil
}

// Perm returns the named permission, or nil.
func (a *Account) Perm(name string) *Permission {
	for i := range a.Permissions {
		if a.Permissions[i].Name == name {
			return &a.Permissions[i]
		}
	}
	return nil
}

// Children lists the names of name's direct children, sorted.
func (a *Account) Children(name string) []string {
	var out []string
	for _, p := range a.Permissions {
		if p.Parent == name && p.Name != name {
			out = append(out, p.Name)
		}
	}
	slices.Sort(out)
	return out
}

// Depth is how far name is below owner (owner 0, active 1), or -1.
func (a *Account) Depth(name string) int {
	d := 0
	for p := a.Perm(name); p != nil; p = a.Perm(p.Parent) {
		if p.Parent == "" {
			return d
		}
		if d++; d > len(a.Permissions) {
			return -1
		}
	}
	return -1
}

// IsUnder reports whether name is ancestor or one of its descendants
// (permission_object::satisfies: a permission satisfies itself and every
// permission below it).
func (a *Account) IsUnder(name, ancestor string) bool {
	for i, cur := 0, name; cur != "" && i <= len(a.Permissions); i++ {
		if cur == ancestor {
			return true
		}
		p := a.Perm(cur)
		if p == nil {
			return false
		}
		cur = p.Parent
	}
	return false
}

// Links maps every linked action to its permission (eosio.any included).
func (a *Account) Links() map[Link]string {
	out := map[Link]string{}
	for _, p := range a.Permissions {
		for _, l := range p.Links {
			out[l] = p.Name
		}
	}
	for _, l := range a.AnyLinks {
		out[l] = Any
	}
	return out
}

// LinkedPermission is nodeos's lookup_linked_permission: the permission
// linked to contract::action, else to the whole contract; ok is false when
// neither is linked.
func (a *Account) LinkedPermission(contract, action string) (string, bool) {
	links := a.Links()
	if p, ok := links[Link{contract, action}]; ok {
		return p, true
	}
	if p, ok := links[Link{contract, ""}]; ok {
		return p, true
	}
	return "", false
}

// MinimumPermission is nodeos's lookup_minimum_permission: which permission
// of the account an action contract::action needs at least. any is true
// when it is linked to eosio.any (any permission of the account will do);
// without a link it is active.
func (a *Account) MinimumPermission(contract, action string) (perm string, any bool) {
	p, ok := a.LinkedPermission(contract, action)
	if !ok {
		return Active, false
	}
	if p == Any {
		return "", true
	}
	return p, false
}

// Clone returns a deep copy.
func (a *Account) Clone() *Account {
	b, err := json.Marshal(a)
	if err != nil {
		panic(fmt.Sprintf("permissions: cloning %s: %v", a.Name, err))
	}
	var c Account
	if err := json.Unmarshal(b, &c); err != nil {
		panic(fmt.Sprintf("permissions: cloning %s: %v", a.Name, err))
	}
	return &c
}

// Normalize puts the tree in its canonical form: permissions in tree order,
// authorities sorted as nodeos requires, links sorted, nil slices empty.
// Duplicates are left for Validate to report.
func (a *Account) Normalize() {
	for i := range a.Permissions {
		p := &a.Permissions[i]
		p.Auth.Normalize()
		if p.Links == nil {
			p.Links = []Link{}
		}
		slices.SortFunc(p.Links, compareLinks)
	}
	slices.SortFunc(a.AnyLinks, compareLinks)
	var order []Permission
	var walk func(name string, depth int)
	done := map[string]bool{}
	walk = func(name string, depth int) {
		if done[name] || depth > len(a.Permissions) {
			return
		}
		done[name] = true
		order = append(order, *a.Perm(name))
		for _, c := range a.Children(name) {
			walk(c, depth+1)
		}
	}
	if a.Perm(Owner) != nil {
		walk(Owner, 0)
	}
	for _, p := range a.Permissions { // orphans (only in a broken tree) last
		if !done[p.Name] {
			done[p.Name] = true
			order = append(order, p)
		}
	}
	a.Permissions = order
}

func compareLinks(x, y Link) int {
	if c := compareNames(x.Contract, y.Contract); c != 0 {
		return c
	}
	return compareNames(x.Action, y.Action)
}

// compareNames orders names by their uint64 value, as nodeos's tables do.
func compareNames(x, y string) int {
	xv, _ := contracts.NameValue(x)
	yv, _ := contracts.NameValue(y)
	switch {
	case xv < yv:
		return -1
	case xv > yv:
		return 1
	}
	return strings.Compare(x, y)
}

// Normalize sorts keys (by type, then point: signer.Compare), accounts (by
// actor then permission as uint64 names) and waits (by seconds), and turns
// nil slices into empty ones. It does not merge duplicates.
func (au *Authority) Normalize() {
	if au.Keys == nil {
		au.Keys = []KeyWeight{}
	}
	if au.Accounts == nil {
		au.Accounts = []AccountWeight{}
	}
	if au.Waits == nil {
		au.Waits = []WaitWeight{}
	}
	slices.SortStableFunc(au.Keys, func(x, y KeyWeight) int {
		switch {
		case x.Unsupported != "" && y.Unsupported != "":
			return strings.Compare(x.Unsupported, y.Unsupported)
		case x.Unsupported != "":
			return 1 // WebAuthn keys (type 2) after K1 and R1
		case y.Unsupported != "":
			return -1
		}
		return signer.Compare(x.Key, y.Key)
	})
	slices.SortStableFunc(au.Accounts, func(x, y AccountWeight) int {
		if c := compareNames(x.Permission.Actor, y.Permission.Actor); c != 0 {
			return c
		}
		return compareNames(x.Permission.Permission, y.Permission.Permission)
	})
	slices.SortStableFunc(au.Waits, func(x, y WaitWeight) int {
		switch {
		case x.WaitSec < y.WaitSec:
			return -1
		case x.WaitSec > y.WaitSec:
			return 1
		}
		return 0
	})
}

// Validate applies nodeos's validate(authority) to a normalized authority
// (see contracts.ValidateAuthority): threshold at least 1, no duplicates,
// sorted, weights reaching the threshold.
func (au Authority) Validate() error {
	if slices.ContainsFunc(au.Keys, func(k KeyWeight) bool { return k.Unsupported != "" }) {
		// eos-go cannot encode WebAuthn keys; check the rest by hand.
		var sum uint64
		for _, k := range au.Keys {
			sum += uint64(k.Weight)
		}
		for _, a := range au.Accounts {
			sum += uint64(a.Weight)
		}
		for _, w := range au.Waits {
			sum += uint64(w.Weight)
		}
		if au.Threshold == 0 || sum < uint64(au.Threshold) {
			return &contracts.AuthorityError{Reason: fmt.Sprintf("the weights add up to %d, less than the threshold %d", sum, au.Threshold)}
		}
		return nil
	}
	return contracts.ValidateAuthority(au.EOS())
}

// Equal reports whether two authorities are the same once normalized.
func (au Authority) Equal(b Authority) bool {
	x, y := au, b
	x.Keys, y.Keys = slices.Clone(x.Keys), slices.Clone(y.Keys)
	x.Accounts, y.Accounts = slices.Clone(x.Accounts), slices.Clone(y.Accounts)
	x.Waits, y.Waits = slices.Clone(x.Waits), slices.Clone(y.Waits)
	x.Normalize()
	y.Normalize()
	return x.Threshold == y.Threshold && slices.Equal(x.Keys, y.Keys) && slices.Equal(x.Accounts, y.Accounts) && slices.Equal(x.Waits, y.Waits)
}

// Equal reports whether two accounts have the same permissions, authorities
// and links (order does not matter).
func (a *Account) Equal(b *Account) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Name != b.Name || len(a.Permissions) != len(b.Permissions) {
		return false
	}
	for _, p := range a.Permissions {
		q := b.Perm(p.Name)
		if q == nil || q.Parent != p.Parent || !p.Auth.Equal(q.Auth) {
			return false
		}
		pl, ql := slices.Clone(p.Links), slices.Clone(q.Links)
		slices.SortFunc(pl, compareLinks)
		slices.SortFunc(ql, compareLinks)
		if !slices.Equal(pl, ql) {
			return false
		}
	}
	al, bl := slices.Clone(a.AnyLinks), slices.Clone(b.AnyLinks)
	slices.SortFunc(al, compareLinks)
	slices.SortFunc(bl, compareLinks)
	return slices.Equal(al, bl)
}

// HasKey reports whether the authority names k.
func (au Authority) HasKey(k signer.PublicKey) bool {
	return slices.ContainsFunc(au.Keys, func(kw KeyWeight) bool { return kw.Unsupported == "" && kw.Key == k })
}

// HasAccount reports whether the authority names l.
func (au Authority) HasAccount(l Level) bool {
	return slices.ContainsFunc(au.Accounts, func(aw AccountWeight) bool { return aw.Permission == l })
}
