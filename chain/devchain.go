package chain

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Devchain calls the endpoints that exist only on bpkeys' local chain
// (/v1/devchain/*). It is for tests and the demo: nothing else in bpkeys
// calls it, and a Client never does on its own.
type Devchain struct{ c *Client }

// Devchain returns the devchain-only sub-client. Its calls go to the same
// endpoints, checked for the same chain id.
func (c *Client) Devchain() *Devchain { return &Devchain{c: c.single()} }

// AdvanceTimeResult is the devchain's answer to advance_time.
type AdvanceTimeResult struct {
	HeadBlockTime Time            `json:"head_block_time"`
	Raw           json.RawMessage `json:"-"`
}

// AdvanceTime moves the devchain's clock forward (for the 24-hour claim
// rule and proposal expiry).
func (d *Devchain) AdvanceTime(ctx context.Context, seconds int64) (*AdvanceTimeResult, error) {
	if seconds <= 0 {
		return nil, fmt.Errorf("devchain advance_time: seconds must be positive, got %d", seconds)
	}
	data, err := d.c.read(ctx, "devchain advance_time", "/v1/devchain/advance_time", map[string]int64{"seconds": seconds}, wholeNorm)
	if err != nil {
		return nil, err
	}
	r := &AdvanceTimeResult{Raw: data}
	if err := json.Unmarshal(data, r); err != nil {
		// Tolerate another answer shape; the raw answer is kept.
		r.HeadBlockTime = Time{}
	}
	return r, nil
}

// Health reports whether the first reachable endpoint is a serving devchain
// (GET /v1/devchain/health answers 200).
func (d *Devchain) Health(ctx context.Context) error {
	s := d.c.s
	var errs []error
	for _, ep := range s.endpoints {
		_, _, err := s.call(ctx, ep, http.MethodGet, "/v1/devchain/health", nil, s.readTimeout)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("devchain health: %w", ctx.Err())
		}
		errs = append(errs, err)
	}
	return &UnavailableError{Op: "devchain health", Need: 1, Errs: errs}
}
