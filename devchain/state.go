package devchain

import (
	"sort"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/signer"
)

// level is a permission level actor@permission.
type level struct{ Actor, Permission string }

func (l level) eos() eos.PermissionLevel {
	return eos.PermissionLevel{Actor: eos.AccountName(l.Actor), Permission: eos.PermissionName(l.Permission)}
}

// json prints a level as nodeos prints permission_level in messages.
func (l level) json() string {
	return `{"actor":"` + l.Actor + `","permission":"` + l.Permission + `"}`
}

type keyWeight struct {
	Key    signer.PublicKey `json:"key"`
	Weight uint16           `json:"weight"`
}

type levelWeight struct {
	Level  level  `json:"permission"`
	Weight uint16 `json:"weight"`
}

type waitWeight struct {
	WaitSec uint32 `json:"wait_sec"`
	Weight  uint16 `json:"weight"`
}

// authority is an account authority with keys already parsed.
type authority struct {
	Threshold uint32        `json:"threshold"`
	Keys      []keyWeight   `json:"keys"`
	Accounts  []levelWeight `json:"accounts"`
	Waits     []waitWeight  `json:"waits"`
}

func authorityFromEOS(a eos.Authority) (authority, error) {
	out := authority{Threshold: a.Threshold, Keys: []keyWeight{}, Accounts: []levelWeight{}, Waits: []waitWeight{}}
	for _, k := range a.Keys {
		pk, err := signer.PublicKeyFromECC(k.PublicKey)
		if err != nil {
			return out, err
		}
		out.Keys = append(out.Keys, keyWeight{pk, k.Weight})
	}
	for _, p := range a.Accounts {
		out.Accounts = append(out.Accounts, levelWeight{level{string(p.Permission.Actor), string(p.Permission.Permission)}, p.Weight})
	}
	for _, w := range a.Waits {
		out.Waits = append(out.Waits, waitWeight{w.WaitSec, w.Weight})
	}
	return out, nil
}

type permission struct {
	Name        string    `json:"name"`
	Parent      string    `json:"parent"`
	Auth        authority `json:"auth"`
	LastUpdated time.Time `json:"last_updated"`
}

// linkKey is code::action of a linkauth; Action "" means every action of code.
type linkKey struct{ Code, Action string }

type account struct {
	Name       string
	Created    time.Time
	Privileged bool
	// Contract marks accounts whose actions the devchain implements (and
	// which therefore have an ABI).
	Contract bool
	Perms    map[string]*permission
	Links    map[linkKey]string
	// LinkSeq orders the links by creation, as nodeos lists them (its
	// permission_link objects by id).
	LinkSeq map[linkKey]uint64
}

// sortedPerms returns the account's permissions ordered by name value, as
// nodeos lists them.
func (a *account) sortedPerms() []*permission {
	out := make([]*permission, 0, len(a.Perms))
	for _, p := range a.Perms {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return nameValue(out[i].Name) < nameValue(out[j].Name) })
	return out
}

func nameValue(n string) uint64 {
	v, _ := eos.StringToName(n)
	return v
}

func nameString(v uint64) string { return eos.NameToString(v) }

// tableID names a contract table: code, scope, table.
type tableID struct{ Code, Scope, Table uint64 }

type row struct {
	Payer uint64
	Data  []byte
}

// table is one multi-index table with its primary index kept sorted, so
// lower_bound and paging are binary searches.
type table struct {
	keys []uint64
	rows map[uint64]*row
}

func (t *table) find(k uint64) (int, bool) {
	i := sort.Search(len(t.keys), func(i int) bool { return t.keys[i] >= k })
	return i, i < len(t.keys) && t.keys[i] == k
}

// db holds all chain state that transactions change, with an undo log so a
// failing transaction leaves no trace.
type db struct {
	accounts map[string]*account
	tables   map[tableID]*table
	undo     []func()
	// globalSeq counts executed actions (action receipts' global_sequence).
	globalSeq uint64
	// linkSeq numbers linkauth objects in creation order.
	linkSeq uint64
	recvSeq map[string]uint64
	authSeq map[string]uint64
}

func newDB() *db {
	return &db{accounts: map[string]*account{}, tables: map[tableID]*table{}, recvSeq: map[string]uint64{}, authSeq: map[string]uint64{}}
}

func (d *db) mark() int { return len(d.undo) }

func (d *db) rollback(mark int) {
	for i := len(d.undo) - 1; i >= mark; i-- {
		d.undo[i]()
	}
	d.undo = d.undo[:mark]
}

func (d *db) commit() { d.undo = d.undo[:0] }

