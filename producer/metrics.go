package producer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bpkeys/bpkeys/internal/inputfile"
)

// Metrics are the claimer's Prometheus metrics, written as a text-format
// file for node_exporter's textfile collector. Counters are carried over
// from the previous file (LoadMetrics), so they keep growing across cron
// runs.
type Metrics struct {
	Path    string
	Account string

	LastRun     time.Time
	LastSuccess time.Time // last run that claimed
	LastClaim   time.Time // last_claim_time on chain
	NextAllowed time.Time
	Claims      float64            // successful claims
	NoOps       float64            // runs that found nothing to do
	Failures    map[string]float64 // by FailureKind
	Amount      map[string]float64 // received, by token symbol
	// BPayUnlinked is 1 when the last run found eosio.bpay rewards it could
	// not claim because eosio.bpay::claimrewards is not linked to the claim
	// permission.
	BPayUnlinked float64
}

// Metric names.
const (
	MetricLastRun     = "bpkeys_claim_last_run_timestamp_seconds"
	MetricLastSuccess = "bpkeys_claim_last_success_timestamp_seconds"
	MetricLastClaim   = "bpkeys_claim_last_claim_timestamp_seconds"
	MetricNextAllowed = "bpkeys_claim_next_allowed_timestamp_seconds"
	MetricClaims      = "bpkeys_claim_claims_total"
	MetricNoOps       = "bpkeys_claim_noops_total"
	MetricFailures    = "bpkeys_claim_failures_total"
	MetricAmount      = "bpkeys_claim_amount_total"
	MetricBPayUnlink  = "bpkeys_claim_bpay_unlinked"
)

// LoadMetrics reads the previous metrics file at path (when there is one)
// so that counters continue; a missing file starts from zero. Lines of
// other accounts or unknown metrics are ignored.
func LoadMetrics(path, account string) (*Metrics, error) {
	m := &Metrics{Path: path, Account: account, Failures: map[string]float64{}, Amount: map[string]float64{}}
	b, err := inputfile.Read(path, "metrics file", inputfile.MaxState)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, labels, value, ok := parseSample(line)
		if !ok || labels["account"] != account {
			continue
		}
		ts := time.Unix(0, int64(value*1e9)).UTC()
		switch name {
		case MetricLastRun:
			m.LastRun = ts
		case MetricLastSuccess:
			m.LastSuccess = ts
		case MetricLastClaim:
			m.LastClaim = ts
		case MetricNextAllowed:
			m.NextAllowed = ts
		case MetricClaims:
			m.Claims = value
		case MetricNoOps:
			m.NoOps = value
		case MetricFailures:
			m.Failures[labels["kind"]] = value
		case MetricAmount:
			m.Amount[labels["symbol"]] = value
		case MetricBPayUnlink:
			m.BPayUnlinked = value
		}
	}
	return m, nil
}

// parseSample reads `name{k="v",...} value` as Metrics writes it.
func parseSample(line string) (name string, labels map[string]string, value float64, ok bool) {
	labels = map[string]string{}
	rest := line
	if i := strings.IndexByte(line, '{'); i >= 0 {
		j := strings.LastIndexByte(line, '}')
		if j < i {
			return "", nil, 0, false
		}
		name = line[:i]
		for _, kv := range strings.Split(line[i+1:j], ",") {
			k, v, found := strings.Cut(kv, "=")
			if !found {
				continue
			}
			uq, err := strconv.Unquote(strings.TrimSpace(v))
			if err != nil {
				return "", nil, 0, false
			}
			labels[strings.TrimSpace(k)] = uq
		}
		rest = strings.TrimSpace(line[j+1:])
	} else {
		var found bool
		name, rest, found = strings.Cut(line, " ")
		if !found {
			return "", nil, 0, false
		}
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return "", nil, 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return "", nil, 0, false
	}
	return name, labels, v, true
}

// Format renders the metrics in Prometheus's text exposition format.
func (m *Metrics) Format() []byte {
	var b bytes.Buffer
	acct := `account="` + escapeLabel(m.Account) + `"`
	gauge := func(name, help string, t time.Time) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
		v := 0.0
		if !t.IsZero() {
			v = float64(t.UnixMilli()) / 1000
		}
		fmt.Fprintf(&b, "%s{%s} %s\n", name, acct, num(v))
	}
	gauge(MetricLastRun, "Unix time of the last claim run, whatever its outcome.", m.LastRun)
	gauge(MetricLastSuccess, "Unix time of the last run that claimed rewards.", m.LastSuccess)
	gauge(MetricLastClaim, "The producers table's last_claim_time as last read.", m.LastClaim)
	gauge(MetricNextAllowed, "Unix time from which the 24-hour rule allows the next claim.", m.NextAllowed)
	fmt.Fprintf(&b, "# HELP %s 1 when eosio.bpay held rewards that the claim permission cannot claim (eosio.bpay::claimrewards not linked to it).\n# TYPE %s gauge\n%s{%s} %s\n", MetricBPayUnlink, MetricBPayUnlink, MetricBPayUnlink, acct, num(m.BPayUnlinked))
	fmt.Fprintf(&b, "# HELP %s Claims that were accepted.\n# TYPE %s counter\n%s{%s} %s\n", MetricClaims, MetricClaims, MetricClaims, acct, num(m.Claims))
	fmt.Fprintf(&b, "# HELP %s Runs that had nothing to do (not yet allowed, or already claimed).\n# TYPE %s counter\n%s{%s} %s\n", MetricNoOps, MetricNoOps, MetricNoOps, acct, num(m.NoOps))
	fmt.Fprintf(&b, "# HELP %s Failed claim attempts by kind.\n# TYPE %s counter\n", MetricFailures, MetricFailures)
	kinds := append([]string(nil), FailureKinds...)
	for k := range m.Failures {
		if !contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	for _, k := range kinds {
		fmt.Fprintf(&b, "%s{%s,kind=\"%s\"} %s\n", MetricFailures, acct, escapeLabel(k), num(m.Failures[k]))
	}
	fmt.Fprintf(&b, "# HELP %s Rewards received, in token units.\n# TYPE %s counter\n", MetricAmount, MetricAmount)
	syms := make([]string, 0, len(m.Amount))
	for s := range m.Amount {
		syms = append(syms, s)
	}
	sort.Strings(syms)
	for _, s := range syms {
		fmt.Fprintf(&b, "%s{%s,symbol=\"%s\"} %s\n", MetricAmount, acct, escapeLabel(s), num(m.Amount[s]))
	}
	return b.Bytes()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// Write replaces the file atomically (a temporary file in the same
// directory, synced, then renamed), mode 0644 so node_exporter can read it.
func (m *Metrics) Write() error {
	if m.Path == "" {
		return nil
	}
	dir := filepath.Dir(m.Path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(m.Path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing metrics: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(m.Format()); err != nil {
		f.Close()
		return fmt.Errorf("writing metrics: %w", err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("writing metrics: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing metrics: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing metrics: %w", err)
	}
	if err := os.Rename(tmp, m.Path); err != nil {
		return fmt.Errorf("writing metrics: %w", err)
	}
	return nil
}
