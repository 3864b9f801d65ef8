package devchain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
)

// maxInlineDepth mirrors nodeos's max_inline_action_depth.
const maxInlineDepth = 4

type applyCtx struct {
	c        *Chain
	d        *db
	trxID    string
	now      time.Time
	blockNum uint32
	traces   []ActionTrace
}

// actionCtx is one action being applied by its receiver.
type actionCtx struct {
	x        *applyCtx
	d        *db
	act      *eos.Action
	data     []byte
	receiver string
	notify   []string
	inline   []*eos.Action
}

type handler func(*actionCtx) error

var handlers = map[[2]string]handler{}

func handle(code, action string, h handler) { handlers[[2]string{code, action}] = h }

func (a *actionCtx) requireAuth(actor string) error {
	for _, au := range a.act.Authorization {
		if string(au.Actor) == actor {
			return nil
		}
	}
	return newErr(ErrMissingAuth, "missing authority of %s", actor)
}

func (a *actionCtx) requireAuthLevel(l level) error {
	for _, au := range a.act.Authorization {
		if string(au.Actor) == l.Actor && string(au.Permission) == l.Permission {
			return nil
		}
	}
	return newErr(ErrMissingAuth, "missing authority of %s/%s", l.Actor, l.Permission)
}

func (a *actionCtx) requireRecipient(acct string) {
	if acct == a.receiver {
		return
	}
	for _, n := range a.notify {
		if n == acct {
			return
		}
	}
	a.notify = append(a.notify, acct)
}

func (a *actionCtx) sendInline(code, name string, auth []level, data any) {
	b := contracts.MustEncode(data)
	act := &eos.Action{Account: eos.AccountName(code), Name: eos.ActionName(name), ActionData: eos.NewActionDataFromHexData(b)}
	for _, l := range auth {
		act.Authorization = append(act.Authorization, l.eos())
	}
	a.inline = append(a.inline, act)
}

func (a *actionCtx) now() time.Time { return a.x.now }

// run executes act (and its notifications and inline actions, depth first,
// as nodeos does) and appends the traces.
func (x *applyCtx) run(act *eos.Action, creator, depth int, sender string) error {
	if depth > maxInlineDepth {
		return newErr(ErrTransaction, "max inline action depth per transaction reached")
	}
	data := []byte(act.HexData)
	ord := x.trace(act, string(act.Account), creator, creator)
	ac := &actionCtx{x: x, d: x.d, act: act, data: data, receiver: string(act.Account)}
	if err := x.dispatch(ac); err != nil {
		return err
	}
	for _, r := range ac.notify {
		x.trace(act, r, ord, creator)
	}
	for _, in := range ac.inline {
		if s := x.d.accounts[ac.receiver]; s == nil || !s.Privileged {
			if _, err := x.c.checkAuthorization([]*eos.Action{in}, nil, []level{{ac.receiver, "eosio.code"}}, true); err != nil {
				return err
			}
		}
		if err := x.run(in, ord, depth+1, ac.receiver); err != nil {
			return err
		}
	}
	return nil
}

// dispatch runs an action on its contract as a reference contract's
// CDT-generated apply() would. An account without a contract runs nothing
// (nodeos executes no code). A contract runs the actions its ABI declares
// that the devchain models; an action it does not have, or one the
// devchain does not model, is what the dispatcher's default does: nothing
// on eosio, eosio_assert_code(false, 1) on any other contract.
func (x *applyCtx) dispatch(ac *actionCtx) error {
	code, name := string(ac.act.Account), string(ac.act.Name)
	a := x.d.accounts[code]
	if a == nil || !a.Contract {
		return nil
	}
	h := handlers[[2]string{code, name}]
	if h != nil && x.c.abis[code].hasAction(name) {
		return h(ac)
	}
	if x.c.abis[code].hasAction(name) {
		x.c.log.Printf("%s::%s is in the contract's ABI but not modelled by the devchain: executed as the contract's dispatcher default", code, name)
	}
	if code == "eosio" {
		return nil
	}
	return newErr(ErrAssertCode, "assertion failure with error code: 1")
}

// trace records an action receipt and returns its ordinal.
func (x *applyCtx) trace(act *eos.Action, receiver string, creator, closest int) int {
	d := x.d
	ord := len(x.traces) + 1
	packed := contracts.MustEncode(struct {
		Account       eos.AccountName
		Name          eos.ActionName
		Authorization []eos.PermissionLevel
		Data          []byte
	}{act.Account, act.Name, act.Authorization, []byte(act.HexData)})
	dg := sha256.Sum256(packed)
	var authSeq [][]any
	for _, au := range act.Authorization {
		authSeq = append(authSeq, []any{string(au.Actor), d.bump(d.authSeq, string(au.Actor))})
	}
	if authSeq == nil {
		authSeq = [][]any{}
	}
	auth := act.Authorization
	if auth == nil {
		auth = []eos.PermissionLevel{}
	}
	tr := ActionTrace{
		ActionOrdinal: ord, CreatorActionOrdinal: creator, ClosestUnnotifiedAncestorActionOrdinal: closest,
		Receipt: ActionReceipt{
			Receiver: receiver, ActDigest: hex.EncodeToString(dg[:]), GlobalSequence: d.nextGlobalSeq(),
			RecvSequence: d.bump(d.recvSeq, receiver), AuthSequence: authSeq, CodeSequence: 1, ABISequence: 1,
		},
		Receiver: receiver,
		Act: TraceAction{Account: string(act.Account), Name: string(act.Name), Authorization: auth,
			Data: x.c.actionJSON(string(act.Account), string(act.Name), []byte(act.HexData)), HexData: hex.EncodeToString(act.HexData)},
		AccountRAMDeltas: []struct{}{},
	}
	x.traces = append(x.traces, tr)
	return ord
}

// actionJSON decodes action data with the contract's ABI, or gives the hex
// string when it cannot (as nodeos does for contracts without an ABI).
func (c *Chain) actionJSON(account, action string, data []byte) json.RawMessage {
	if ca := c.abis[account]; ca.hasAction(action) {
		if js, err := ca.abi.DecodeAction(data, eos.ActionName(action)); err == nil {
			return js
		}
	}
	b, _ := json.Marshal(hex.EncodeToString(data))
	return b
}
