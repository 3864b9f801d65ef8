package permissions

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
)

// PlanVersion is the version of the plan file format.
const PlanVersion = 1

// Severity of a finding.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Finding is one problem a rule found, in words an operator understands.
type Finding struct {
	Severity   Severity `json:"severity"`
	Rule       string   `json:"rule"`
	Permission string   `json:"permission,omitempty"`
	Message    string   `json:"message"`
	// Power is the sensitive power a power rule is about (change-auth,
	// set-code, move-funds, approve-proposals, block-signing).
	Power string `json:"power,omitempty"`
	// BuiltIn marks the rules that are always on: an error from one of
	// them refuses the plan before anything is signed.
	BuiltIn bool `json:"built_in,omitempty"`
}

// String is "error [rule] permission: message".
func (f Finding) String() string {
	p := ""
	if f.Permission != "" {
		p = " " + f.Permission + ":"
	}
	return fmt.Sprintf("%s [%s]%s %s", f.Severity, f.Rule, p, f.Message)
}

// Action is one native action of a plan, ready to put in a transaction.
type Action struct {
	// Stage is the transaction the action goes in (0 first). nodeos checks
	// every action's authorization against the state before the
	// transaction, so a permission created under a permission the same
	// plan creates needs a second transaction.
	Stage         int             `json:"stage"`
	Contract      string          `json:"account"`
	Name          string          `json:"name"`
	Authorization []Level         `json:"authorization"`
	Data          json.RawMessage `json:"data"`
	HexData       string          `json:"hex_data"`
	Summary       string          `json:"summary"`
}

// EOS converts the action for eos-go's transaction builder.
func (a Action) EOS() (*eos.Action, error) {
	b, err := hex.DecodeString(a.HexData)
	if err != nil {
		return nil, fmt.Errorf("action %s::%s: hex_data: %w", a.Contract, a.Name, err)
	}
	out := &eos.Action{Account: eos.AccountName(a.Contract), Name: eos.ActionName(a.Name), ActionData: eos.NewActionDataFromHexData(b)}
	for _, l := range a.Authorization {
		out.Authorization = append(out.Authorization, eos.PermissionLevel{Actor: eos.AccountName(l.Actor), Permission: eos.PermissionName(l.Permission)})
	}
	return out, nil
}

// Plan is a reviewed change of an account's permissions: the edits asked
// for, the native actions that make them, the trees before and after, the
// human diff and the findings of the safety rules.
type Plan struct {
	Version  int       `json:"version"`
	Account  string    `json:"account"`
	ChainID  string    `json:"chain_id,omitempty"`
	Edits    []Edit    `json:"edits"`
	Actions  []Action  `json:"actions"`
	Before   *Account  `json:"before"`
	After    *Account  `json:"after"`
	Diff     []string  `json:"diff"`
	Findings []Finding `json:"findings"`
}

// Stages returns the actions grouped by transaction, in order.
func (p *Plan) Stages() [][]Action {
	var out [][]Action
	for _, a := range p.Actions {
		for len(out) <= a.Stage {
			out = append(out, nil)
		}
		out[a.Stage] = append(out[a.Stage], a)
	}
	return out
}

// Refused reports whether a built-in rule refused the plan.
func (p *Plan) Refused() bool {
	return slices.ContainsFunc(p.Findings, func(f Finding) bool { return f.BuiltIn && f.Severity == SeverityError })
}

// NewPlan applies edits to before and derives the native actions that take
// the chain from before to after. label names keys in the diff (nil:
// keys only). It returns an error for edits that cannot apply; authorities
// nodeos would refuse are reported as built-in findings.
func NewPlan(before *Account, edits []Edit, label LabelFunc) (*Plan, error) {
	if before == nil {
		return nil, errors.New("plan: no account")
	}
	if len(edits) == 0 {
		return nil, errors.New("plan: nothing to change (give --rotate, --add-key, --remove-key, --threshold, --add-account, --remove-account, --create, --delete, --link, --unlink or --template)")
	}
	b := before.Clone()
	b.Normalize()
	after, err := ApplyEdits(b, edits)
	if err != nil {
		return nil, fmt.Errorf("plan for %s: %w", b.Name, err)
	}
	p := &Plan{Version: PlanVersion, Account: b.Name, Edits: slices.Clone(edits), Before: b, After: after, Findings: []Finding{}}
	p.Actions, p.Findings, err = Actions(b, after)
	if err != nil {
		return nil, fmt.Errorf("plan for %s: %w", b.Name, err)
	}
	p.Diff = Diff(b, after, label)
	return p, nil
}

