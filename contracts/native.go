package contracts

import (
	"fmt"

	eos "github.com/eoscanada/eos-go"
)

// Account names of the contracts modelled here.
const (
	System = eos.AccountName("eosio")
	Msig   = eos.AccountName("eosio.msig")
	Token  = eos.AccountName("eosio.token")
	BPay   = eos.AccountName("eosio.bpay")
	VPay   = eos.AccountName("eosio.vpay")
)

// Well-known permission names.
const (
	Owner  = eos.PermissionName("owner")
	Active = eos.PermissionName("active")
	// Code is the permission a contract's inline actions carry (eosio.code).
	Code = eos.PermissionName("eosio.code")
	// Any is the pseudo-permission that linkauth accepts to mean "any
	// permission of the account satisfies this action" (eosio.any).
	Any = eos.PermissionName("eosio.any")
)

// NewAccount is eosio::newaccount.
type NewAccount struct {
	Creator eos.AccountName `json:"creator"`
	Name    eos.AccountName `json:"name"`
	Owner   eos.Authority   `json:"owner"`
	Active  eos.Authority   `json:"active"`
}

// UpdateAuth is eosio::updateauth without the authorized_by extension.
type UpdateAuth struct {
	Account    eos.AccountName    `json:"account"`
	Permission eos.PermissionName `json:"permission"`
	Parent     eos.PermissionName `json:"parent"`
	Auth       eos.Authority      `json:"auth"`
}

// UpdateAuthBy is eosio::updateauth with the trailing authorized_by name
// (the system contract then also requires account@authorized_by).
type UpdateAuthBy struct {
	UpdateAuth
	AuthorizedBy eos.PermissionName `json:"authorized_by"`
}

// DeleteAuth is eosio::deleteauth without authorized_by.
type DeleteAuth struct {
	Account    eos.AccountName    `json:"account"`
	Permission eos.PermissionName `json:"permission"`
}

// DeleteAuthBy is eosio::deleteauth with authorized_by.
type DeleteAuthBy struct {
	DeleteAuth
	AuthorizedBy eos.PermissionName `json:"authorized_by"`
}

// LinkAuth is eosio::linkauth without authorized_by: actions code::type of
// account need at least the permission requirement.
type LinkAuth struct {
	Account     eos.AccountName    `json:"account"`
	Code        eos.AccountName    `json:"code"`
	Type        eos.ActionName     `json:"type"`
	Requirement eos.PermissionName `json:"requirement"`
}

// LinkAuthBy is eosio::linkauth with authorized_by.
type LinkAuthBy struct {
	LinkAuth
	AuthorizedBy eos.PermissionName `json:"authorized_by"`
}

// UnlinkAuth is eosio::unlinkauth without authorized_by.
type UnlinkAuth struct {
	Account eos.AccountName `json:"account"`
	Code    eos.AccountName `json:"code"`
	Type    eos.ActionName  `json:"type"`
}

// UnlinkAuthBy is eosio::unlinkauth with authorized_by.
type UnlinkAuthBy struct {
	UnlinkAuth
	AuthorizedBy eos.PermissionName `json:"authorized_by"`
}

// decodeWithExtension decodes data into base, then reads a trailing name
// into *ext when bytes remain. It reports whether the extension was present.
func decodeWithExtension(data []byte, base any, ext *eos.PermissionName) (bool, error) {
	d := eos.NewDecoder(data)
	if err := d.Decode(base); err != nil {
		return false, err
	}
	rest := len(data) - d.LastPos()
	switch {
	case rest == 0:
		return false, nil
	case rest < 8:
		return false, fmt.Errorf("%d trailing bytes after the action data: expected none or an 8-byte authorized_by name", rest)
	}
	n, err := d.ReadName()
	if err != nil {
		return false, err
	}
	*ext = eos.PermissionName(n)
	return true, nil
}

// DecodeUpdateAuth decodes updateauth data with or without authorized_by.
func DecodeUpdateAuth(data []byte) (UpdateAuthBy, bool, error) {
	var v UpdateAuthBy
	ok, err := decodeWithExtension(data, &v.UpdateAuth, &v.AuthorizedBy)
	if err != nil {
		return v, false, fmt.Errorf("decoding updateauth: %w", err)
	}
	return v, ok, nil
}

// DecodeDeleteAuth decodes deleteauth data with or without authorized_by.
func DecodeDeleteAuth(data []byte) (DeleteAuthBy, bool, error) {
	var v DeleteAuthBy
	ok, err := decodeWithExtension(data, &v.DeleteAuth, &v.AuthorizedBy)
	if err != nil {
		return v, false, fmt.Errorf("decoding deleteauth: %w", err)
	}
	return v, ok, nil
}

// DecodeLinkAuth decodes linkauth data with or without authorized_by.
func DecodeLinkAuth(data []byte) (LinkAuthBy, bool, error) {
	var v LinkAuthBy
	ok, err := decodeWithExtension(data, &v.LinkAuth, &v.AuthorizedBy)
	if err != nil {
		return v, false, fmt.Errorf("decoding linkauth: %w", err)
	}
	return v, ok, nil
}

// DecodeUnlinkAuth decodes unlinkauth data with or without authorized_by.
func DecodeUnlinkAuth(data []byte) (UnlinkAuthBy, bool, error) {
	var v UnlinkAuthBy
	ok, err := decodeWithExtension(data, &v.UnlinkAuth, &v.AuthorizedBy)
	if err != nil {
		return v, false, fmt.Errorf("decoding unlinkauth: %w", err)
	}
	return v, ok, nil
}

// Decode unpacks action data or a table row into v with eos-go's codec,
// and refuses trailing bytes.
func Decode(data []byte, v any) error {
	d := eos.NewDecoder(data)
	if err := d.Decode(v); err != nil {
		return err
	}
	if rest := len(data) - d.LastPos(); rest != 0 {
		return fmt.Errorf("%d unexpected trailing bytes", rest)
	}
	return nil
}

// Encode packs v with eos-go's codec.
func Encode(v any) ([]byte, error) { return eos.MarshalBinary(v) }

// MustEncode is Encode for values known to encode (tests, constants).
func MustEncode(v any) []byte {
	b, err := eos.MarshalBinary(v)
	if err != nil {
		panic(fmt.Sprintf("contracts: encoding %T: %v", v, err))
	}
	return b
}

// LimitAuthChg is eosio::limitauthchg: from then on every updateauth,
// deleteauth, linkauth and unlinkauth of Account must carry authorized_by,
// naming a permission in AllowPerms (when not empty) or not in
// DisallowPerms. Both empty removes the limit; they may not both be given;
// AllowPerms must contain owner and DisallowPerms must not.
type LimitAuthChg struct {
	Account       eos.AccountName `json:"account"`
	AllowPerms    []eos.Name      `json:"allow_perms"`
	DisallowPerms []eos.Name      `json:"disallow_perms"`
}

// LimitAuthChangeRow is a row of eosio's limitauthchg table (scope eosio,
// primary key the account).
type LimitAuthChangeRow struct {
	Version       uint8           `json:"version"`
	Account       eos.AccountName `json:"account"`
	AllowPerms    []eos.Name      `json:"allow_perms"`
	DisallowPerms []eos.Name      `json:"disallow_perms"`
}
