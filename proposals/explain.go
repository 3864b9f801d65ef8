package proposals

import (
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	eos "github.com/eoscanada/eos-go"
	"github.com/eoscanada/eos-go/ecc"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
)

// Explanation is one action said in words: a one-line summary and detail
// lines (an authority diff, the producer row, ...).
type Explanation struct {
	Summary string   `json:"summary"`
	Details []string `json:"details,omitempty"`
}

// explainer reads the current state an explanation compares against.
type explainer struct {
	c     Chain
	accts *Accounts
}

// Explain says what an action does, against the chain's current state.
// Actions bpkeys has no words for are shown as their decoded fields.
func Explain(ctx context.Context, c Chain, accts *Accounts, a DecodedAction) (Explanation, error) {
	x := &explainer{c: c, accts: accts}
	var e Explanation
	err := safeDecode(func() (err error) { e, err = x.explain(ctx, a); return err })
	if err != nil {
		return Explanation{}, fmt.Errorf("explaining %s::%s: %w", a.Account, a.Name, err)
	}
	return e, nil
}

func keyText(k ecc.PublicKey) string {
	p, err := signer.PublicKeyFromECC(k)
	if err != nil {
		return k.String()
	}
	return p.String()
}

func (x *explainer) explain(ctx context.Context, a DecodedAction) (Explanation, error) {
	data := a.raw
	switch string(a.Account) + "::" + string(a.Name) {
	case "eosio::updateauth":
		v, hasBy, err := contracts.DecodeUpdateAuth(data)
		if err != nil {
			return Explanation{}, err
		}
		return x.updateAuth(ctx, v, hasBy)
	case "eosio::deleteauth":
		v, _, err := contracts.DecodeDeleteAuth(data)
		if err != nil {
			return Explanation{}, err
		}
		e := Explanation{Summary: fmt.Sprintf("delete permission %s@%s", v.Account, v.Permission)}
		acct, err := x.accts.Get(ctx, string(v.Account))
		if err != nil {
			return e, err
		}
		if p := permOf(acct, string(v.Permission)); p != nil {
			e.Details = append(e.Details, "current authority, which goes away:")
			for _, l := range authorityLines(fromChain(p.RequiredAuth)) {
				e.Details = append(e.Details, "- "+l)
			}
		} else {
			e.Details = append(e.Details, "the permission does not exist now: the action will fail")
		}
		return e, nil
	case "eosio::linkauth":
		v, _, err := contracts.DecodeLinkAuth(data)
		if err != nil {
			return Explanation{}, err
		}
		cur, err := x.currentLink(ctx, string(v.Account), string(v.Code), string(v.Type))
		if err != nil {
			return Explanation{}, err
		}
		return Explanation{Summary: fmt.Sprintf("link %s of %s to permission %s", linkName(string(v.Code), string(v.Type)), v.Account, v.Requirement),
			Details: []string{fmt.Sprintf("%s: %s -> %s@%s", linkName(string(v.Code), string(v.Type)), cur, v.Account, v.Requirement)}}, nil
	case "eosio::unlinkauth":
		v, _, err := contracts.DecodeUnlinkAuth(data)
		if err != nil {
			return Explanation{}, err
		}
		cur, err := x.currentLink(ctx, string(v.Account), string(v.Code), string(v.Type))
		if err != nil {
			return Explanation{}, err
		}
		return Explanation{Summary: fmt.Sprintf("unlink %s of %s", linkName(string(v.Code), string(v.Type)), v.Account),
			Details: []string{fmt.Sprintf("%s: %s -> %s@active (the default)", linkName(string(v.Code), string(v.Type)), cur, v.Account)}}, nil
	case "eosio::regproducer":
		var v contracts.RegProducer
		if err := contracts.Decode(data, &v); err != nil {
			return Explanation{}, err
		}
		e := Explanation{Summary: fmt.Sprintf("register %s as producer with block-signing key %s", v.Producer, keyText(v.ProducerKey))}
		return x.producerChange(ctx, e, v.Producer, "key "+keyText(v.ProducerKey), v.URL, v.Location)
	case "eosio::regproducer2":
		var v contracts.RegProducer2
		if err := contracts.Decode(data, &v); err != nil {
			return Explanation{}, err
		}
		e := Explanation{Summary: fmt.Sprintf("register %s as producer with block-signing authority %s", v.Producer, bsaText(v.ProducerAuthority))}
		if !v.ProducerAuthority.IsValid() {
			e.Details = append(e.Details, "the signing authority is invalid (threshold 0, duplicate keys or weights below the threshold): the action will fail")
		}
		return x.producerChange(ctx, e, v.Producer, "authority "+bsaText(v.ProducerAuthority), v.URL, v.Location)
	case "eosio::unregprod":
		var v contracts.UnregProd
		if err := contracts.Decode(data, &v); err != nil {
			return Explanation{}, err
		}
		e := Explanation{Summary: fmt.Sprintf("unregister producer %s: it stops producing blocks", v.Producer)}
		row, err := x.producer(ctx, v.Producer)
		if err != nil {
			return e, err
		}
		if row == nil {
			e.Details = append(e.Details, "not registered now: the action will fail (\"producer not found\")")
		} else {
			e.Details = append(e.Details, fmt.Sprintf("block-signing key: %s -> none (is_active %v -> false)", producerKeyText(row), row.IsActive))
		}
		return e, nil
	case "eosio::claimrewards", "eosio.bpay::claimrewards":
		var v contracts.ClaimRewards
		if err := contracts.Decode(data, &v); err != nil {
			return Explanation{}, err
		}
		return Explanation{Summary: fmt.Sprintf("claim the producer rewards of %s (%s)", v.Owner, a.Account)}, nil
	case "eosio.token::transfer":
		var v contracts.Transfer
		if err := contracts.Decode(data, &v); err != nil {
			return Explanation{}, err
		}
		return Explanation{Summary: fmt.Sprintf("transfer %s from %s to %s", v.Quantity, v.From, v.To), Details: []string{fmt.Sprintf("memo: %q", v.Memo)}}, nil
	case "eosio.msig::propose":
		p, err := contracts.DecodeProposeRaw(data)
		if err != nil {
			return Explanation{}, err
		}
		id := sha256Hex(p.PackedTrx)
		e := Explanation{Summary: fmt.Sprintf("propose %s/%s (hash %s) requesting %s", p.Proposer, p.ProposalName, id, levelsText(p.Requested))}
		if t, err := DecodePacked(p.PackedTrx); err != nil {
			e.Details = append(e.Details, "the proposed transaction does not parse: "+err.Error())
		} else {
			for _, ia := range t.Actions {
				e.Details = append(e.Details, fmt.Sprintf("inner action %s::%s by %s", ia.Account, ia.Name, levelsText(ia.Authorization)))
			}
		}
		return e, nil
	case "eosio.msig::approve":
		v, hash, err := contracts.DecodeApprove(data)
		if err != nil {
			return Explanation{}, err
		}
		s := fmt.Sprintf("approve %s/%s as %s", v.Proposer, v.ProposalName, levelString(v.Level))
		if hash != nil {
			s += " pinned to hash " + hex.EncodeToString(hash)
		} else {
			s += " without a proposal hash (approves whatever the proposal holds)"
		}
		return Explanation{Summary: s}, nil
	case "eosio.msig::unapprove":
		var v contracts.Unapprove
		if err := contracts.Decode(data, &v); err != nil {
			return Explanation{}, err
		}
		return Explanation{Summary: fmt.Sprintf("withdraw the approval of %s from %s/%s", levelString(v.Level), v.Proposer, v.ProposalName)}, nil
	case "eosio.msig::cancel":
		var v contracts.Cancel
		if err := contracts.Decode(data, &v); err != nil {
			return Explanation{}, err
		}
		return Explanation{Summary: fmt.Sprintf("cancel %s/%s (by %s)", v.Proposer, v.ProposalName, v.Canceler)}, nil
	case "eosio.msig::exec":
		var v contracts.Exec
		if err := contracts.Decode(data, &v); err != nil {
			return Explanation{}, err
		}
		return Explanation{Summary: fmt.Sprintf("execute %s/%s (by %s)", v.Proposer, v.ProposalName, v.Executer)}, nil
	case "eosio.msig::invalidate":
		var v contracts.Invalidate
		if err := contracts.Decode(data, &v); err != nil {
			return Explanation{}, err
		}
		return Explanation{Summary: fmt.Sprintf("invalidate every approval %s gave so far, on every proposal", v.Account)}, nil
	}
	return Explanation{Summary: fmt.Sprintf("%s::%s with %s", a.Account, a.Name, string(a.Data))}, nil
}

