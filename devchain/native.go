package devchain

import (
	"encoding/json"
	"errors"
	"strings"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
)

// maxTrxDelay is nodeos's default max_transaction_delay (45 days).
const maxTrxDelay = 45 * 24 * 3600

func init() {
	handle("eosio", "newaccount", applyNewAccount)
	handle("eosio", "updateauth", applyUpdateAuth)
	handle("eosio", "deleteauth", applyDeleteAuth)
	handle("eosio", "linkauth", applyLinkAuth)
	handle("eosio", "unlinkauth", applyUnlinkAuth)
}

// authorityJSON prints an authority as nodeos prints it in messages.
func authorityJSON(a eos.Authority) string {
	type kw struct {
		Key    string `json:"key"`
		Weight uint16 `json:"weight"`
	}
	out := struct {
		Threshold uint32                      `json:"threshold"`
		Keys      []kw                        `json:"keys"`
		Accounts  []eos.PermissionLevelWeight `json:"accounts"`
		Waits     []eos.WaitWeight            `json:"waits"`
	}{a.Threshold, []kw{}, a.Accounts, a.Waits}
	for _, k := range a.Keys {
		out.Keys = append(out.Keys, kw{contracts.LegacyKeyString(k.PublicKey), k.Weight})
	}
	if out.Accounts == nil {
		out.Accounts = []eos.PermissionLevelWeight{}
	}
	if out.Waits == nil {
		out.Waits = []eos.WaitWeight{}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func invalidAuthority(prefix string, a eos.Authority, err error) error {
	e := newErr(ErrActionValidate, "%s: %s", prefix, authorityJSON(a))
	var ae *contracts.AuthorityError
	if errors.As(err, &ae) {
		e.Messages = append(e.Messages, ae.Reason)
	}
	return e
}

// validateAuthorityPrecondition is nodeos's validate_authority_precondition.
func (a *actionCtx) validateAuthorityPrecondition(auth eos.Authority) error {
	for _, p := range auth.Accounts {
		if a.d.accounts[string(p.Permission.Actor)] == nil {
			return newErr(ErrActionValidate, "account '%s' does not exist", p.Permission.Actor)
		}
		switch p.Permission.Permission {
		case "owner", "active", "eosio.code":
			continue
		}
		if _, ok := a.d.permission(level{string(p.Permission.Actor), string(p.Permission.Permission)}); !ok {
			return newErr(ErrActionValidate, "permission '%s' does not exist", level{string(p.Permission.Actor), string(p.Permission.Permission)}.json())
		}
	}
	return nil
}

func applyNewAccount(a *actionCtx) error {
	var na contracts.NewAccount
	if err := contracts.Decode(a.data, &na); err != nil {
		return newErr(ErrUnpack, "newaccount: %v", err)
	}
	if err := a.requireAuth(string(na.Creator)); err != nil {
		return err
	}
	if err := contracts.ValidateAuthority(na.Owner); err != nil {
		return invalidAuthority("Invalid owner authority", na.Owner, err)
	}
	if err := contracts.ValidateAuthority(na.Active); err != nil {
		return invalidAuthority("Invalid active authority", na.Active, err)
	}
	name := string(na.Name)
	if name == "" {
		return newErr(ErrActionValidate, "account name cannot be empty")
	}
	if _, err := contracts.NameValue(name); err != nil || len(name) > 12 {
		return newErr(ErrActionValidate, "account names can only be 12 chars long")
	}
	creator := a.d.accounts[string(na.Creator)]
	if (creator == nil || !creator.Privileged) && strings.HasPrefix(name, "eosio.") {
		return newErr(ErrActionValidate, "only privileged accounts can have names that start with 'eosio.'")
	}
	if a.d.accounts[name] != nil {
		return newErr(ErrAccountExists, "Cannot create account named %s, as that name is already taken", name)
	}
	for _, auth := range []eos.Authority{na.Owner, na.Active} {
		if err := a.validateAuthorityPrecondition(auth); err != nil {
			return err
		}
	}
	owner, err := authorityFromEOS(na.Owner)
	if err != nil {
		return newErr(ErrActionValidate, "Invalid owner authority: %v", err)
	}
	active, err := authorityFromEOS(na.Active)
	if err != nil {
		return newErr(ErrActionValidate, "Invalid active authority: %v", err)
	}
	now := a.now()
	acct := &account{Name: name, Created: now, Perms: map[string]*permission{}, Links: map[linkKey]string{}}
	acct.Perms["owner"] = &permission{Name: "owner", Auth: owner, LastUpdated: now}
	acct.Perms["active"] = &permission{Name: "active", Parent: "owner", Auth: active, LastUpdated: now}
	a.d.addAccount(acct)
	return nil
}

func applyUpdateAuth(a *actionCtx) error {
	u, hasBy, err := contracts.DecodeUpdateAuth(a.data)
	if err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	if err := a.requireAuth(string(u.Account)); err != nil {
		return err
	}
	perm, parent := string(u.Permission), string(u.Parent)
	switch {
	case perm == "":
		return newErr(ErrActionValidate, "Cannot create authority with empty name")
	case strings.HasPrefix(perm, "eosio."):
		return newErr(ErrActionValidate, "Permission names that start with 'eosio.' are reserved")
	case perm == parent:
		return newErr(ErrActionValidate, "Cannot set an authority as its own parent")
	}
	acct := a.d.accounts[string(u.Account)]
	if acct == nil {
		return newErr(ErrAccountQuery, "unknown key (eosio::chain::name): %s", u.Account)
	}
	if _, err := contracts.NameValue(perm); err != nil {
		return newErr(ErrActionValidate, "Invalid permission name %q", perm)
	}
	if err := contracts.ValidateAuthority(u.Auth); err != nil {
		return invalidAuthority("Invalid authority", u.Auth, err)
	}
	if perm == "active" && parent != "owner" {
		return newErr(ErrActionValidate, "Cannot change active authority's parent from owner")
	}
	if perm == "owner" {
		if parent != "" {
			return newErr(ErrActionValidate, "Cannot change owner authority's parent")
		}
	} else if parent == "" {
		return newErr(ErrActionValidate, "Only owner permission can have empty parent")
	}
	if n := len(u.Auth.Waits); n > 0 && u.Auth.Waits[n-1].WaitSec > maxTrxDelay {
		return newErr(ErrActionValidate, "Cannot set delay longer than max_transacton_delay, which is %d seconds", maxTrxDelay)
	}
	if err := a.validateAuthorityPrecondition(u.Auth); err != nil {
		return err
	}
	if perm != "owner" && acct.Perms[parent] == nil {
		return newErr(ErrPermissionQuery, "Failed to retrieve permission: %s", level{acct.Name, parent}.json())
	}
	existing := acct.Perms[perm]
	if existing != nil && existing.Parent != parent {
		return newErr(ErrActionValidate, "Changing parent authority is not currently supported")
	}
	auth, err := authorityFromEOS(u.Auth)
	if err != nil {
		return newErr(ErrActionValidate, "Invalid authority: %v", err)
	}
	if err := a.checkAuthorizedBy(acct.Name, hasBy, u.AuthorizedBy); err != nil {
		return err
	}
	a.d.setPermission(acct, &permission{Name: perm, Parent: parent, Auth: auth, LastUpdated: a.now()})
	return nil
}

func applyDeleteAuth(a *actionCtx) error {
	del, hasBy, err := contracts.DecodeDeleteAuth(a.data)
	if err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	if err := a.requireAuth(string(del.Account)); err != nil {
		return err
	}
	perm := string(del.Permission)
	switch perm {
	case "active":
		return newErr(ErrActionValidate, "Cannot delete active authority")
	case "owner":
		return newErr(ErrActionValidate, "Cannot delete owner authority")
	}
	acct := a.d.accounts[string(del.Account)]
	if acct == nil {
		return newErr(ErrAccountQuery, "unknown key (eosio::chain::name): %s", del.Account)
	}
	for _, k := range sortedLinks(acct) {
		if acct.Links[k] == perm {
			return newErr(ErrActionValidate, "Cannot delete a linked authority. Unlink the authority first. This authority is linked to %s::%s.", k.Code, k.Action)
		}
	}
	if acct.Perms[perm] == nil {
		return newErr(ErrPermissionQuery, "Failed to retrieve permission: %s", level{acct.Name, perm}.json())
	}
	for _, p := range acct.Perms {
		if p.Parent == perm {
			return newErr(ErrActionValidate, "Cannot remove a permission which has children. Remove the children first.")
		}
	}
	if err := a.checkAuthorizedBy(acct.Name, hasBy, del.AuthorizedBy); err != nil {
		return err
	}
	a.d.deletePermission(acct, perm)
	return nil
}

func applyLinkAuth(a *actionCtx) error {
	l, hasBy, err := contracts.DecodeLinkAuth(a.data)
	if err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	if l.Requirement == "" {
		return newErr(ErrActionValidate, "Required permission cannot be empty")
	}
	if err := a.requireAuth(string(l.Account)); err != nil {
		return err
	}
	acct := a.d.accounts[string(l.Account)]
	if acct == nil {
		return newErr(ErrAccountQuery, "Failed to retrieve account: %s", l.Account)
	}
	if a.d.accounts[string(l.Code)] == nil {
		return newErr(ErrAccountQuery, "Failed to retrieve code for account: %s", l.Code)
	}
	if l.Requirement != contracts.Any && acct.Perms[string(l.Requirement)] == nil {
		return newErr(ErrPermissionQuery, "Failed to retrieve permission: %s", l.Requirement)
	}
	k := linkKey{string(l.Code), string(l.Type)}
	if old, ok := acct.Links[k]; ok && old == string(l.Requirement) {
		return newErr(ErrActionValidate, "Attempting to update required authority, but new requirement is same as old")
	}
	if err := a.checkAuthorizedBy(acct.Name, hasBy, l.AuthorizedBy); err != nil {
		return err
	}
	a.d.setLink(acct, k, string(l.Requirement))
	return nil
}

func applyUnlinkAuth(a *actionCtx) error {
	u, hasBy, err := contracts.DecodeUnlinkAuth(a.data)
	if err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	if err := a.requireAuth(string(u.Account)); err != nil {
		return err
	}
	acct := a.d.accounts[string(u.Account)]
	k := linkKey{string(u.Code), string(u.Type)}
	if acct == nil || acct.Links[k] == "" {
		return newErr(ErrActionValidate, "Attempting to unlink authority, but no link found")
	}
	if err := a.checkAuthorizedBy(acct.Name, hasBy, u.AuthorizedBy); err != nil {
		return err
	}
	a.d.deleteLink(acct, k)
	return nil
}
