package devchain

import (
	"testing"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

func keysAuth(threshold uint32, keys ...*testsigner.Key) eos.Authority {
	a := eos.Authority{Threshold: threshold}
	for _, k := range keys {
		a.Keys = append(a.Keys, eos.KeyWeight{PublicKey: k.PublicKey().ECC(), Weight: 1})
	}
	return a
}

func TestNativeActions(t *testing.T) {
	e := newEnv(t, testGenesis())
	k1, k2 := kAlice, kCarol // both K1
	if signer.Compare(k1.PublicKey(), k2.PublicKey()) > 0 {
		k1, k2 = k2, k1
	}
	upd := func(perm, parent string, auth eos.Authority) *eos.Action {
		return act("eosio", "updateauth", contracts.UpdateAuth{Account: "alice", Permission: eos.PermissionName(perm), Parent: eos.PermissionName(parent), Auth: auth}, "alice@active")
	}
	cases := []struct {
		name string
		acts []*eos.Action
		kind *Error
		msg  string
	}{
		{"unsorted keys", []*eos.Action{upd("ops", "active", keysAuth(1, k2, k1))}, ErrActionValidate, "Invalid authority: "},
		{"duplicate keys", []*eos.Action{upd("ops", "active", keysAuth(1, k1, k1))}, ErrActionValidate, "Invalid authority: "},
		{"unreachable threshold", []*eos.Action{upd("ops", "active", keysAuth(3, k1, k2))}, ErrActionValidate, "Invalid authority: "},
		{"reserved name", []*eos.Action{upd("eosio.foo", "active", keysAuth(1, k1))}, ErrActionValidate, "Permission names that start with 'eosio.' are reserved"},
		{"unsorted accounts", []*eos.Action{upd("ops", "active", eos.Authority{Threshold: 1, Accounts: []eos.PermissionLevelWeight{{Permission: lv("carol@active"), Weight: 1}, {Permission: lv("bob@active"), Weight: 1}}})}, ErrActionValidate, "Invalid authority"},
		{"create ops", []*eos.Action{upd("ops", "active", keysAuth(1, k1, k2))}, nil, ""},
		{"parent change", []*eos.Action{upd("ops", "owner", keysAuth(1, k1))}, ErrActionValidate, "Changing parent authority is not currently supported"},
		{"active parent", []*eos.Action{act("eosio", "updateauth", contracts.UpdateAuth{Account: "alice", Permission: "active", Parent: "ops", Auth: keysAuth(1, kAlice)}, "alice@owner")}, ErrActionValidate, "Cannot change active authority's parent from owner"},
		{"link native action", []*eos.Action{act("eosio", "linkauth", contracts.LinkAuth{Account: "alice", Code: "eosio", Type: "updateauth", Requirement: "ops"}, "alice@active")}, ErrActionValidate, "Cannot link eosio::updateauth to a minimum permission"},
		{"link", []*eos.Action{act("eosio", "linkauth", contracts.LinkAuth{Account: "alice", Code: "eosio.token", Type: "transfer", Requirement: "ops"}, "alice@active")}, nil, ""},
		{"relink same", []*eos.Action{act("eosio", "linkauth", contracts.LinkAuth{Account: "alice", Code: "eosio.token", Type: "transfer", Requirement: "ops"}, "alice@active")}, ErrActionValidate, "new requirement is same as old"},
		{"link to missing permission", []*eos.Action{act("eosio", "linkauth", contracts.LinkAuth{Account: "alice", Code: "eosio.token", Type: "open", Requirement: "nosuch"}, "alice@active")}, ErrPermissionQuery, "Failed to retrieve permission"},
		{"delete linked", []*eos.Action{act("eosio", "deleteauth", contracts.DeleteAuth{Account: "alice", Permission: "ops"}, "alice@active")}, ErrActionValidate, "Cannot delete a linked authority. Unlink the authority first. This authority is linked to eosio.token::transfer."},
		{"delete active", []*eos.Action{act("eosio", "deleteauth", contracts.DeleteAuth{Account: "alice", Permission: "active"}, "alice@active")}, ErrActionValidate, "Cannot delete active authority"},
		{"updateauth declaring a child", []*eos.Action{act("eosio", "updateauth", contracts.UpdateAuth{Account: "alice", Permission: "active", Parent: "owner", Auth: keysAuth(1, kAlice)}, "alice@ops")}, ErrIrrelevantAuth, "updateauth action declares irrelevant authority"},
		{"authorized_by missing", []*eos.Action{act("eosio", "updateauth", contracts.UpdateAuthBy{UpdateAuth: contracts.UpdateAuth{Account: "alice", Permission: "ops2", Parent: "active", Auth: keysAuth(1, kAlice)}, AuthorizedBy: "owner"}, "alice@active")}, ErrMissingAuth, "missing authority of alice/owner"},
		{"authorized_by present", []*eos.Action{act("eosio", "updateauth", contracts.UpdateAuthBy{UpdateAuth: contracts.UpdateAuth{Account: "alice", Permission: "ops2", Parent: "active", Auth: keysAuth(1, kAlice)}, AuthorizedBy: "active"}, "alice@active")}, nil, ""},
		{"unlink", []*eos.Action{act("eosio", "unlinkauth", contracts.UnlinkAuth{Account: "alice", Code: "eosio.token", Type: "transfer"}, "alice@active")}, nil, ""},
		{"unlink again", []*eos.Action{act("eosio", "unlinkauth", contracts.UnlinkAuth{Account: "alice", Code: "eosio.token", Type: "transfer"}, "alice@active")}, ErrTransaction, "cannot unlink non-existent permission link"},
		{"delete ops2 then ops", []*eos.Action{
			act("eosio", "deleteauth", contracts.DeleteAuth{Account: "alice", Permission: "ops2"}, "alice@active"),
			act("eosio", "deleteauth", contracts.DeleteAuth{Account: "alice", Permission: "ops"}, "alice@active"),
		}, nil, ""},
		{"newaccount reserved", []*eos.Action{act("eosio", "newaccount", contracts.NewAccount{Creator: "alice", Name: "eosio.bad", Owner: keysAuth(1, kAlice), Active: keysAuth(1, kAlice)}, "alice@active")}, ErrActionValidate, "only privileged accounts can have names that start with 'eosio.'"},
		{"newaccount", []*eos.Action{act("eosio", "newaccount", contracts.NewAccount{Creator: "alice", Name: "dave", Owner: keysAuth(1, kAlice), Active: keysAuth(1, kAlice)}, "alice@active")}, nil, ""},
		{"newaccount taken", []*eos.Action{act("eosio", "newaccount", contracts.NewAccount{Creator: "alice", Name: "dave", Owner: keysAuth(1, kAlice), Active: keysAuth(1, kAlice)}, "alice@active")}, ErrAccountExists, "Cannot create account named dave"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.c.ProduceBlocks(1)
			key := kAlice
			if tc.name == "updateauth declaring a child" {
				key = k1
			}
			_, err := e.push(tc.acts, key)
			if tc.kind == nil {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			wantErr(t, err, tc.kind, tc.msg)
		})
	}
	info, err := e.c.GetAccount("alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Permissions) != 2 {
		t.Fatalf("alice should be back to owner+active, has %+v", info.Permissions)
	}
	if _, err := e.c.GetAccount("dave"); err != nil {
		t.Fatalf("dave not created: %v", err)
	}
}