func levelsText(ls []eos.PermissionLevel) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = levelString(l)
	}
	return strings.Join(s, ", ")
}

func linkName(code, typ string) string {
	if typ == "" {
		return code + "::*"
	}
	return code + "::" + typ
}

func permOf(acct *chain.Account, name string) *chain.Permission {
	if acct == nil {
		return nil
	}
	return acct.Permission(name)
}

func (x *explainer) currentLink(ctx context.Context, account, code, typ string) (string, error) {
	acct, err := x.accts.Get(ctx, account)
	if err != nil {
		return "", err
	}
	if acct == nil {
		return "account does not exist", nil
	}
	var whole string
	for _, p := range acct.Permissions {
		for _, l := range p.LinkedActions {
			if l.Account == code && l.Action == typ {
				return account + "@" + p.PermName, nil
			}
			if l.Account == code && l.Action == "" {
				whole = account + "@" + p.PermName + " (via " + code + "::*)"
			}
		}
	}
	if whole != "" {
		return whole, nil
	}
	return account + "@active (no link)", nil
}

// authEntries is an authority as a comparable set: entry -> weight.
type authEntries struct {
	threshold uint32
	weights   map[string]uint16
}

func fromChain(a chain.Authority) authEntries {
	e := authEntries{threshold: a.Threshold, weights: map[string]uint16{}}
	for _, k := range a.Keys {
		s := k.Unsupported
		if s == "" {
			s = k.Key.String()
		}
		e.weights["key "+s] = k.Weight
	}
	for _, aw := range a.Accounts {
		e.weights["account "+aw.Permission.Actor+"@"+aw.Permission.Permission] = aw.Weight
	}
	for _, w := range a.Waits {
		e.weights[fmt.Sprintf("wait %ds", w.WaitSec)] = w.Weight
	}
	return e
}

