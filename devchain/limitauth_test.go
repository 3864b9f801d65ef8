package devchain

import (
	"encoding/json"
	"testing"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
)

// limitauthchg as eos-system-contracts implements it: the setting is
// validated, kept in eosio's limitauthchg table (scope eosio), and every
// authority change of the account must then name an allowed authorized_by
// that authorized it.
func TestLimitAuthChg(t *testing.T) {
	e := newEnv(t, testGenesis())
	limit := func(allow, disallow []eos.Name, auth string) *eos.Action {
		return act("eosio", "limitauthchg", contracts.LimitAuthChg{Account: "alice", AllowPerms: allow, DisallowPerms: disallow}, auth)
	}
	upd := func(perm string, by eos.PermissionName, auth string) *eos.Action {
		u := contracts.UpdateAuth{Account: "alice", Permission: eos.PermissionName(perm), Parent: "active", Auth: keysAuth(1, kAlice)}
		if perm == "active" {
			u.Parent = "owner"
		}
		if by == "" {
			return act("eosio", "updateauth", u, auth)
		}
		return act("eosio", "updateauth", contracts.UpdateAuthBy{UpdateAuth: u, AuthorizedBy: by}, auth)
	}
	link := func(by eos.PermissionName) *eos.Action {
		return act("eosio", "linkauth", contracts.LinkAuthBy{LinkAuth: contracts.LinkAuth{Account: "alice", Code: "eosio.token", Type: "transfer", Requirement: "ops"}, AuthorizedBy: by}, "alice@active")
	}
	for _, tc := range []struct {
		name string
		act  *eos.Action
		kind *Error
		msg  string
	}{
		{"both lists", limit([]eos.Name{"owner"}, []eos.Name{"ops"}, "alice@active"), ErrEosioAssert, "either allow_perms or disallow_perms must be empty"},
		{"allow without owner", limit([]eos.Name{"active"}, nil, "alice@active"), ErrEosioAssert, "allow_perms does not contain owner"},
		{"disallow owner", limit(nil, []eos.Name{"owner"}, "alice@active"), ErrEosioAssert, "disallow_perms contains owner"},
		{"another account's limit", limit([]eos.Name{"owner"}, nil, "bob@active"), ErrMissingAuth, "missing authority of alice"},
		{"no limit: plain updateauth", upd("ops", "", "alice@active"), nil, ""},
		{"allow owner and active", limit([]eos.Name{"owner", "active"}, nil, "alice@active"), nil, ""},
		{"authorized_by now required", upd("ops", "", "alice@active"), ErrEosioAssert, "authorized_by is required for this account"},
		{"authorized_by allowed", upd("ops", "active", "alice@active"), nil, ""},
		{"link with authorized_by", link("active"), nil, ""},
		{"allow owner only", limit([]eos.Name{"owner"}, nil, "alice@active"), nil, ""},
		{"active no longer allowed", upd("ops", "active", "alice@active"), ErrEosioAssert, "authorized_by does not appear in allow_perms"},
		{"owner allowed", upd("ops", "owner", "alice@owner"), nil, ""},
		{"disallow ops", limit(nil, []eos.Name{"ops"}, "alice@active"), nil, ""},
		{"ops disallowed", upd("ops", "ops", "alice@ops"), ErrEosioAssert, "authorized_by appears in disallow_perms"},
		{"active allowed again", upd("ops", "active", "alice@active"), nil, ""},
		{"remove the limit", limit(nil, nil, "alice@active"), nil, ""},
		{"plain again", upd("ops", "", "alice@active"), nil, ""},
	} {
		e.c.ProduceBlocks(1) // a new reference block: no duplicate transaction ids
		key := kAlice
		if tc.act.Authorization[0].Actor == "bob" {
			key = kBob
		}
		_, err := e.push([]*eos.Action{tc.act}, key)
		if tc.kind == nil {
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			continue
		}
		t.Run(tc.name, func(t *testing.T) { wantErr(t, err, tc.kind, tc.msg) })
	}
	// The table as get_table_rows shows it.
	e.c.ProduceBlocks(1)
	e.mustPush([]*eos.Action{limit([]eos.Name{"owner", "active"}, nil, "alice@active")}, kAlice)
	rows, err := e.c.GetTableRows(TableRowsRequest{Code: "eosio", Scope: "eosio", Table: "limitauthchg", JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rows.Rows)
	if want := `[{"account":"alice","allow_perms":["owner","active"],"disallow_perms":[],"version":0}]`; string(b) != want {
		t.Fatalf("rows %s, want %s", b, want)
	}
}