// Verify rebuilds the plan from its Before and Edits and checks that its
// After and Actions are exactly what they produce: a plan file edited by
// hand (or damaged) is refused.
func (p *Plan) Verify() error {
	if p.Version != PlanVersion {
		return fmt.Errorf("plan file version %d: this bpkeys reads version %d", p.Version, PlanVersion)
	}
	if p.Before == nil || p.After == nil {
		return errors.New("plan file: no before or after tree")
	}
	q, err := NewPlan(p.Before, p.Edits, nil)
	if err != nil {
		return fmt.Errorf("plan file: %w", err)
	}
	if q.Account != p.Account || !q.After.Equal(p.After) {
		return errors.New("plan file: its 'after' tree is not what its edits produce: it was changed after it was made; make the plan again")
	}
	if len(q.Actions) != len(p.Actions) {
		return fmt.Errorf("plan file: it has %d actions, its edits produce %d: make the plan again", len(p.Actions), len(q.Actions))
	}
	for i := range q.Actions {
		x, y := q.Actions[i], p.Actions[i]
		if x.Stage != y.Stage || x.Contract != y.Contract || x.Name != y.Name || x.HexData != y.HexData || !slices.Equal(x.Authorization, y.Authorization) {
			return fmt.Errorf("plan file: action %d (%s) is not what its edits produce: make the plan again", i+1, y.Summary)
		}
	}
	return nil
}

// Actions derives the native actions taking an account from before to
// after, in the order nodeos needs: updateauth (parents before children),
// linkauth, unlinkauth, deleteauth (children before parents). Each action
// declares the authority nodeos requires: updateauth the permission
// modified (or the parent of one created), deleteauth the permission
// deleted, linkauth and unlinkauth the action's current minimum permission;
// bpkeys declares active when active satisfies it and owner otherwise.
// When the account has a limitauthchg setting (before.AuthChange), every
// action carries authorized_by (the declared permission), and owner is
// declared where the setting does not let active authorize changes.
// Authorities nodeos would refuse give findings (rule invalid-authority).
func Actions(before, after *Account) ([]Action, []Finding, error) {
	if before.Name != after.Name {
		return nil, nil, fmt.Errorf("before is %s and after is %s", before.Name, after.Name)
	}
	acct := before.Name
	var findings []Finding
	// declare picks active when min is active or below it, else owner.
	// Under limitauthchg, active declares only when the limit lets it
	// authorize changes, and every action names its declared permission
	// as authorized_by.
	declare := func(tree *Account, min string) []Level {
		if min != Owner && tree.IsUnder(min, Active) && before.AuthChange.MayAuthorize(Active) {
			return []Level{{acct, Active}}
		}
		return []Level{{acct, Owner}}
	}
	limited := before.AuthChange != nil
	byOf := func(auth []Level) eos.PermissionName { return eos.PermissionName(auth[0].Permission) }
	stage := map[string]int{}
	var updates []Action
	for _, p := range after.Permissions {
		bp := before.Perm(p.Name)
		if bp != nil && bp.Parent != p.Parent {
			return nil, nil, fmt.Errorf("%s would move from parent %s to %s: nodeos cannot change a permission's parent (delete it and create it again)", p.Name, bp.Parent, p.Parent)
		}
		if bp != nil && bp.Auth.Equal(p.Auth) {
			continue
		}
		if err := p.Auth.Validate(); err != nil {
			findings = append(findings, Finding{Severity: SeverityError, Rule: "invalid-authority", Permission: p.Name, BuiltIn: true,
				Message: fmt.Sprintf("nodeos would refuse the new authority of %s: %v", p.Name, err)})
		}
		if slices.ContainsFunc(p.Auth.Keys, func(k KeyWeight) bool { return k.Unsupported != "" }) {
			return nil, nil, fmt.Errorf("%s has a key bpkeys cannot encode (%s): change it with another tool", p.Name, firstUnsupported(p.Auth))
		}
		s, min := 0, p.Name
		if bp == nil {
			min = p.Parent
			if before.Perm(p.Parent) == nil {
				s = stage[p.Parent] + 1
			}
		}
		stage[p.Name] = s
		data := contracts.UpdateAuth{Account: eos.AccountName(acct), Permission: eos.PermissionName(p.Name), Parent: eos.PermissionName(p.Parent), Auth: p.Auth.EOS()}
		js := struct {
			Account      string    `json:"account"`
			Permission   string    `json:"permission"`
			Parent       string    `json:"parent"`
			Auth         Authority `json:"auth"`
			AuthorizedBy string    `json:"authorized_by,omitempty"`
		}{acct, p.Name, p.Parent, p.Auth, ""}
		verb := "update"
		if bp == nil {
			verb = "create"
		}
		auth := declare(after, min)
		var enc any = data
		if limited {
			enc = contracts.UpdateAuthBy{UpdateAuth: data, AuthorizedBy: byOf(auth)}
			js.AuthorizedBy = string(byOf(auth))
		}
		a, err := newAction(s, "updateauth", auth, enc, js, updateSummary(verb, acct, p.Name, p.Parent))
		if err != nil {
			return nil, nil, err
		}
		updates = append(updates, a)
	}
	last := 0
	for _, s := range stage {
		last = max(last, s)
	}
	var links, unlinks, deletes []Action
	bl, al := before.Links(), after.Links()
	sortedLinks := func(m map[Link]string) []Link {
		out := make([]Link, 0, len(m))
		for l := range m {
			out = append(out, l)
		}
		slices.SortFunc(out, compareLinks)
		return out
	}
	linkAuth := func(l Link) []Level {
		min, any := before.MinimumPermission(l.Contract, l.Action)
		if any {
			return declare(before, Active)
		}
		return declare(before, min)
	}
	for _, l := range sortedLinks(al) {
		req := al[l]
		if bl[l] == req {
			continue
		}
		data := contracts.LinkAuth{Account: eos.AccountName(acct), Code: eos.AccountName(l.Contract), Type: eos.ActionName(l.Action), Requirement: eos.PermissionName(req)}
		js := map[string]string{"account": acct, "code": l.Contract, "type": l.Action, "requirement": req}
		auth := linkAuth(l)
		var enc any = data
		if limited {
			enc, js["authorized_by"] = contracts.LinkAuthBy{LinkAuth: data, AuthorizedBy: byOf(auth)}, string(byOf(auth))
		}
		a, err := newAction(last, "linkauth", auth, enc, js, fmt.Sprintf("link %s to %s@%s", l, acct, req))
		if err != nil {
			return nil, nil, err
		}
		links = append(links, a)
	}
	for _, l := range sortedLinks(bl) {
		if _, ok := al[l]; ok {
			continue
		}
		data := contracts.UnlinkAuth{Account: eos.AccountName(acct), Code: eos.AccountName(l.Contract), Type: eos.ActionName(l.Action)}
		js := map[string]string{"account": acct, "code": l.Contract, "type": l.Action}
		auth := linkAuth(l)
		var enc any = data
		if limited {
			enc, js["authorized_by"] = contracts.UnlinkAuthBy{UnlinkAuth: data, AuthorizedBy: byOf(auth)}, string(byOf(auth))
		}
		a, err := newAction(last, "unlinkauth", auth, enc, js, fmt.Sprintf("unlink %s (was %s@%s)", l, acct, bl[l]))
		if err != nil {
			return nil, nil, err
		}
		unlinks = append(unlinks, a)
	}
	for i := len(before.Permissions) - 1; i >= 0; i-- { // reverse tree order: children first
		p := before.Permissions[i]
		if after.Perm(p.Name) != nil {
			continue
		}
		data := contracts.DeleteAuth{Account: eos.AccountName(acct), Permission: eos.PermissionName(p.Name)}
		js := map[string]string{"account": acct, "permission": p.Name}
		auth := declare(before, p.Name)
		var enc any = data
		if limited {
			enc, js["authorized_by"] = contracts.DeleteAuthBy{DeleteAuth: data, AuthorizedBy: byOf(auth)}, string(byOf(auth))
		}
		a, err := newAction(last, "deleteauth", auth, enc, js, fmt.Sprintf("delete %s@%s", acct, p.Name))
		if err != nil {
			return nil, nil, err
		}
		deletes = append(deletes, a)
	}
	// Within a stage: updateauth, linkauth, unlinkauth, deleteauth.
	var out []Action
	for s := 0; s <= last; s++ {
		for _, a := range updates {
			if a.Stage == s {
				out = append(out, a)
			}
		}
	}
	out = append(out, links...)
	out = append(out, unlinks...)
	out = append(out, deletes...)
	return out, findings, nil
}

