package permissions

import "slices"

// Power is a class of sensitive things a permission may be able to do.
type Power string

// The sensitive powers the safety rules reason about.
const (
	// PowerAuth: change the account's authorities (owner or active, and so
	// every permission under active).
	PowerAuth Power = "change-auth"
	// PowerCode: set the account's code or ABI (eosio::setcode, setabi).
	PowerCode Power = "set-code"
	// PowerFunds: move the account's tokens, stake or RAM.
	PowerFunds Power = "move-funds"
	// PowerApprove: approve multisig proposals as the account.
	PowerApprove Power = "approve-proposals"
	// PowerBlockKey: replace the block-signing (or finalizer) authority.
	PowerBlockKey Power = "block-signing"
)

// AllPowers lists every power, most dangerous first.
var AllPowers = []Power{PowerAuth, PowerCode, PowerFunds, PowerApprove, PowerBlockKey}

// Describe says in words what the power allows.
func (p Power) Describe() string {
	switch p {
	case PowerAuth:
		return "change the account's authorities"
	case PowerCode:
		return "set the account's code or ABI"
	case PowerFunds:
		return "move the account's funds, stake or RAM"
	case PowerApprove:
		return "approve multisig proposals as the account"
	case PowerBlockKey:
		return "replace the block-signing authority"
	}
	return string(p)
}

// PowerActions are the actions that give each power (PowerAuth has none:
// native authority actions cannot be linked and always need the permission
// they change or its parent).
var PowerActions = map[Power][]Link{
	PowerCode: {{"eosio", "setcode"}, {"eosio", "setabi"}},
	PowerFunds: {
		{"eosio.token", "transfer"},
		{"eosio", "delegatebw"}, {"eosio", "undelegatebw"},
		{"eosio", "buyram"}, {"eosio", "buyrambytes"}, {"eosio", "buyramself"}, {"eosio", "sellram"}, {"eosio", "ramtransfer"},
		{"eosio", "deposit"}, {"eosio", "withdraw"}, {"eosio", "buyrex"}, {"eosio", "sellrex"}, {"eosio", "unstaketorex"},
		{"eosio", "rentcpu"}, {"eosio", "rentnet"}, {"eosio", "powerup"}, {"eosio", "bidname"},
	},
	PowerApprove:  {{"eosio.msig", "approve"}},
	PowerBlockKey: {{"eosio", "regproducer"}, {"eosio", "regproducer2"}, {"eosio", "regfinkey"}, {"eosio", "actfinkey"}},
}

// AuthChangeLimit is an account's row of eosio.system's limitauthchg table
// (code eosio, scope eosio): when present, every updateauth, deleteauth,
// linkauth and unlinkauth of the account must carry authorized_by, naming
// a permission in Allow (when Allow is not empty) or not in Disallow, and
// signed by account@authorized_by.
type AuthChangeLimit struct {
	Allow    []string `json:"allow_perms"`
	Disallow []string `json:"disallow_perms"`
}

// MayAuthorize reports whether perm may be an authorized_by of the account's
// authority changes under the limit (always, without one).
func (l *AuthChangeLimit) MayAuthorize(perm string) bool {
	if l == nil {
		return true
	}
	if len(l.Allow) > 0 {
		return slices.Contains(l.Allow, perm)
	}
	return !slices.Contains(l.Disallow, perm)
}

// CanRun reports whether permission perm of the account is enough for
// action l.Contract::l.Action (nodeos's lookup_minimum_permission: the
// action's link, else the contract-wide link, else active; a permission
// satisfies itself and everything below it; eosio.any: every permission).
// An l with an empty Action asks about an action of the contract that has
// no link of its own.
func (a *Account) CanRun(perm string, l Link) bool {
	if a.Perm(perm) == nil {
		return false
	}
	min, any := a.MinimumPermission(l.Contract, l.Action)
	if any {
		return true
	}
	return a.IsUnder(min, perm)
}

// PowersOf lists the sensitive powers permission perm has: changing
// authorities when it satisfies active (and limitauthchg lets it authorize
// changes), and each power one of whose actions it can run.
func (a *Account) PowersOf(perm string) []Power {
	if a.Perm(perm) == nil {
		return nil
	}
	var out []Power
	for _, p := range AllPowers {
		if p == PowerAuth {
			if a.changesAuth(perm) {
				out = append(out, p)
			}
			continue
		}
		if slices.ContainsFunc(PowerActions[p], func(l Link) bool { return a.CanRun(perm, l) }) {
			out = append(out, p)
		}
	}
	return out
}

// changesAuth: owner can always change every authority (limitauthchg
// requires owner to stay allowed); active can when the limit lets it
// authorize; any other permission only its own subtree, which gives it
// nothing it does not already have.
func (a *Account) changesAuth(perm string) bool {
	switch perm {
	case Owner:
		return true
	case Active:
		return a.AuthChange.MayAuthorize(Active)
	}
	return false
}

// PowerVia names a linked action that gives perm the power (for messages),
// or "" (PowerAuth, or only through active's default).
func (a *Account) PowerVia(perm string, p Power) string {
	for _, l := range PowerActions[p] {
		if a.CanRun(perm, l) {
			if lp, ok := a.LinkedPermission(l.Contract, l.Action); ok {
				if lp == Any {
					return l.String() + ", linked to eosio.any"
				}
				if k, _ := a.linkOf(l); k.Action == "" {
					return l.String() + ", through the contract-wide link " + k.String() + " on " + lp
				}
				return l.String() + ", linked to " + lp
			}
		}
	}
	return ""
}

// linkOf returns the link that decides l's minimum permission.
func (a *Account) linkOf(l Link) (Link, bool) {
	links := a.Links()
	if _, ok := links[l]; ok {
		return l, true
	}
	w := Link{Contract: l.Contract}
	if _, ok := links[w]; ok {
		return w, true
	}
	return Link{}, false
}
