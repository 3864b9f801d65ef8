package producer

import (
	"context"
	"math/rand/v2"
	"time"
)

// DaemonOptions tune Run.
type DaemonOptions struct {
	// Jitter is the most added after each allowed time (a random part in
	// [0, Jitter)), so that several claimers do not fire together
	// (default 2 min; negative: none).
	Jitter time.Duration
	// Margin is always added after the allowed time (default 5 s), so the
	// claim lands after the 24 hours even with a little clock skew.
	Margin time.Duration
	// ErrorWait is the first wait after a failed run, doubling up to
	// MaxErrorWait (defaults 1 min and 15 min).
	ErrorWait    time.Duration
	MaxErrorWait time.Duration
	// Rand returns a float in [0,1) for the jitter (default math/rand/v2).
	Rand func() float64
	// OnRun is called after each run (tests; nil: nothing).
	OnRun func(*ClaimResult, error)
}

// Run claims until ctx is cancelled: a run (Once) now, then another shortly
// after each allowed time (Margin plus jitter), and after a failure a retry
// with growing waits. Failures never stop it; cancelling ctx (SIGTERM)
// stops it cleanly between or during waits, and Run returns nil.
func (c *Claimer) Run(ctx context.Context, o DaemonOptions) error {
	if o.Jitter == 0 {
		o.Jitter = 2 * time.Minute
	}
	if o.Margin == 0 {
		o.Margin = 5 * time.Second
	}
	if o.ErrorWait <= 0 {
		o.ErrorWait = time.Minute
	}
	if o.MaxErrorWait <= 0 {
		o.MaxErrorWait = 15 * time.Minute
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	lg := c.log()
	lg.Info("claim daemon started", "account", c.Account, "permission", c.permission())
	errWait := o.ErrorWait
	for {
		res, err := c.Once(ctx)
		if ctx.Err() != nil {
			lg.Info("claim daemon stopped", "account", c.Account)
			return nil
		}
		if o.OnRun != nil {
			o.OnRun(res, err)
		}
		var wait time.Duration
		if err != nil {
			wait = errWait
			errWait = min(2*errWait, o.MaxErrorWait)
		} else {
			errWait = o.ErrorWait
			wait = res.NextAllowed.Sub(res.HeadBlockTime) + o.Margin
			if o.Jitter > 0 {
				wait += time.Duration(o.Rand() * float64(o.Jitter))
			}
			if wait < o.Margin {
				wait = o.Margin
			}
		}
		lg.Info("next claim run", "account", c.Account, "in", wait.Round(time.Second).String(), "at", c.clock().Now().Add(wait).UTC())
		if err := c.clock().Sleep(ctx, wait); err != nil {
			lg.Info("claim daemon stopped", "account", c.Account)
			return nil
		}
	}
}
