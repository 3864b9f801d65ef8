package devchain

import (
	"crypto/sha256"
	"errors"
	"sort"
	"strconv"

	eos "github.com/eoscanada/eos-go"
	"github.com/eoscanada/eos-go/ecc"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer/bls"
)

// Savanna finalizer keys and peer keys, written from eos-system-contracts'
// src/finalizer_key.cpp and src/peer_keys.cpp: regfinkey, actfinkey,
// delfinkey, switchtosvnn, regpeerkey, delpeerkey and their tables finkeys,
// finalizers, finkeyidgen, lastpropfins and peerkeys (scope eosio).

func init() {
	handle("eosio", "regfinkey", sysRegFinKey)
	handle("eosio", "actfinkey", sysActFinKey)
	handle("eosio", "delfinkey", sysDelFinKey)
	handle("eosio", "switchtosvnn", sysSwitchToSavanna)
	handle("eosio", "regpeerkey", sysRegPeerKey)
	handle("eosio", "delpeerkey", sysDelPeerKey)
}

var (
	finKeysTable    = tableID{nEosio, nEosio, nameValue("finkeys")}
	finalizersTable = tableID{nEosio, nEosio, nameValue("finalizers")}
	finKeyIDGen     = tableID{nEosio, nEosio, nameValue("finkeyidgen")}
	lastPropFins    = tableID{nEosio, nEosio, nameValue("lastpropfins")}
	peerKeysTable   = tableID{nEosio, nEosio, nameValue("peerkeys")}
)

// blsDecodeErr turns a string-form failure into the contract development
// kit's messages (decode_bls_public_key_to_g1 / _signature_to_g2).
func blsDecodeErr(err error, size int) error {
	switch {
	case errors.Is(err, bls.ErrPrefix), errors.Is(err, bls.ErrPrivateKey):
		return assertErr("base64 encoded type must begin from corresponding prefix")
	case errors.Is(err, bls.ErrChecksum):
		return assertErr("checksum of structure doesn't match")
	default:
		return assertErr("decoded size doesn't match structure size " + strconv.Itoa(size) + " + checksum 4")
	}
}

// toBinary is the contract's to_binary: PUB_BLS prefix, then the string form.
func toBinary(key string) ([bls.PublicKeySize]byte, error) {
	if len(key) < 7 || key[:7] != "PUB_BLS" {
		return [bls.PublicKeySize]byte{}, assertErr("finalizer key does not start with PUB_BLS: " + key)
	}
	raw, err := bls.DecodePublicKey(key)
	if err != nil {
		return raw, blsDecodeErr(err, bls.PublicKeySize)
	}
	return raw, nil
}

// popVerify is bls_pop_verify: a point that is not a valid subgroup element
// makes the pairing host function fail, which the contract sees as false.
func popVerify(key [bls.PublicKeySize]byte, pop [bls.SignatureSize]byte) bool {
	k, err := bls.PublicKeyFromBytes(key[:])
	if err != nil {
		return false
	}
	s, err := bls.SignatureFromBytes(pop[:])
	if err != nil {
		return false
	}
	return bls.VerifyPossession(k, s) == nil
}

func (d *db) finKeyRows() []contracts.FinalizerKeyRow {
	t := d.tables[finKeysTable]
	if t == nil {
		return nil
	}
	out := make([]contracts.FinalizerKeyRow, 0, len(t.keys))
	for _, k := range t.keys {
		var r contracts.FinalizerKeyRow
		if err := contracts.Decode(t.rows[k].Data, &r); err == nil {
			out = append(out, r)
		}
	}
	return out
}

// findFinKey is the byfinkey index lookup: sha256 of the binary key.
func (d *db) findFinKey(raw [bls.PublicKeySize]byte) (contracts.FinalizerKeyRow, bool) {
	want := sha256.Sum256(raw[:])
	for _, r := range d.finKeyRows() {
		if sha256.Sum256(r.FinalizerKeyBinary) == want {
			return r, true
		}
	}
	return contracts.FinalizerKeyRow{}, false
}

func (d *db) finalizer(name string) (contracts.FinalizerRow, bool) {
	r, ok := d.getRow(finalizersTable, nameValue(name))
	if !ok {
		return contracts.FinalizerRow{}, false
	}
	var f contracts.FinalizerRow
	if err := contracts.Decode(r.Data, &f); err != nil {
		return f, false
	}
	return f, true
}

