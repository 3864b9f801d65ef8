package permissions

import (
	"fmt"
	"slices"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
)

// ApplyNative applies one native auth action (eosio::updateauth,
// deleteauth, linkauth or unlinkauth, given as its packed data, with or
// without authorized_by) or eosio::limitauthchg to the model, as nodeos and
// the system contract would if it succeeded. Actions on another account are
// ignored; other actions are an error. It is how a proposal's effect on a
// tree is previewed; it does not validate (the chain and the policies do).
func (a *Account) ApplyNative(action string, data []byte) error {
	switch action {
	case "updateauth":
		u, _, err := contracts.DecodeUpdateAuth(data)
		if err != nil {
			return fmt.Errorf("updateauth: %w", err)
		}
		if string(u.Account) != a.Name {
			return nil
		}
		auth, err := AuthorityFromEOS(u.Auth)
		if err != nil {
			return fmt.Errorf("updateauth %s@%s: %w", u.Account, u.Permission, err)
		}
		if p := a.Perm(string(u.Permission)); p != nil {
			p.Auth = auth
		} else {
			a.Permissions = append(a.Permissions, Permission{Name: string(u.Permission), Parent: string(u.Parent), Auth: auth, Links: []Link{}})
		}
	case "deleteauth":
		d, _, err := contracts.DecodeDeleteAuth(data)
		if err != nil {
			return fmt.Errorf("deleteauth: %w", err)
		}
		if string(d.Account) != a.Name {
			return nil
		}
		a.Permissions = slices.DeleteFunc(a.Permissions, func(p Permission) bool { return p.Name == string(d.Permission) })
	case "linkauth":
		l, _, err := contracts.DecodeLinkAuth(data)
		if err != nil {
			return fmt.Errorf("linkauth: %w", err)
		}
		if string(l.Account) != a.Name {
			return nil
		}
		link := Link{Contract: string(l.Code), Action: string(l.Type)}
		a.unlink(link)
		if string(l.Requirement) == Any {
			a.AnyLinks = append(a.AnyLinks, link)
		} else if p := a.Perm(string(l.Requirement)); p != nil {
			p.Links = append(p.Links, link)
		} else {
			return fmt.Errorf("linkauth to %s@%s: no such permission", l.Account, l.Requirement)
		}
	case "unlinkauth":
		u, _, err := contracts.DecodeUnlinkAuth(data)
		if err != nil {
			return fmt.Errorf("unlinkauth: %w", err)
		}
		if string(u.Account) != a.Name {
			return nil
		}
		a.unlink(Link{Contract: string(u.Code), Action: string(u.Type)})
	case "limitauthchg":
		l := contracts.LimitAuthChg{}
		if err := contracts.Decode(data, &l); err != nil {
			return fmt.Errorf("limitauthchg: %w", err)
		}
		if string(l.Account) != a.Name {
			return nil
		}
		a.AuthChange = nil
		if len(l.AllowPerms) > 0 || len(l.DisallowPerms) > 0 {
			a.AuthChange = &AuthChangeLimit{Allow: namesOf(l.AllowPerms), Disallow: namesOf(l.DisallowPerms)}
		}
	default:
		return fmt.Errorf("eosio::%s is not a native auth action", action)
	}
	a.Normalize()
	return nil
}

// unlink removes a link wherever it is.
func (a *Account) unlink(l Link) {
	for i := range a.Permissions {
		a.Permissions[i].Links = slices.DeleteFunc(a.Permissions[i].Links, func(x Link) bool { return x == l })
	}
	a.AnyLinks = slices.DeleteFunc(a.AnyLinks, func(x Link) bool { return x == l })
}

func namesOf(ns []eos.Name) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = string(n)
	}
	return out
}

// NativeTarget returns the account a native auth action (or limitauthchg)
// changes; ok is false for other actions.
func NativeTarget(action string, data []byte) (account string, ok bool, err error) {
	switch action {
	case "updateauth":
		v, _, err := contracts.DecodeUpdateAuth(data)
		return string(v.Account), true, err
	case "deleteauth":
		v, _, err := contracts.DecodeDeleteAuth(data)
		return string(v.Account), true, err
	case "linkauth":
		v, _, err := contracts.DecodeLinkAuth(data)
		return string(v.Account), true, err
	case "unlinkauth":
		v, _, err := contracts.DecodeUnlinkAuth(data)
		return string(v.Account), true, err
	case "limitauthchg":
		var v contracts.LimitAuthChg
		err := contracts.Decode(data, &v)
		return string(v.Account), true, err
	}
	return "", false, nil
}
