package devchain

import (
	"slices"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
)

// eosio.system's limitauthchg, written from eos-system-contracts
// (contracts/eosio.system/src/limit_auth_changes.cpp): an account opts in
// to restricting which of its permissions may authorize changes to its
// authorities; the system contract's updateauth, deleteauth, linkauth and
// unlinkauth handlers (native.cpp) then run check_auth_change.

func init() {
	handle("eosio", "limitauthchg", sysLimitAuthChg)
}

var limitAuthTable = tableID{nEosio, nEosio, nameValue("limitauthchg")}

func sysLimitAuthChg(a *actionCtx) error {
	var l contracts.LimitAuthChg
	if err := contracts.Decode(a.data, &l); err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	if err := a.requireAuth(string(l.Account)); err != nil {
		return err
	}
	if err := check(len(l.AllowPerms) == 0 || len(l.DisallowPerms) == 0, "either allow_perms or disallow_perms must be empty"); err != nil {
		return err
	}
	if err := check(len(l.AllowPerms) == 0 || slices.Contains(l.AllowPerms, eos.Name("owner")), "allow_perms does not contain owner"); err != nil {
		return err
	}
	if err := check(!slices.Contains(l.DisallowPerms, eos.Name("owner")), "disallow_perms contains owner"); err != nil {
		return err
	}
	k := nameValue(string(l.Account))
	if len(l.AllowPerms) == 0 && len(l.DisallowPerms) == 0 {
		if _, ok := a.d.getRow(limitAuthTable, k); ok {
			a.d.eraseRow(limitAuthTable, k)
		}
		return nil
	}
	row := contracts.LimitAuthChangeRow{Account: l.Account, AllowPerms: l.AllowPerms, DisallowPerms: l.DisallowPerms}
	if row.AllowPerms == nil {
		row.AllowPerms = []eos.Name{}
	}
	if row.DisallowPerms == nil {
		row.DisallowPerms = []eos.Name{}
	}
	a.d.setRow(limitAuthTable, k, k, contracts.MustEncode(row))
	return nil
}

// checkAuthorizedBy is the system contract's check_auth_change: when
// authorized_by is given, account@authorized_by must have authorized the
// action; when the account has a limitauthchg row, authorized_by is
// required and must be allowed by it.
func (a *actionCtx) checkAuthorizedBy(account string, present bool, by eos.PermissionName) error {
	if present && by != "" {
		if err := a.requireAuthLevel(level{account, string(by)}); err != nil {
			return err
		}
	}
	r, ok := a.d.getRow(limitAuthTable, nameValue(account))
	if !ok {
		return nil
	}
	var row contracts.LimitAuthChangeRow
	if err := contracts.Decode(r.Data, &row); err != nil {
		return newErr(ErrUnpack, "limitauthchg row of %s: %v", account, err)
	}
	if err := check(present && by != "", "authorized_by is required for this account"); err != nil {
		return err
	}
	if len(row.AllowPerms) > 0 {
		return check(slices.Contains(row.AllowPerms, eos.Name(by)), "authorized_by does not appear in allow_perms")
	}
	return check(!slices.Contains(row.DisallowPerms, eos.Name(by)), "authorized_by appears in disallow_perms")
}
