package devchain

import (
	"time"

	eos "github.com/eoscanada/eos-go"
	"github.com/eoscanada/eos-go/ecc"

	"github.com/bpkeys/bpkeys/contracts"
)

// Rewards paid by eosio::claimrewards from eosio.bpay and eosio.vpay, and
// accrued per producer and day in eosio.bpay's rewards table, in units of
// the core symbol.
const (
	claimBPayUnits    = 100
	claimVPayUnits    = 50
	bpayAccrualPerDay = 100
)

func init() {
	handle("eosio", "regproducer", sysRegProducer)
	handle("eosio", "regproducer2", sysRegProducer2)
	handle("eosio", "unregprod", sysUnregProd)
	handle("eosio", "claimrewards", sysClaimRewards)
	handle("eosio.bpay", "claimrewards", bpayClaimRewards)
	handle("eosio.token", "transfer", tokenTransfer)
}

var producersTable = tableID{nEosio, nEosio, nProducers}
var rewardsTable = tableID{nBPay, nBPay, nRewards}

func (a *actionCtx) registerProducer(producer string, auth contracts.BlockSigningAuthority, url string, location uint16) {
	var key ecc.PublicKey
	if len(auth.Keys) == 1 {
		key = auth.Keys[0].PublicKey
	} else {
		key = zeroKey()
	}
	now := contracts.TimePointOf(a.now())
	k := nameValue(producer)
	var row contracts.ProducerInfoWithAuthority
	if r, ok := a.d.getRow(producersTable, k); ok {
		row, _, _ = contracts.DecodeProducerInfo(r.Data)
		if row.LastClaimTime == 0 {
			row.LastClaimTime = now
		}
	} else {
		row.Owner = eos.AccountName(producer)
		row.LastClaimTime = now
	}
	row.ProducerKey = key
	row.IsActive = true
	row.URL = url
	row.Location = location
	row.ProducerAuthority = auth
	a.d.setRow(producersTable, k, k, a.x.c.encodeProducer(row))
}

func sysRegProducer(a *actionCtx) error {
	var rp contracts.RegProducer
	if err := contracts.Decode(a.data, &rp); err != nil {
		return newErr(ErrUnpack, "regproducer: %v", err)
	}
	if err := a.requireAuth(string(rp.Producer)); err != nil {
		return err
	}
	if err := check(len(rp.URL) < 512, "url too long"); err != nil {
		return err
	}
	a.registerProducer(string(rp.Producer), contracts.BlockSigningAuthority{Threshold: 1, Keys: []eos.KeyWeight{{PublicKey: rp.ProducerKey, Weight: 1}}}, rp.URL, rp.Location)
	return nil
}

func sysRegProducer2(a *actionCtx) error {
	var rp contracts.RegProducer2
	if err := contracts.Decode(a.data, &rp); err != nil {
		return newErr(ErrUnpack, "regproducer2: %v", err)
	}
	if err := a.requireAuth(string(rp.Producer)); err != nil {
		return err
	}
	if err := check(len(rp.URL) < 512, "url too long"); err != nil {
		return err
	}
	if err := check(rp.ProducerAuthority.IsValid(), "invalid producer authority"); err != nil {
		return err
	}
	a.registerProducer(string(rp.Producer), rp.ProducerAuthority, rp.URL, rp.Location)
	return nil
}

func sysUnregProd(a *actionCtx) error {
	var up contracts.UnregProd
	if err := contracts.Decode(a.data, &up); err != nil {
		return newErr(ErrUnpack, "unregprod: %v", err)
	}
	if err := a.requireAuth(string(up.Producer)); err != nil {
		return err
	}
	k := nameValue(string(up.Producer))
	r, ok := a.d.getRow(producersTable, k)
	if !ok {
		return assertErr("producer not found")
	}
	row, _, err := contracts.DecodeProducerInfo(r.Data)
	if err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	info := row.ProducerInfo
	info.ProducerKey = zeroKey()
	info.IsActive = false
	a.d.setRow(producersTable, k, r.Payer, contracts.MustEncode(info)) // producer_authority reset: no extension
	return nil
}

func sysClaimRewards(a *actionCtx) error {
	var cr contracts.ClaimRewards
	if err := contracts.Decode(a.data, &cr); err != nil {
		return newErr(ErrUnpack, "claimrewards: %v", err)
	}
	owner := string(cr.Owner)
	if err := a.requireAuth(owner); err != nil {
		return err
	}
	k := nameValue(owner)
	r, ok := a.d.getRow(producersTable, k)
	if !ok {
		// The contract reads the row with _producers.get(owner) and no
		// message of its own, so nodeos reports multi_index's default.
		return assertErr("unable to find key")
	}
	row, hasExt, err := contracts.DecodeProducerInfo(r.Data)
	if err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	if err := check(row.IsActive, "producer does not have an active key"); err != nil {
		return err
	}
	var gs contracts.GlobalState
	if g, ok := a.d.getRow(globalTable, nGlobal); ok {
		if err := contracts.Decode(g.Data, &gs); err != nil {
			return newErr(ErrUnpack, "global: %v", err)
		}
	}
	if err := check(gs.ThreshActivatedStakeTime != 0, "cannot claim rewards until the chain is activated (at least 15% of all tokens participate in voting)"); err != nil {
		return err
	}
	now := contracts.TimePointOf(a.now())
	if err := check(now-row.LastClaimTime > eos.TimePoint(24*time.Hour/time.Microsecond), "already claimed rewards within past day"); err != nil {
		return err
	}
	row.LastClaimTime = now
	row.UnpaidBlocks = 0
	if hasExt {
		a.d.setRow(producersTable, k, r.Payer, contracts.MustEncode(row))
	} else {
		a.d.setRow(producersTable, k, r.Payer, contracts.MustEncode(row.ProducerInfo))
	}
	unit := pow10(a.x.c.core.Precision)
	a.sendInline("eosio.token", "transfer", []level{{"eosio.bpay", "active"}}, contracts.Transfer{From: "eosio.bpay", To: cr.Owner, Quantity: a.x.c.asset(claimBPayUnits * unit), Memo: "producer block pay"})
	a.sendInline("eosio.token", "transfer", []level{{"eosio.vpay", "active"}}, contracts.Transfer{From: "eosio.vpay", To: cr.Owner, Quantity: a.x.c.asset(claimVPayUnits * unit), Memo: "producer vote pay"})
	return nil
}

