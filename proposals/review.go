package proposals

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	eos "github.com/eoscanada/eos-go"
)

// Finding is a policy finding about the state after execution.
type Finding struct {
	Severity string `json:"severity"` // "error", "warning", "info"
	Message  string `json:"message"`
}

// PolicyCheck returns the findings for a proposal's actions applied to the
// accounts as they are now. It is how package policies plugs in.
type PolicyCheck func(ctx context.Context, accts *Accounts, actions []DecodedAction) ([]Finding, error)

// ReviewOptions tune a review.
type ReviewOptions struct {
	// Now is the time expiry and earliest_exec_time are judged against
	// (zero: the chain's head block time).
	Now time.Time
	// ABIs decode the actions (nil: a fresh resolver on the chain).
	ABIs *ABIs
	// Policy adds findings (nil: none are computed, and the review says so).
	Policy PolicyCheck
}

// ReviewedAction is one inner action: decoded fields and words.
type ReviewedAction struct {
	DecodedAction
	Explanation
}

// Review is everything an approver needs to decide, computed from one read
// of the proposal: the hash shown is the hash of the bytes decoded.
type Review struct {
	Proposal *Proposal        `json:"proposal"`
	Actions  []ReviewedAction `json:"actions"`
	Progress *Progress        `json:"progress"`
	Verdict  Verdict          `json:"verdict"`
	Findings []Finding        `json:"findings"`
	// PolicyNote says when no policy check ran.
	PolicyNote string    `json:"policy_note,omitempty"`
	Now        time.Time `json:"reviewed_at"`
}

// MakeReview decodes, explains and evaluates a proposal that was read
// with Read. Decoding errors fail the review: an action that does not
// decode is never shown as understood.
func MakeReview(ctx context.Context, c Chain, p *Proposal, opts ReviewOptions) (*Review, error) {
	abis := opts.ABIs
	if abis == nil {
		abis = NewABIs(c)
	}
	now := opts.Now
	if now.IsZero() {
		var err error
		if now, err = ChainNow(ctx, c); err != nil {
			return nil, err
		}
	}
	decoded, err := DecodeActions(ctx, abis, p.Transaction.Actions)
	if err != nil {
		return nil, fmt.Errorf("proposal %s/%s: %w", p.Proposer, p.Name, err)
	}
	accts := NewAccounts(c)
	r := &Review{Proposal: p, Now: now.UTC(), Findings: []Finding{}}
	for _, d := range decoded {
		e, err := Explain(ctx, c, accts, d)
		if err != nil {
			return nil, fmt.Errorf("proposal %s/%s: %w", p.Proposer, p.Name, err)
		}
		r.Actions = append(r.Actions, ReviewedAction{DecodedAction: d, Explanation: e})
	}
	var requested []eos.PermissionLevel
	for _, a := range p.Requested {
		requested = append(requested, a.Level)
	}
	for _, a := range p.Provided {
		requested = append(requested, a.Level)
	}
	if r.Progress, err = Evaluate(ctx, accts, p.Transaction.Actions, requested, p.Levels()); err != nil {
		return nil, err
	}
	r.Verdict = Judge(p, r.Progress, now)
	if opts.Policy != nil {
		f, err := opts.Policy(ctx, accts, decoded)
		if err != nil {
			return nil, fmt.Errorf("policy check: %w", err)
		}
		r.Findings = append(r.Findings, f...)
	} else {
		r.PolicyNote = "no policy check configured"
	}
	return r, nil
}

// BlockInterval is the time between blocks on EOSIO chains.
const BlockInterval = 500 * time.Millisecond

// ChainNow is the time the next block will carry (head block time plus one
// block interval): what the contract's current_time_point will be when a
// transaction sent now executes.
func ChainNow(ctx context.Context, c Chain) (time.Time, error) {
	info, err := c.GetInfo(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading the chain's time: %w", err)
	}
	return info.HeadBlockTime.Add(BlockInterval).UTC(), nil
}

// Approvals returns how many distinct levels approved (counted) and how
// many were asked in all.
func (r *Review) Approvals() (counted, asked int) {
	asked = len(r.Proposal.Requested) + len(r.Proposal.Provided)
	return len(r.Proposal.Levels()), asked
}