func (d *db) lastProposedFinalizers() []contracts.FinalizerAuthInfo {
	r, ok := d.getRow(lastPropFins, 0)
	if !ok {
		return nil
	}
	var lp contracts.LastPropFinalizersRow
	if err := contracts.Decode(r.Data, &lp); err != nil {
		return nil
	}
	return lp.LastProposedFinalizers
}

func (d *db) isSavanna() bool { return len(d.lastProposedFinalizers()) > 0 }

func (d *db) nextFinKeyID() uint64 {
	var next uint64
	if r, ok := d.getRow(finKeyIDGen, 0); ok {
		var cur uint64
		_ = contracts.Decode(r.Data, &cur)
		next = cur + 1
	}
	d.setRow(finKeyIDGen, 0, nEosio, contracts.MustEncode(next))
	return next
}

func (a *actionCtx) isProducer(name string) bool {
	_, ok := a.d.getRow(producersTable, nameValue(name))
	return ok
}

// finalizerFor is get_finalizer_itr.
func (a *actionCtx) finalizerFor(name string) (contracts.FinalizerRow, error) {
	f, ok := a.d.finalizer(name)
	if !ok {
		return f, assertErr("finalizer " + name + " has not registered any finalizer keys")
	}
	if f.FinalizerKeyCount == 0 {
		return f, assertErr("finalizer " + name + "  must have at least one registered finalizer keys, has 0")
	}
	return f, nil
}

func sysRegFinKey(a *actionCtx) error {
	var p contracts.RegFinKey
	if err := contracts.Decode(a.data, &p); err != nil {
		return newErr(ErrUnpack, "regfinkey: %v", err)
	}
	name := string(p.FinalizerName)
	if err := a.requireAuth(name); err != nil {
		return err
	}
	if err := check(a.isProducer(name), "finalizer "+name+" is not a registered producer"); err != nil {
		return err
	}
	if len(p.ProofOfPossession) < 7 || p.ProofOfPossession[:7] != "SIG_BLS" {
		return assertErr("proof of possession signature does not start with SIG_BLS: " + p.ProofOfPossession)
	}
	key, err := toBinary(p.FinalizerKey)
	if err != nil {
		return err
	}
	pop, err := bls.DecodeSignature(p.ProofOfPossession)
	if err != nil {
		return blsDecodeErr(err, bls.SignatureSize)
	}
	if _, dup := a.d.findFinKey(key); dup {
		return assertErr("duplicate finalizer key: " + p.FinalizerKey)
	}
	if !popVerify(key, pop) {
		return assertErr("proof of possession check failed")
	}
	id := a.d.nextFinKeyID()
	row := contracts.FinalizerKeyRow{ID: id, FinalizerName: p.FinalizerName, FinalizerKey: p.FinalizerKey, FinalizerKeyBinary: key[:]}
	a.d.setRow(finKeysTable, id, nameValue(name), contracts.MustEncode(row))
	f, ok := a.d.finalizer(name)
	if !ok {
		f = contracts.FinalizerRow{FinalizerName: p.FinalizerName, ActiveKeyID: id, ActiveKeyBinary: key[:], FinalizerKeyCount: 1}
	} else {
		f.FinalizerKeyCount++
	}
	a.d.setRow(finalizersTable, nameValue(name), nameValue(name), contracts.MustEncode(f))
	return nil
}

// finKeyOp is the common start of actfinkey and delfinkey: the action's
// (finalizer_name, finalizer_key) decoded, authorized, the finalizer's row
// and the key's row, which must be the finalizer's own. notOwn is the
// contract's message (it differs between the two actions).
func (a *actionCtx) finKeyOp(action string, notOwn func(key, name string) string) (contracts.FinalizerRow, contracts.FinalizerKeyRow, error) {
	var p contracts.ActFinKey // delfinkey has the same fields
	if err := contracts.Decode(a.data, &p); err != nil {
		return contracts.FinalizerRow{}, contracts.FinalizerKeyRow{}, newErr(ErrUnpack, "%s: %v", action, err)
	}
	name := string(p.FinalizerName)
	if err := a.requireAuth(name); err != nil {
		return contracts.FinalizerRow{}, contracts.FinalizerKeyRow{}, err
	}
	f, err := a.finalizerFor(name)
	if err != nil {
		return f, contracts.FinalizerKeyRow{}, err
	}
	key, err := toBinary(p.FinalizerKey)
	if err != nil {
		return f, contracts.FinalizerKeyRow{}, err
	}
	kr, ok := a.d.findFinKey(key)
	if !ok {
		return f, kr, assertErr("finalizer key was not registered: " + p.FinalizerKey)
	}
	if kr.FinalizerName != p.FinalizerName {
		return f, kr, assertErr(notOwn(p.FinalizerKey, name))
	}
	return f, kr, nil
}