func (d *db) getRow(id tableID, key uint64) (*row, bool) {
	t := d.tables[id]
	if t == nil {
		return nil, false
	}
	r, ok := t.rows[key]
	return r, ok
}

// setRow inserts or replaces a row.
func (d *db) setRow(id tableID, key uint64, payer uint64, data []byte) {
	t := d.tables[id]
	if t == nil {
		t = &table{rows: map[uint64]*row{}}
		d.tables[id] = t
		d.undo = append(d.undo, func() {
			if len(t.keys) == 0 {
				delete(d.tables, id)
			}
		})
	}
	if old, ok := t.rows[key]; ok {
		prev := *old
		old.Payer, old.Data = payer, data
		d.undo = append(d.undo, func() { *old = prev })
		return
	}
	i, _ := t.find(key)
	t.keys = append(t.keys, 0)
	copy(t.keys[i+1:], t.keys[i:])
	t.keys[i] = key
	t.rows[key] = &row{Payer: payer, Data: data}
	d.undo = append(d.undo, func() { d.eraseNoUndo(t, key) })
}

func (d *db) eraseNoUndo(t *table, key uint64) {
	i, ok := t.find(key)
	if !ok {
		return
	}
	t.keys = append(t.keys[:i], t.keys[i+1:]...)
	delete(t.rows, key)
}

func (d *db) eraseRow(id tableID, key uint64) {
	t := d.tables[id]
	if t == nil {
		return
	}
	old, ok := t.rows[key]
	if !ok {
		return
	}
	d.eraseNoUndo(t, key)
	d.undo = append(d.undo, func() {
		i, _ := t.find(key)
		t.keys = append(t.keys, 0)
		copy(t.keys[i+1:], t.keys[i:])
		t.keys[i] = key
		t.rows[key] = old
	})
}

func (d *db) addAccount(a *account) {
	d.accounts[a.Name] = a
	d.undo = append(d.undo, func() { delete(d.accounts, a.Name) })
}

func (d *db) setPermission(a *account, p *permission) {
	old, had := a.Perms[p.Name]
	a.Perms[p.Name] = p
	d.undo = append(d.undo, func() {
		if had {
			a.Perms[p.Name] = old
		} else {
			delete(a.Perms, p.Name)
		}
	})
}

func (d *db) deletePermission(a *account, name string) {
	old, had := a.Perms[name]
	if !had {
		return
	}
	delete(a.Perms, name)
	d.undo = append(d.undo, func() { a.Perms[name] = old })
}

func (d *db) setLink(a *account, k linkKey, req string) {
	old, had := a.Links[k]
	a.Links[k] = req
	if a.LinkSeq == nil {
		a.LinkSeq = map[linkKey]uint64{}
	}
	if !had {
		d.linkSeq++
		a.LinkSeq[k] = d.linkSeq
	}
	d.undo = append(d.undo, func() {
		if had {
			a.Links[k] = old
		} else {
			delete(a.Links, k)
			delete(a.LinkSeq, k)
		}
	})
}

func (d *db) deleteLink(a *account, k linkKey) {
	old, had := a.Links[k]
	if !had {
		return
	}
	seq := a.LinkSeq[k]
	delete(a.Links, k)
	delete(a.LinkSeq, k)
	d.undo = append(d.undo, func() { a.Links[k] = old; a.LinkSeq[k] = seq })
}

func (d *db) permission(l level) (*permission, bool) {
	a := d.accounts[l.Actor]
	if a == nil {
		return nil, false
	}
	p, ok := a.Perms[l.Permission]
	return p, ok
}

// counters for action receipts, undone with the transaction.
func (d *db) nextGlobalSeq() uint64 {
	d.globalSeq++
	d.undo = append(d.undo, func() { d.globalSeq-- })
	return d.globalSeq
}

func (d *db) bump(m map[string]uint64, k string) uint64 {
	m[k]++
	d.undo = append(d.undo, func() { m[k]-- })
	return m[k]
}

// Table ids of the contracts the devchain runs.
var (
	nEosio     = nameValue("eosio")
	nMsig      = nameValue("eosio.msig")
	nToken     = nameValue("eosio.token")
	nBPay      = nameValue("eosio.bpay")
	nProducers = nameValue("producers")
	nProposal  = nameValue("proposal")
	nApprovals = nameValue("approvals2")
	nOldApps   = nameValue("approvals")
	nInvals    = nameValue("invals")
	nAccounts  = nameValue("accounts")
	nStat      = nameValue("stat")
	nRewards   = nameValue("rewards")
	nGlobal    = nameValue("global")
)
