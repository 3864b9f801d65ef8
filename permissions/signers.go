package permissions

import (
	"fmt"
	"strings"

	"github.com/bpkeys/bpkeys/signer"
)

// SignersShortError says the keys given cannot satisfy a level an action of
// the plan needs, and which sets of holders could.
type SignersShortError struct {
	Level   Level
	Summary string
	Sets    [][]string
}

func (e *SignersShortError) Error() string {
	return fmt.Sprintf("the --signer keys cannot satisfy %s, which %s needs; it takes %s: connect the devices of one of these sets and pass their --signer references", e.Level, e.Summary, SetsText(e.Sets, false))
}

// CheckSigners verifies that keys alone satisfy every authorization the
// plan declares (the first stage against the chain as it is, later stages
// against the planned tree), and says who else is needed.
func (p *Plan) CheckSigners(w *World, keys []signer.PublicKey, holderOf HolderFunc) error {
	after := w.With(p.After)
	for _, act := range p.Actions {
		world := w
		if act.Stage > 0 {
			world = after
		}
		for _, l := range act.Authorization {
			if world.Satisfied(l, keys) {
				continue
			}
			sets, _ := world.MinimalHolderSets(l, holderOf, 5)
			return &SignersShortError{Level: l, Summary: act.Summary, Sets: sets}
		}
	}
	return nil
}

// SetsText is sets of holders in words: "{alice + bob} or {carol}".
func SetsText(sets [][]string, truncated bool) string {
	if len(sets) == 0 {
		return "nobody"
	}
	parts := make([]string, len(sets))
	for i, s := range sets {
		parts[i] = "{" + strings.Join(s, " + ") + "}"
	}
	s := strings.Join(parts, " or ")
	if truncated {
		s += " or more"
	}
	return s
}