func sysActFinKey(a *actionCtx) error {
	f, kr, err := a.finKeyOp("actfinkey", func(key, _ string) string { return "finalizer key was not registered by the finalizer: " + key })
	if err != nil {
		return err
	}
	if err := check(kr.ID != f.ActiveKeyID, "finalizer key was already active: "+kr.FinalizerKey); err != nil {
		return err
	}
	oldID := f.ActiveKeyID
	f.ActiveKeyID, f.ActiveKeyBinary = kr.ID, kr.FinalizerKeyBinary
	k := nameValue(string(f.FinalizerName))
	a.d.setRow(finalizersTable, k, k, contracts.MustEncode(f))
	last := a.d.lastProposedFinalizers()
	for i, e := range last {
		if e.KeyID == oldID {
			next := append([]contracts.FinalizerAuthInfo(nil), last...)
			next[i].KeyID = kr.ID
			next[i].FinAuthority.PublicKey = kr.FinalizerKeyBinary
			a.d.setProposedFinalizers(next)
			break
		}
	}
	return nil
}

func sysDelFinKey(a *actionCtx) error {
	f, kr, err := a.finKeyOp("delfinkey", func(key, name string) string {
		return "finalizer key " + key + " was not registered by the finalizer " + name
	})
	if err != nil {
		return err
	}
	if kr.ID == f.ActiveKeyID && f.FinalizerKeyCount != 1 {
		return assertErr("cannot delete an active key unless it is the last registered finalizer key, has " + strconv.FormatUint(uint64(f.FinalizerKeyCount), 10) + " keys")
	}
	k := nameValue(string(f.FinalizerName))
	if f.FinalizerKeyCount == 1 {
		a.d.eraseRow(finalizersTable, k)
	} else {
		f.FinalizerKeyCount--
		a.d.setRow(finalizersTable, k, k, contracts.MustEncode(f))
	}
	a.d.eraseRow(finKeysTable, kr.ID)
	return nil
}

// setProposedFinalizers is set_proposed_finalizers: sorted by key id,
// stored in lastpropfins (the devchain has no finalizer policy of its own).
func (d *db) setProposedFinalizers(fins []contracts.FinalizerAuthInfo) {
	sort.Slice(fins, func(i, j int) bool { return fins[i].KeyID < fins[j].KeyID })
	d.setRow(lastPropFins, 0, nEosio, contracts.MustEncode(contracts.LastPropFinalizersRow{LastProposedFinalizers: fins}))
}

// proposedFinalizers lists every active producer that has an active
// finalizer key, in name order (the devchain has no votes to rank by).
func (d *db) proposedFinalizers() []contracts.FinalizerAuthInfo {
	var out []contracts.FinalizerAuthInfo
	for _, p := range d.activeProducers() {
		f, ok := d.finalizer(p)
		if !ok || len(f.ActiveKeyBinary) == 0 {
			continue
		}
		out = append(out, contracts.FinalizerAuthInfo{KeyID: f.ActiveKeyID, FinAuthority: contracts.FinalizerAuthority{Description: p, Weight: 1, PublicKey: f.ActiveKeyBinary}})
	}
	return out
}

func (d *db) activeProducers() []string {
	t := d.tables[producersTable]
	if t == nil {
		return nil
	}
	var out []string
	for _, k := range t.keys {
		row, _, err := contracts.DecodeProducerInfo(t.rows[k].Data)
		if err == nil && row.IsActive {
			out = append(out, string(row.Owner))
		}
	}
	return out
}

// sysSwitchToSavanna is switchtosvnn. The contract takes the top producers
// by votes up to the last schedule's size; the devchain has no votes and
// schedules every active producer, so every active producer must have an
// active finalizer key.
func sysSwitchToSavanna(a *actionCtx) error {
	if err := a.requireAuth("eosio"); err != nil {
		return err
	}
	return a.d.switchToSavanna()
}

