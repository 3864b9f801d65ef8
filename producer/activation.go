package producer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/bpkeys/bpkeys/chain"
	"github.com/bpkeys/bpkeys/contracts"
)

// NotActivatedMessage is eosio::claimrewards's assertion on a chain whose
// system contract is not activated.
const NotActivatedMessage = "cannot claim rewards until the chain is activated"

// Activation is the system contract's activation state, from eosio's
// "global" table: claims from eosio fail until 15% of the supply votes
// (thresh_activated_stake_time is set then).
type Activation struct {
	// Known is false when the chain has no eosio global table to read
	// (no eosio.system): nothing is known either way.
	Known bool `json:"known"`
	// Activated is whether thresh_activated_stake_time is set.
	Activated bool `json:"activated"`
	// At is thresh_activated_stake_time (zero until activated).
	At time.Time `json:"activated_at,omitempty"`
	// TotalActivatedStake is total_activated_stake (core token units
	// without the decimal point).
	TotalActivatedStake int64 `json:"total_activated_stake"`
}

// ReadActivation reads the activation state. A chain without the table
// (nodeos answers an error) gives Known false; an endpoint failure is an
// error.
func ReadActivation(ctx context.Context, c Chain) (Activation, error) {
	res, err := c.GetTableRows(ctx, chain.TableRowsRequest{Code: string(contracts.System), Scope: string(contracts.System), Table: "global", JSON: true, Limit: 1})
	var api *chain.APIError
	switch {
	case errors.As(err, &api):
		return Activation{}, nil
	case err != nil:
		return Activation{}, fmt.Errorf("reading eosio's global state (activation): %w", err)
	}
	if len(res.Rows) == 0 {
		return Activation{}, nil
	}
	var g struct {
		TotalActivatedStake      chain.FlexInt `json:"total_activated_stake"`
		ThreshActivatedStakeTime chain.Time    `json:"thresh_activated_stake_time"`
	}
	if err := json.Unmarshal(res.Rows[0], &g); err != nil {
		return Activation{}, fmt.Errorf("reading eosio's global state: unexpected row %.120s: %w", res.Rows[0], err)
	}
	at := g.ThreshActivatedStakeTime.Time.UTC()
	out := Activation{Known: true, TotalActivatedStake: int64(g.TotalActivatedStake)}
	if at.After(time.Unix(0, 0)) {
		out.Activated, out.At = true, at
	}
	return out, nil
}

// NotActivated reports a chain known not to be activated.
func (a Activation) NotActivated() bool { return a.Known && !a.Activated }

// Explain is one line for an operator.
func (a Activation) Explain() string {
	switch {
	case !a.Known:
		return "unknown (the chain has no eosio global table)"
	case a.Activated:
		return "activated at " + a.At.Format("2006-01-02 15:04:05") + " UTC"
	}
	return "not activated: claims from eosio fail until 15% of the supply votes"
}
