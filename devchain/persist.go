package devchain

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	eos "github.com/eoscanada/eos-go"
)

// StateFile is the name of the state file inside Options.StateDir.
const StateFile = "state.json"

const stateVersion = 1

type snapLink struct {
	Code        string `json:"code"`
	Action      string `json:"action"`
	Requirement string `json:"requirement"`
}

type snapAccount struct {
	Name       string        `json:"name"`
	Created    time.Time     `json:"created"`
	Privileged bool          `json:"privileged,omitempty"`
	Contract   bool          `json:"contract,omitempty"`
	Perms      []*permission `json:"permissions"`
	Links      []snapLink    `json:"links,omitempty"`
}

type snapRow struct {
	Key   uint64 `json:"key"`
	Payer string `json:"payer"`
	Data  string `json:"data"`
}

type snapTable struct {
	Code  string    `json:"code"`
	Scope uint64    `json:"scope"`
	Table string    `json:"table"`
	Rows  []snapRow `json:"rows"`
}

type snapBlock struct {
	Num  uint32    `json:"num"`
	ID   string    `json:"id"`
	Prev string    `json:"prev"`
	Time time.Time `json:"time"`
}

type snapshot struct {
	Version   int               `json:"version"`
	ChainID   string            `json:"chain_id"`
	Core      string            `json:"core_symbol"`
	Manual    time.Time         `json:"manual_now"`
	Offset    time.Duration     `json:"offset"`
	Blocks    []snapBlock       `json:"blocks"`
	Known     map[string]string `json:"known_transactions"`
	GlobalSeq uint64            `json:"global_sequence"`
	RecvSeq   map[string]uint64 `json:"recv_sequence"`
	AuthSeq   map[string]uint64 `json:"auth_sequence"`
	Accounts  []snapAccount     `json:"accounts"`
	// SystemContract is the eosio.system flavour ("" is SystemCurrent).
	SystemContract string `json:"system_contract,omitempty"`
	// NoTransactionStatus turns get_transaction_status off.
	NoTransactionStatus bool        `json:"no_transaction_status,omitempty"`
	Tables              []snapTable `json:"tables"`
}

// sortedLinks returns the account's links in creation order.
func sortedLinks(a *account) []linkKey {
	out := make([]linkKey, 0, len(a.Links))
	for k := range a.Links {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return a.LinkSeq[out[i]] < a.LinkSeq[out[j]] })
	return out
}

// saveLocked writes the state atomically: a temporary file in the same
// directory, fsync, rename over state.json, fsync of the directory.
func (c *Chain) saveLocked() error {
	if c.opts.StateDir == "" {
		return nil
	}
	s := snapshot{
		Version: stateVersion, ChainID: c.chainID.String(), Core: fmt.Sprintf("%d,%s", c.core.Precision, c.core.Symbol),
		Manual: c.manualNow, Offset: c.offset, Known: map[string]string{},
		GlobalSeq: c.db.globalSeq, RecvSeq: c.db.recvSeq, AuthSeq: c.db.authSeq,
		SystemContract: c.system, NoTransactionStatus: !c.txStatus,
	}
	// The last 1024 blocks keep TaPoS working for recently signed transactions.
	for n := c.head.Num; n > 0 && c.head.Num-n < 1024; n-- {
		b := c.blocks[n&0xffff]
		if b.Num != n {
			break
		}
		s.Blocks = append(s.Blocks, snapBlock{b.Num, hex.EncodeToString(b.ID[:]), hex.EncodeToString(b.Prev[:]), b.Time})
	}
	for id, exp := range c.known {
		s.Known[hex.EncodeToString(id[:])] = exp.Format(time.RFC3339Nano)
	}
	names := make([]string, 0, len(c.db.accounts))
	for n := range c.db.accounts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := c.db.accounts[n]
		sa := snapAccount{Name: a.Name, Created: a.Created, Privileged: a.Privileged, Contract: a.Contract, Perms: a.sortedPerms()}
		for _, k := range sortedLinks(a) {
			sa.Links = append(sa.Links, snapLink{k.Code, k.Action, a.Links[k]})
		}
		s.Accounts = append(s.Accounts, sa)
	}
	ids := make([]tableID, 0, len(c.db.tables))
	for id := range c.db.tables {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := ids[i], ids[j]
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		return a.Scope < b.Scope
	})
	for _, id := range ids {
		t := c.db.tables[id]
		st := snapTable{Code: nameString(id.Code), Scope: id.Scope, Table: nameString(id.Table), Rows: make([]snapRow, 0, len(t.keys))}
		for _, k := range t.keys {
			r := t.rows[k]
			st.Rows = append(st.Rows, snapRow{k, nameString(r.Payer), hex.EncodeToString(r.Data)})
		}
		s.Tables = append(s.Tables, st)
	}
	b, err := json.Marshal(&s)
	if err != nil {
		return fmt.Errorf("devchain: encoding state: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(c.opts.StateDir, StateFile), b); err != nil {
		return fmt.Errorf("devchain: saving state: %w", err)
	}
	c.dirty = false
	return nil
}

