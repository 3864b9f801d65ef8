package chain

import (
	"time"
)

// EndpointHealth is what a Client remembers about an endpoint.
type EndpointHealth struct {
	Endpoint string // credentials redacted
	// DownSince is when it last failed to answer; zero when it answers.
	DownSince time.Time
}

// ordered returns the endpoints in the order to try them: those that
// answer, in the configured order, then those that did not answer last
// time, in the configured order too. A hung endpoint thus costs one timeout per
// run, not one per call, until it answers again.
func (s *state) ordered() []*endpoint {
	var up, down []*endpoint
	for _, ep := range s.endpoints {
		ep.mu.Lock()
		d := ep.downSince
		ep.mu.Unlock()
		if d.IsZero() {
			up = append(up, ep)
		} else {
			down = append(down, ep)
		}
	}
	return append(up, down...)
}

func (s *state) markDown(ep *endpoint, err error) {
	ep.mu.Lock()
	was := !ep.downSince.IsZero()
	if !was {
		ep.downSince = time.Now()
	}
	ep.mu.Unlock()
	if !was && len(s.endpoints) > 1 {
		s.log("%s did not answer (%v): it is tried last until it answers again", ep.name, err)
	}
}

func (s *state) markUp(ep *endpoint) {
	ep.mu.Lock()
	was := !ep.downSince.IsZero()
	ep.downSince = time.Time{}
	ep.mu.Unlock()
	if was {
		s.log("%s answers again", ep.name)
	}
}

// Health reports what the client learned about its endpoints, in the
// configured order: a daemon keeps it between runs (Options.Down).
func (c *Client) Health() []EndpointHealth {
	out := make([]EndpointHealth, len(c.s.endpoints))
	for i, ep := range c.s.endpoints {
		ep.mu.Lock()
		out[i] = EndpointHealth{Endpoint: ep.name, DownSince: ep.downSince}
		ep.mu.Unlock()
	}
	return out
}