// WriteText writes the review for a person.
func (r *Review) WriteText(w io.Writer) error {
	p := r.Proposal
	var b strings.Builder
	fmt.Fprintf(&b, "Proposal %s/%s\n", p.Proposer, p.Name)
	fmt.Fprintf(&b, "  proposal hash  %s\n", p.Hash)
	fmt.Fprintf(&b, "  expires        %s", p.Transaction.Expiration.Format(time.RFC3339))
	if p.Expired(r.Now) {
		b.WriteString(" (EXPIRED)")
	}
	b.WriteString("\n")
	if p.Transaction.DelaySec > 0 {
		fmt.Fprintf(&b, "  delay          %ds after approval\n", p.Transaction.DelaySec)
	}
	if p.EarliestExecTime != nil {
		fmt.Fprintf(&b, "  executable at  %s\n", p.EarliestExecTime.Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "\nActions (%d):\n", len(r.Actions))
	for i, a := range r.Actions {
		fmt.Fprintf(&b, "  %d. %s::%s  by %s\n", i+1, a.Account, a.Name, levelsText(a.Authorization))
		fmt.Fprintf(&b, "     %s\n", a.Summary)
		for _, d := range a.Details {
			fmt.Fprintf(&b, "       %s\n", d)
		}
		fmt.Fprintf(&b, "     fields %s\n", compactJSON(a.Data))
	}
	counted, asked := r.Approvals()
	fmt.Fprintf(&b, "\nApprovals: %d of %d asked\n", counted, asked)
	for _, a := range p.Provided {
		line := "  [x] " + levelString(a.Level)
		if a.Time != nil {
			line += "  approved " + a.Time.Format(time.RFC3339)
		}
		if a.Invalidated != nil {
			line += "  INVALIDATED " + a.Invalidated.Format(time.RFC3339) + " (does not count)"
		}
		b.WriteString(line + "\n")
	}
	for _, a := range p.Requested {
		b.WriteString("  [ ] " + levelString(a.Level) + "\n")
	}
	b.WriteString("\nAuthority progress:\n")
	for _, lp := range r.Progress.Authorizations {
		writeProgress(&b, lp, 0, 0)
	}
	b.WriteString("\nPolicy findings:\n")
	if len(r.Findings) == 0 {
		if r.PolicyNote != "" {
			b.WriteString("  none (" + r.PolicyNote + ")\n")
		} else {
			b.WriteString("  none\n")
		}
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "  %s: %s\n", f.Severity, f.Message)
	}
	b.WriteString("\nVerdict: ")
	if r.Verdict.Executable {
		b.WriteString("EXECUTABLE now\n")
	} else {
		b.WriteString("not executable\n")
		for _, m := range r.Verdict.Reasons {
			b.WriteString("  - " + m + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeProgress(b *strings.Builder, lp LevelProgress, weight uint16, depth int) {
	indent := strings.Repeat("    ", depth+1)
	mark := "[ ]"
	if lp.Satisfied {
		mark = "[x]"
	}
	line := fmt.Sprintf("%s%s %s", indent, mark, lp.Level)
	if depth > 0 {
		line += fmt.Sprintf(" (weight %d)", weight)
	}
	awaiting := lp.Requested && !lp.Approved
	switch {
	case lp.Approved:
		line += "  approved"
	case awaiting:
		line += "  requested, not approved yet"
	case lp.Threshold > 0:
		line += fmt.Sprintf("  %d/%d", lp.Weight, lp.Threshold)
	}
	if lp.KeyWeight > 0 && !lp.Satisfied && !awaiting {
		line += fmt.Sprintf("  (keys hold weight %d, which approvals cannot provide)", lp.KeyWeight)
	}
	if lp.Note != "" {
		line += "  (" + lp.Note + ")"
	}
	b.WriteString(line + "\n")
	if lp.Approved || awaiting {
		return
	}
	for _, a := range lp.Accounts {
		writeProgress(b, a.LevelProgress, a.Weight, depth+1)
	}
}

func compactJSON(b []byte) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func jsonString(raw json.RawMessage, s *string) error {
	if err := json.Unmarshal(raw, s); err != nil {
		return fmt.Errorf("expected a hex row, got %.60s", raw)
	}
	return nil
}