func (d *db) switchToSavanna() error {
	if d.isSavanna() {
		return assertErr("switchtosvnn can be run only once")
	}
	want := len(d.activeProducers())
	fins := d.proposedFinalizers()
	if len(fins) != want || want == 0 {
		return assertErr("not enough top producers have registered finalizer keys, has " + strconv.Itoa(len(fins)) + ", require " + strconv.Itoa(want))
	}
	d.setProposedFinalizers(fins)
	return nil
}

// SwitchToSavanna applies eosio::switchtosvnn as if eosio's authority (the
// producers' multisig) had pushed it: the operator's shortcut for demos and
// tests. The contract's rule holds: every scheduled producer needs an
// active finalizer key.
func (c *Chain) SwitchToSavanna() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.db.mark()
	if err := c.db.switchToSavanna(); err != nil {
		c.db.rollback(m)
		return err
	}
	c.db.commit()
	return nil
}

// ProducerSchedule returns the producers the system contract would schedule
// now: every active producer before the switch to Savanna; after it, only
// those with an active finalizer key (a producer without one is left out).
func (c *Chain) ProducerSchedule() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.db.schedule()
}

func (d *db) schedule() []string {
	if !d.isSavanna() {
		return d.activeProducers()
	}
	var out []string
	for _, p := range d.activeProducers() {
		if f, ok := d.finalizer(p); ok && len(f.ActiveKeyBinary) > 0 {
			out = append(out, p)
		}
	}
	return out
}

func (c *Chain) httpGetProducerSchedule([]byte) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	prods := []map[string]any{}
	for _, p := range c.db.schedule() {
		r, ok := c.db.getRow(producersTable, nameValue(p))
		if !ok {
			continue
		}
		row, _, err := contracts.DecodeProducerInfo(r.Data)
		if err != nil {
			return nil, newErr(ErrException, "decoding producer %s: %v", p, err)
		}
		auth := row.ProducerAuthority
		if auth.Threshold == 0 {
			auth = contracts.BlockSigningAuthority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: row.ProducerKey, Weight: 1}}}
		}
		prods = append(prods, map[string]any{"producer_name": p, "authority": auth})
	}
	return map[string]any{"active": map[string]any{"version": 0, "producers": prods}, "pending": nil, "proposed": nil}, nil
}

func sysRegPeerKey(a *actionCtx) error {
	var p contracts.RegPeerKey
	if err := contracts.Decode(a.data, &p); err != nil {
		return newErr(ErrUnpack, "regpeerkey: %v", err)
	}
	name := string(p.ProposerFinalizerName)
	if err := a.requireAuth(name); err != nil {
		return err
	}
	if err := check(p.Key.Curve != ecc.CurveWA, "webauthn keys not allowed in regpeerkey action"); err != nil {
		return err
	}
	k := nameValue(name)
	payer := k
	if r, ok := a.d.getRow(peerKeysTable, k); ok {
		var prev contracts.PeerKeyRow
		if err := contracts.Decode(r.Data, &prev); err != nil {
			return newErr(ErrUnpack, "%v", err)
		}
		if prev.Key != nil && prev.Key.String() == p.Key.String() {
			return assertErr("Provided key is the same as currently stored one")
		}
		payer = r.Payer
	}
	key := p.Key
	a.d.setRow(peerKeysTable, k, payer, contracts.MustEncode(contracts.PeerKeyRow{Account: p.ProposerFinalizerName, Key: &key}))
	return nil
}

func sysDelPeerKey(a *actionCtx) error {
	var p contracts.DelPeerKey
	if err := contracts.Decode(a.data, &p); err != nil {
		return newErr(ErrUnpack, "delpeerkey: %v", err)
	}
	name := string(p.ProposerFinalizerName)
	if err := a.requireAuth(name); err != nil {
		return err
	}
	k := nameValue(name)
	r, ok := a.d.getRow(peerKeysTable, k)
	if !ok {
		return assertErr("Key not present for name: " + name)
	}
	var prev contracts.PeerKeyRow
	if err := contracts.Decode(r.Data, &prev); err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	if prev.Key == nil || prev.Key.String() != p.Key.String() {
		return assertErr("Current key does not match the provided one")
	}
	a.d.eraseRow(peerKeysTable, k)
	return nil
}