func fromEOS(a eos.Authority) authEntries {
	e := authEntries{threshold: a.Threshold, weights: map[string]uint16{}}
	for _, k := range a.Keys {
		e.weights["key "+keyText(k.PublicKey)] = k.Weight
	}
	for _, aw := range a.Accounts {
		e.weights["account "+levelString(aw.Permission)] = aw.Weight
	}
	for _, w := range a.Waits {
		e.weights[fmt.Sprintf("wait %ds", w.WaitSec)] = w.Weight
	}
	return e
}

func (e authEntries) sortedKeys() []string {
	out := make([]string, 0, len(e.weights))
	for k := range e.weights {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func authorityLines(e authEntries) []string {
	out := []string{fmt.Sprintf("threshold %d", e.threshold)}
	for _, k := range e.sortedKeys() {
		out = append(out, fmt.Sprintf("%s weight %d", k, e.weights[k]))
	}
	return out
}

// diffAuthority lists before -> after, one entry per line: "+" added, "-"
// removed, "~" changed, " " unchanged.
func diffAuthority(before, after authEntries) []string {
	var out []string
	if before.threshold != after.threshold {
		out = append(out, fmt.Sprintf("~ threshold %d -> %d", before.threshold, after.threshold))
	} else {
		out = append(out, fmt.Sprintf("  threshold %d", after.threshold))
	}
	all := map[string]bool{}
	for k := range before.weights {
		all[k] = true
	}
	for k := range after.weights {
		all[k] = true
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, inB := before.weights[k]
		a, inA := after.weights[k]
		switch {
		case inB && !inA:
			out = append(out, fmt.Sprintf("- %s weight %d", k, b))
		case !inB && inA:
			out = append(out, fmt.Sprintf("+ %s weight %d", k, a))
		case a != b:
			out = append(out, fmt.Sprintf("~ %s weight %d -> %d", k, b, a))
		default:
			out = append(out, fmt.Sprintf("  %s weight %d", k, a))
		}
	}
	return out
}

func (x *explainer) updateAuth(ctx context.Context, v contracts.UpdateAuthBy, hasBy bool) (Explanation, error) {
	acct, err := x.accts.Get(ctx, string(v.Account))
	if err != nil {
		return Explanation{}, err
	}
	after := fromEOS(v.Auth)
	var e Explanation
	cur := permOf(acct, string(v.Permission))
	if cur == nil {
		e.Summary = fmt.Sprintf("create permission %s@%s under %s", v.Account, v.Permission, v.Parent)
		for _, l := range authorityLines(after) {
			e.Details = append(e.Details, "+ "+l)
		}
	} else {
		e.Summary = fmt.Sprintf("change the authority of %s@%s", v.Account, v.Permission)
		if cur.Parent != string(v.Parent) {
			e.Details = append(e.Details, fmt.Sprintf("parent %s -> %s: nodeos refuses to change a parent (\"Changing parent authority is not currently supported\")", cur.Parent, v.Parent))
		}
		e.Details = append(e.Details, diffAuthority(fromChain(cur.RequiredAuth), after)...)
	}
	if err := contracts.ValidateAuthority(v.Auth); err != nil {
		e.Details = append(e.Details, "the new authority is invalid, the action will fail: "+err.Error())
	}
	if hasBy {
		e.Details = append(e.Details, fmt.Sprintf("authorized_by %s", v.AuthorizedBy))
	}
	return e, nil
}

func bsaText(b contracts.BlockSigningAuthority) string {
	ks := make([]string, len(b.Keys))
	for i, k := range b.Keys {
		ks[i] = fmt.Sprintf("%s weight %d", keyText(k.PublicKey), k.Weight)
	}
	return fmt.Sprintf("threshold %d [%s]", b.Threshold, strings.Join(ks, ", "))
}

func producerKeyText(p *contracts.ProducerInfoWithAuthority) string {
	if !p.IsActive {
		return "none (inactive)"
	}
	return keyText(p.ProducerKey)
}

// producer reads a producers row, or nil when the producer is not
// registered.
func (x *explainer) producer(ctx context.Context, owner eos.AccountName) (*contracts.ProducerInfoWithAuthority, error) {
	r, err := x.c.GetTableRows(ctx, chain.TableRowsRequest{Code: "eosio", Scope: "eosio", Table: "producers", LowerBound: string(owner), UpperBound: string(owner), Limit: 1, KeyType: "name"})
	if err != nil {
		return nil, fmt.Errorf("reading the producer row of %s: %w", owner, err)
	}
	if len(r.Rows) == 0 {
		return nil, nil
	}
	var s string
	if err := jsonString(r.Rows[0], &s); err != nil {
		return nil, fmt.Errorf("producer row of %s: %w", owner, err)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("producer row of %s: %w", owner, err)
	}
	p, _, err := contracts.DecodeProducerInfo(b)
	if err != nil {
		return nil, err
	}
	if p.Owner != owner {
		return nil, nil
	}
	return &p, nil
}

func (x *explainer) producerChange(ctx context.Context, e Explanation, producer eos.AccountName, newKey, url string, location uint16) (Explanation, error) {
	row, err := x.producer(ctx, producer)
	if err != nil {
		return e, err
	}
	if row == nil {
		e.Details = append(e.Details, "not registered now: a new producer registration")
		e.Details = append(e.Details, fmt.Sprintf("block signing: none -> %s", newKey))
		e.Details = append(e.Details, fmt.Sprintf("url: %q, location: %d", url, location))
		return e, nil
	}
	e.Details = append(e.Details, fmt.Sprintf("block signing: key %s -> %s", producerKeyText(row), newKey))
	if row.URL != url {
		e.Details = append(e.Details, fmt.Sprintf("url: %q -> %q", row.URL, url))
	} else {
		e.Details = append(e.Details, fmt.Sprintf("url: %q (unchanged)", url))
	}
	if row.Location != location {
		e.Details = append(e.Details, fmt.Sprintf("location: %d -> %d", row.Location, location))
	}
	e.Details = append(e.Details, fmt.Sprintf("producer row now: is_active %v, unpaid_blocks %d, last_claim_time %s", row.IsActive, row.UnpaidBlocks, contracts.FormatTimePoint(row.LastClaimTime)))
	return e, nil
}
