package blocksigner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// KeyStatus is one configured key as the state directory shows it.
type KeyStatus struct {
	Key    string `json:"key"`
	Role   string `json:"role"`
	Device string `json:"device"`
	Mark   *Mark  `json:"high_water_mark,omitempty"`
	Served bool   `json:"served"` // the running service lists it
}

// Status is what `bpkeys signer status` reports.
type Status struct {
	Listen    string      `json:"listen"`
	Running   bool        `json:"running"`
	RunError  string      `json:"running_error,omitempty"`
	Legacy    bool        `json:"legacy"`
	Keys      []KeyStatus `json:"keys"`
	Log       LogSummary  `json:"log"`
	LogError  string      `json:"log_error,omitempty"`
	StateDir  string      `json:"state"`
	CheckedAt time.Time   `json:"checked_at"`
}

// ReadStatus reads the marks and verifies the signing log in the state
// directory, and asks the service on its listener which keys it serves.
// A broken log chain is reported with ErrLogBroken.
func ReadStatus(ctx context.Context, cfg *Config) (Status, error) {
	st := Status{Listen: cfg.Listen, Legacy: cfg.Legacy, StateDir: cfg.State, CheckedAt: time.Now().UTC()}
	served, err := askKeys(ctx, cfg)
	if err != nil {
		st.RunError = err.Error()
	} else {
		st.Running = true
	}
	for _, k := range cfg.Keys {
		ks := KeyStatus{Key: k.PublicKey().String(), Role: k.Role, Device: k.Device, Served: served[k.PublicKey().String()]}
		m, err := ReadMark(MarkPath(cfg.State, k.PublicKey()))
		if err != nil {
			return st, err
		}
		ks.Mark = m
		st.Keys = append(st.Keys, ks)
	}
	st.Log, err = VerifyLog(cfg.State)
	if err != nil {
		st.LogError = err.Error()
		return st, err
	}
	return st, nil
}

// askKeys calls get_public_keys on the configured listener.
func askKeys(ctx context.Context, cfg *Config) (map[string]bool, error) {
	network, addr, err := ParseListen(cfg.Listen)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 2 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://signer"+PathGetPublicKeys, strings.NewReader("[]"))
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the service does not answer on %s: %w", cfg.Listen, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the service on %s answered %s", cfg.Listen, resp.Status)
	}
	var keys []string
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, fmt.Errorf("the service on %s answered get_public_keys with something else: %w", cfg.Listen, err)
	}
	out := map[string]bool{}
	for _, k := range keys {
		if pub, err := parseKey(k); err == nil {
			out[pub] = true
		}
	}
	return out, nil
}
