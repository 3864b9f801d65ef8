package producer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/txflow"
)

// Via says how an action of the producer account is sent.
type Via string

// The ways an action can be sent.
const (
	// ViaAuto sends directly when the signers present satisfy the
	// permission, otherwise as an eosio.msig proposal.
	ViaAuto Via = ""
	// ViaDirect sends the action itself, signed by the signers present.
	ViaDirect Via = "direct"
	// ViaMsig proposes the action to eosio.msig.
	ViaMsig Via = "msig"
)

// ParseVia reads "direct", "msig" or "auto"/"" .
func ParseVia(s string) (Via, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return ViaAuto, nil
	case "direct":
		return ViaDirect, nil
	case "msig":
		return ViaMsig, nil
	}
	return "", fmt.Errorf("via %q: expected direct, msig or auto", s)
}

// DefaultProposalExpiration is how long a proposal's inner transaction
// stays executable (cleos's default).
const DefaultProposalExpiration = 24 * time.Hour

// SendOptions are the choices common to rotate and unregister.
type SendOptions struct {
	Via Via
	// Proposer is actor@permission proposing (msig); empty means the first
	// requested approver the signers present satisfy.
	Proposer string
	// ProposalName is the proposal's name (msig); empty means one derived
	// from the action and the time.
	ProposalName string
	// Expiration of the transaction that is signed now (0: chain's default).
	Expiration time.Duration
	// ProposalExpiration of the proposed transaction (0: 24 h).
	ProposalExpiration time.Duration
	// Exact signs directly only as the linked permission itself, never as
	// an ancestor that covers it: the emergency screen names the rotate
	// permission and must sign as it, or say its key is not connected.
	Exact bool
}

// Plan is a transaction ready to be signed: what it does, who authorizes
// it, and how it is sent. Show it to the operator before Execute.
type Plan struct {
	Account string `json:"account"`
	// Action is the producer action (regproducer, regproducer2, unregprod).
	Action     *eos.Action     `json:"-"`
	ActionName string          `json:"action"`
	ActionData json.RawMessage `json:"action_data"`
	// Permission of Account that authorizes the action, and whether it is
	// linked to it (otherwise it is active).
	Permission string `json:"permission"`
	Linked     bool   `json:"linked"`
	Via        Via    `json:"via"`
	// Why explains the choice of Via.
	Why string `json:"why"`

	// Tx is what will be signed: the action itself (direct) or propose +
	// approve (msig).
	Tx       *eos.SignedTransaction `json:"-"`
	ChainID  signer.ChainID         `json:"chain_id"`
	TrxID    string                 `json:"trx_id"`
	Required []signer.PublicKey     `json:"required_keys"`
	Actions  []string               `json:"actions"`

	// msig only.
	Proposer     string   `json:"proposer,omitempty"`
	ProposalName string   `json:"proposal_name,omitempty"`
	Requested    []string `json:"requested,omitempty"`
	// ProposalHash is the proposed transaction's id, which approvals pin.
	ProposalHash string `json:"proposal_hash,omitempty"`

	// Note goes into the signing journal.
	Note string `json:"note"`
}

// Outcome is what Execute did.
type Outcome struct {
	TrxID        string `json:"trx_id"`
	Endpoint     string `json:"endpoint"`
	AlreadyKnown bool   `json:"already_known,omitempty"`
	BlockNum     uint32 `json:"block_num,omitempty"`
}