func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".state-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// loadState restores the state from StateDir when it holds one. A genesis
// naming another chain id is refused.
func (c *Chain) loadState(g *Genesis) (bool, error) {
	if c.opts.StateDir == "" {
		return false, nil
	}
	path := filepath.Join(c.opts.StateDir, StateFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("devchain: reading state: %w", err)
	}
	var s snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return false, fmt.Errorf("devchain: state file %s is corrupt (%w); move it away to start from the genesis again", path, err)
	}
	if s.Version != stateVersion {
		return false, fmt.Errorf("devchain: state file %s has version %d, this bpkeys reads version %d", path, s.Version, stateVersion)
	}
	if g != nil && g.ChainID != "" {
		want, err := g.chainID()
		if err != nil {
			return false, fmt.Errorf("genesis: %w", err)
		}
		if want.String() != s.ChainID {
			return false, fmt.Errorf("devchain: the state in %s belongs to chain %s but the genesis names chain %s; use another --state directory", c.opts.StateDir, s.ChainID, want)
		}
	}
	if err := c.chainID.UnmarshalText([]byte(s.ChainID)); err != nil {
		return false, fmt.Errorf("devchain: state: %w", err)
	}
	if c.core, err = eos.StringToSymbol(s.Core); err != nil {
		return false, fmt.Errorf("devchain: state: core symbol: %w", err)
	}
	c.manualNow, c.offset = s.Manual, s.Offset
	if c.system, err = (&Genesis{SystemContract: s.SystemContract}).systemContract(); err != nil {
		return false, fmt.Errorf("devchain: state: %w", err)
	}
	if c.abis, err = loadABIs(c.system); err != nil {
		return false, err
	}
	c.txStatus = !s.NoTransactionStatus
	for i := len(s.Blocks) - 1; i >= 0; i-- {
		sb := s.Blocks[i]
		var blk Block
		blk.Num, blk.Time = sb.Num, sb.Time
		if err := decodeHex32(sb.ID, &blk.ID); err != nil {
			return false, fmt.Errorf("devchain: state: block %d: %w", sb.Num, err)
		}
		if err := decodeHex32(sb.Prev, &blk.Prev); err != nil {
			return false, fmt.Errorf("devchain: state: block %d: %w", sb.Num, err)
		}
		c.blocks[blk.Num&0xffff] = blk
		c.head = blk
	}
	if c.head.Num == 0 {
		return false, fmt.Errorf("devchain: state file %s has no blocks", path)
	}
	for idh, exps := range s.Known {
		var id [32]byte
		exp, err := time.Parse(time.RFC3339Nano, exps)
		if err != nil || decodeHex32(idh, &id) != nil {
			continue
		}
		c.known[id] = exp
	}
	d := c.db
	d.globalSeq = s.GlobalSeq
	if s.RecvSeq != nil {
		d.recvSeq = s.RecvSeq
	}
	if s.AuthSeq != nil {
		d.authSeq = s.AuthSeq
	}
	for _, sa := range s.Accounts {
		a := &account{Name: sa.Name, Created: sa.Created, Privileged: sa.Privileged, Contract: sa.Contract, Perms: map[string]*permission{}, Links: map[linkKey]string{}}
		for _, p := range sa.Perms {
			a.Perms[p.Name] = p
		}
		for _, l := range sa.Links { // saved in creation order
			d.setLink(a, linkKey{l.Code, l.Action}, l.Requirement)
		}
		d.accounts[a.Name] = a
	}
	for _, st := range s.Tables {
		t := &table{keys: make([]uint64, 0, len(st.Rows)), rows: make(map[uint64]*row, len(st.Rows))}
		for _, r := range st.Rows {
			data, err := hex.DecodeString(r.Data)
			if err != nil {
				return false, fmt.Errorf("devchain: state: table %s %s: %w", st.Code, st.Table, err)
			}
			t.keys = append(t.keys, r.Key)
			t.rows[r.Key] = &row{Payer: nameValue(r.Payer), Data: data}
		}
		sort.Slice(t.keys, func(i, j int) bool { return t.keys[i] < t.keys[j] })
		d.tables[tableID{nameValue(st.Code), st.Scope, nameValue(st.Table)}] = t
	}
	if _, ok := d.getRow(globalTable, nGlobal); !ok {
		// State of a devchain before the global table: it modelled an
		// activated chain.
		c.setGlobalLocked(c.head.Time, true)
	}
	d.commit()
	return true, nil
}

func decodeHex32(s string, out *[32]byte) error {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return fmt.Errorf("expected 64 hex digits")
	}
	copy(out[:], b)
	return nil
}