func firstUnsupported(au Authority) string {
	for _, k := range au.Keys {
		if k.Unsupported != "" {
			return shorten(k.Unsupported)
		}
	}
	return ""
}

func newAction(stage int, name string, auth []Level, data, js any, summary string) (Action, error) {
	b, err := contracts.Encode(data)
	if err != nil {
		return Action{}, fmt.Errorf("encoding %s: %w", summary, err)
	}
	j, err := json.Marshal(js)
	if err != nil {
		return Action{}, fmt.Errorf("encoding %s as JSON: %w", summary, err)
	}
	return Action{Stage: stage, Contract: "eosio", Name: name, Authorization: auth, Data: j, HexData: hex.EncodeToString(b), Summary: summary}, nil
}

// MarshalPlan writes a plan as indented JSON.
func MarshalPlan(p *Plan) ([]byte, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("writing the plan: %w", err)
	}
	return append(b, '\n'), nil
}

// UnmarshalPlan reads a plan file and checks it with Verify.
func UnmarshalPlan(b []byte) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("reading the plan file: %w", err)
	}
	if err := p.Verify(); err != nil {
		return nil, err
	}
	return &p, nil
}

// updateSummary says what an updateauth does; owner has no parent.
func updateSummary(verb, acct, perm, parent string) string {
	if parent == "" {
		return fmt.Sprintf("%s %s@%s", verb, acct, perm)
	}
	return fmt.Sprintf("%s %s@%s (parent %s)", verb, acct, perm, parent)
}