// prepare builds the plan for one action of account authorized by perm.
func prepare(ctx context.Context, c Chain, account, perm string, linked bool, act *eos.Action, opts SendOptions, signers []signer.Signer) (*Plan, error) {
	info, err := c.GetInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the chain: %w", err)
	}
	act.Authorization = []eos.PermissionLevel{{Actor: eos.AccountName(account), Permission: eos.PermissionName(perm)}}
	data, err := act.ActionData.EncodeActionData()
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", act.Name, err)
	}
	p := &Plan{Account: account, Action: act, ActionName: string(act.Name), Permission: perm, Linked: linked, ChainID: info.ChainID}
	if js, err := contracts.DecodeActionJSON(act.Account, act.Name, data); err == nil {
		p.ActionData = js
	}
	avail := make([]signer.PublicKey, 0, len(signers))
	for _, s := range signers {
		avail = append(avail, s.PublicKey())
	}
	var directErr error
	if opts.Via != ViaMsig {
		if len(avail) == 0 {
			directErr = errors.New("no signer given (--signer)")
		} else {
			// nodeos accepts the linked permission or any ancestor of it, so
			// a team holding active can act directly when the linked
			// permission's own key is away (the emergency case).
			cands := ancestry(ctx, c, account, perm)
			if opts.Exact {
				cands = cands[:1]
			}
			for _, cand := range cands {
				act.Authorization = []eos.PermissionLevel{{Actor: eos.AccountName(account), Permission: eos.PermissionName(cand)}}
				tx, err := c.NewTransaction(ctx, []*eos.Action{act}, opts.Expiration)
				if err != nil {
					return nil, err
				}
				req, err := c.RequiredKeys(ctx, tx.Transaction, avail)
				if err == nil {
					p.Via, p.Tx, p.Required, p.Permission = ViaDirect, tx, req, cand
					p.Why = fmt.Sprintf("the signers present satisfy %s@%s", account, cand)
					if cand != perm {
						p.Why += fmt.Sprintf(", which covers %s@%s", account, perm)
					}
					p.Note = fmt.Sprintf("producer %s %s (direct)", act.Name, account)
					return p.finish()
				}
				if !chain.IsCode(err, chain.CodeUnsatisfiedAuth) {
					return nil, fmt.Errorf("asking which keys must sign: %w", err)
				}
			}
			act.Authorization = []eos.PermissionLevel{{Actor: eos.AccountName(account), Permission: eos.PermissionName(perm)}}
			directErr = fmt.Errorf("the signers present do not satisfy %s@%s or any permission above it", account, perm)
			if opts.Exact {
				directErr = fmt.Errorf("the key of %s@%s is not connected (no signer present satisfies it)", account, perm)
			}
		}
		if opts.Via == ViaDirect {
			return nil, fmt.Errorf("%w: sign with keys of that permission, or use --via msig to propose it", directErr)
		}
	}
	if err := p.proposal(ctx, c, info, act, opts, avail); err != nil {
		if directErr != nil {
			return nil, fmt.Errorf("%v, and it cannot be proposed either: %w", directErr, err)
		}
		return nil, err
	}
	if directErr != nil {
		p.Why = directErr.Error() + ": proposing it for approval"
	} else {
		p.Why = "--via msig"
	}
	return p.finish()
}

// ancestry lists perm and its ancestors up to owner, as nodeos lets any of
// them authorize an action linked to perm. When the account cannot be
// read, it is perm alone.
func ancestry(ctx context.Context, c Chain, account, perm string) []string {
	out := []string{perm}
	acct, err := c.GetAccount(ctx, account)
	if err != nil {
		return out
	}
	for p := acct.Permission(perm); p != nil && p.Parent != "" && len(out) <= 16; p = acct.Permission(p.Parent) {
		out = append(out, p.Parent)
	}
	return out
}

// finish fills the transaction id and action summary.
func (p *Plan) finish() (*Plan, error) {
	packed, _, err := p.Tx.PackedTransactionAndCFD()
	if err != nil {
		return nil, fmt.Errorf("packing the transaction: %w", err)
	}
	id := sha256.Sum256(packed)
	p.TrxID = hex.EncodeToString(id[:])
	p.Actions = audit.Summarize(p.Tx.Transaction)
	return p, nil
}