func bpayClaimRewards(a *actionCtx) error {
	var cr contracts.ClaimRewards
	if err := contracts.Decode(a.data, &cr); err != nil {
		return newErr(ErrUnpack, "claimrewards: %v", err)
	}
	if err := a.requireAuth(string(cr.Owner)); err != nil {
		return err
	}
	k := nameValue(string(cr.Owner))
	r, ok := a.d.getRow(rewardsTable, k)
	if !ok {
		return assertErr("no rewards to claim")
	}
	var rw contracts.RewardsRow
	if err := contracts.Decode(r.Data, &rw); err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	a.d.eraseRow(rewardsTable, k)
	a.sendInline("eosio.token", "transfer", []level{{"eosio.bpay", "active"}}, contracts.Transfer{From: "eosio.bpay", To: cr.Owner, Quantity: rw.Quantity, Memo: "producer block pay"})
	return nil
}

// accrueBPayLocked credits every active producer with eosio.bpay rewards for
// the time from..to (advance_time), so eosio.bpay::claimrewards has something
// to pay.
func (c *Chain) accrueBPayLocked(from, to time.Time) {
	if !to.After(from) {
		return
	}
	t := c.db.tables[producersTable]
	if t == nil {
		return
	}
	amount := int64(to.Sub(from) / time.Second * time.Duration(bpayAccrualPerDay*pow10(c.core.Precision)) / (24 * 3600))
	if amount <= 0 {
		return
	}
	for _, k := range t.keys {
		row, _, err := contracts.DecodeProducerInfo(t.rows[k].Data)
		if err != nil || !row.IsActive {
			continue
		}
		rw := contracts.RewardsRow{Owner: row.Owner, Quantity: c.asset(0)}
		if r, ok := c.db.getRow(rewardsTable, k); ok {
			_ = contracts.Decode(r.Data, &rw)
		}
		rw.Quantity.Amount += eos.Int64(amount)
		c.db.setRow(rewardsTable, k, nBPay, contracts.MustEncode(rw))
	}
	c.db.commit()
}

func tokenTransfer(a *actionCtx) error {
	var tr contracts.Transfer
	if err := contracts.Decode(a.data, &tr); err != nil {
		return newErr(ErrUnpack, "transfer: %v", err)
	}
	if err := check(tr.From != tr.To, "cannot transfer to self"); err != nil {
		return err
	}
	if err := a.requireAuth(string(tr.From)); err != nil {
		return err
	}
	if err := check(a.d.accounts[string(tr.To)] != nil, "to account does not exist"); err != nil {
		return err
	}
	code := symbolCode(tr.Quantity.Symbol.Symbol)
	sr, ok := a.d.getRow(tableID{nToken, code, nStat}, code)
	if !ok {
		return assertErr("unable to find key")
	}
	var st contracts.CurrencyStatsRow
	if err := contracts.Decode(sr.Data, &st); err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	a.requireRecipient(string(tr.From))
	a.requireRecipient(string(tr.To))
	if err := check(tr.Quantity.Amount > 0, "must transfer positive quantity"); err != nil {
		return err
	}
	if err := check(tr.Quantity.Precision == st.Supply.Precision, "symbol precision mismatch"); err != nil {
		return err
	}
	if err := check(len(tr.Memo) <= 256, "memo has more than 256 bytes"); err != nil {
		return err
	}
	fromT := tableID{nToken, nameValue(string(tr.From)), nAccounts}
	fr, ok := a.d.getRow(fromT, code)
	if !ok {
		return assertErr("no balance object found")
	}
	var fb contracts.TokenAccountRow
	if err := contracts.Decode(fr.Data, &fb); err != nil {
		return newErr(ErrUnpack, "%v", err)
	}
	if err := check(fb.Balance.Amount >= tr.Quantity.Amount, "overdrawn balance"); err != nil {
		return err
	}
	fb.Balance.Amount -= tr.Quantity.Amount
	a.d.setRow(fromT, code, fr.Payer, contracts.MustEncode(fb))
	toT := tableID{nToken, nameValue(string(tr.To)), nAccounts}
	tb := contracts.TokenAccountRow{Balance: eos.Asset{Symbol: tr.Quantity.Symbol}}
	payer := nameValue(string(tr.From))
	if r, ok := a.d.getRow(toT, code); ok {
		if err := contracts.Decode(r.Data, &tb); err != nil {
			return newErr(ErrUnpack, "%v", err)
		}
		payer = r.Payer
	}
	tb.Balance.Amount += tr.Quantity.Amount
	a.d.setRow(toT, code, payer, contracts.MustEncode(tb))
	return nil
}

// zeroKey is public_key{}: K1 with 33 zero bytes, what unregprod stores.
func zeroKey() ecc.PublicKey {
	k, err := ecc.NewPublicKeyFromData(make([]byte, 34))
	if err != nil {
		panic("eos-go refused the zero key: " + err.Error())
	}
	return k
}