// proposal fills p with propose (+ the proposer's approve) of act.
func (p *Plan) proposal(ctx context.Context, c Chain, info *chain.Info, act *eos.Action, opts SendOptions, avail []signer.PublicKey) error {
	acct, err := c.GetAccount(ctx, p.Account)
	if err != nil {
		return fmt.Errorf("reading the permissions of %s: %w", p.Account, err)
	}
	perm := acct.Permission(p.Permission)
	if perm == nil {
		return fmt.Errorf("%s has no permission %q", p.Account, p.Permission)
	}
	var requested []eos.PermissionLevel
	for _, a := range perm.RequiredAuth.Accounts {
		requested = append(requested, eos.PermissionLevel{Actor: eos.AccountName(a.Permission.Actor), Permission: eos.PermissionName(a.Permission.Permission)})
	}
	if len(requested) == 0 || len(perm.RequiredAuth.Keys) > 0 {
		// Keys of the permission itself approve as account@perm.
		requested = append(requested, act.Authorization[0])
	}
	sort.Slice(requested, func(i, j int) bool { return contracts.ComparePermissionLevels(requested[i], requested[j]) < 0 })

	exp := opts.ProposalExpiration
	if exp <= 0 {
		exp = DefaultProposalExpiration
	}
	inner := &eos.Transaction{
		TransactionHeader:  eos.TransactionHeader{Expiration: eos.JSONTime{Time: info.HeadBlockTime.Time.UTC().Add(exp).Truncate(time.Second)}},
		ContextFreeActions: []*eos.Action{},
		Actions:            []*eos.Action{act},
		Extensions:         []*eos.Extension{},
	}
	packedInner, err := eos.MarshalBinary(inner)
	if err != nil {
		return fmt.Errorf("packing the proposed transaction: %w", err)
	}
	hash := sha256.Sum256(packedInner)
	name := opts.ProposalName
	if name == "" {
		name = ProposalName(string(act.Name), info.HeadBlockTime.Time)
	}
	if _, err := contracts.NameValue(name); err != nil {
		return fmt.Errorf("proposal name %q: %w", name, err)
	}

	var candidates []eos.PermissionLevel
	if opts.Proposer != "" {
		a, pm, ok := strings.Cut(opts.Proposer, "@")
		if !ok || a == "" || pm == "" {
			return fmt.Errorf("proposer %q: expected actor@permission", opts.Proposer)
		}
		candidates = []eos.PermissionLevel{{Actor: eos.AccountName(a), Permission: eos.PermissionName(pm)}}
	} else {
		for _, r := range requested {
			if string(r.Actor) != p.Account {
				candidates = append(candidates, r)
			}
		}
	}
	if len(avail) == 0 {
		return errors.New("no signer given (--signer): someone has to sign the proposal")
	}
	var lastErr error
	for _, prop := range candidates {
		propose, err := contracts.ProposeRaw{Proposer: prop.Actor, ProposalName: eos.Name(name), Requested: requested, PackedTrx: packedInner}.Bytes()
		if err != nil {
			return err
		}
		acts := []*eos.Action{{Account: contracts.Msig, Name: "propose", Authorization: []eos.PermissionLevel{prop}, ActionData: eos.NewActionDataFromHexData(propose)}}
		for _, r := range requested {
			if r == prop {
				approve := contracts.MustEncode(contracts.ApproveWithHash{Approve: contracts.Approve{Proposer: prop.Actor, ProposalName: eos.Name(name), Level: r}, ProposalHash: eos.Checksum256(hash[:])})
				acts = append(acts, &eos.Action{Account: contracts.Msig, Name: "approve", Authorization: []eos.PermissionLevel{prop}, ActionData: eos.NewActionDataFromHexData(approve)})
			}
		}
		tx, err := c.NewTransaction(ctx, acts, opts.Expiration)
		if err != nil {
			return err
		}
		req, err := c.RequiredKeys(ctx, tx.Transaction, avail)
		if err != nil {
			if chain.IsCode(err, chain.CodeUnsatisfiedAuth) {
				lastErr = fmt.Errorf("the signers present do not satisfy %s@%s either", prop.Actor, prop.Permission)
				continue
			}
			return fmt.Errorf("asking which keys must sign the proposal: %w", err)
		}
		p.Via, p.Tx, p.Required = ViaMsig, tx, req
		p.Proposer = string(prop.Actor) + "@" + string(prop.Permission)
		p.ProposalName = name
		p.ProposalHash = hex.EncodeToString(hash[:])
		for _, r := range requested {
			p.Requested = append(p.Requested, string(r.Actor)+"@"+string(r.Permission))
		}
		p.Note = fmt.Sprintf("producer %s %s (msig propose %s/%s)", act.Name, p.Account, prop.Actor, name)
		return nil
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("%s@%s is satisfied by keys only and no other account can propose: pass --proposer ACTOR@PERMISSION", p.Account, p.Permission)
	}
	return fmt.Errorf("no proposer: %w (pass --proposer ACTOR@PERMISSION with a --signer of that permission)", lastErr)
}

// ReviewCommand is the command the other approvers run to review a
// proposal.
func (p *Plan) ReviewCommand() string {
	if p.Via != ViaMsig {
		return ""
	}
	return fmt.Sprintf("bpkeys msig review %s %s", strings.SplitN(p.Proposer, "@", 2)[0], p.ProposalName)
}

// ApproveCommand is the command an approver runs, pinned to the proposal
// hash.
func (p *Plan) ApproveCommand() string {
	if p.Via != ViaMsig {
		return ""
	}
	return fmt.Sprintf("bpkeys msig approve %s %s --hash %s --as ACTOR@PERMISSION --signer REF", strings.SplitN(p.Proposer, "@", 2)[0], p.ProposalName, p.ProposalHash)
}

// Prepare hands the plan's transaction to the signing gate: frozen, made
// unique, judged. Show its Lines, confirm, then sign it with g.Sign and
// report with OutcomeOf.
func (p *Plan) Prepare(ctx context.Context, g *txflow.Gate) (*txflow.Prepared, error) {
	prep, err := g.PrepareBuilt(ctx, p.Tx.Transaction, p.Required, txflow.Job{Note: p.Note})
	if err != nil {
		return nil, fmt.Errorf("preparing %s: %w", p.ActionName, err)
	}
	p.TrxID = prep.Stages[0].Frozen.IDHex()
	return prep, nil
}

// OutcomeOf is what the gate did with a plan's transaction.
func OutcomeOf(res *txflow.Result) *Outcome {
	pr := res.Pushed[0]
	out := &Outcome{TrxID: pr.TransactionID.String(), Endpoint: pr.Endpoint, AlreadyKnown: pr.AlreadyKnown}
	if pr.Trace != nil {
		out.BlockNum = pr.Trace.BlockNum
	}
	return out
}

// nameChars are the characters of an EOSIO name (without the dot).
const nameChars = "12345abcdefghijklmnopqrstuvwxyz"

// ProposalName derives a proposal name from the action and the time: a
// short prefix ("rotkey", "unreg") and the time in seconds in the name
// alphabet, so names sort by time and rarely collide.
func ProposalName(action string, t time.Time) string {
	prefix := "prod"
	switch action {
	case "regproducer", "regproducer2":
		prefix = "rotkey"
	case "unregprod":
		prefix = "unreg"
	}
	n := uint64(t.Unix())
	var b []byte
	for i := 0; i < 12-len(prefix) && n > 0; i++ {
		b = append([]byte{nameChars[n%uint64(len(nameChars))]}, b...)
		n /= uint64(len(nameChars))
	}
	return prefix + string(b)
}

// Placeholder is a public key for dry runs whose private key nobody knows:
// the first point on secp256k1 whose x is sha256 of a fixed label and a
// counter ("nothing up my sleeve"). No private key is made, even in memory.
func Placeholder() (signer.PublicKey, error) {
	for i := 0; i < 256; i++ {
		x := sha256.Sum256([]byte(fmt.Sprintf("bpkeys dry-run placeholder key %d", i)))
		if k, err := signer.NewPublicKey(signer.CurveK1, append([]byte{2}, x[:]...)); err == nil {
			return k, nil
		}
	}
	return signer.PublicKey{}, errors.New("no placeholder key found")
}
