package blocksigner

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Metric names.
const (
	MetricSignatures    = "bpkeys_signer_signatures_total"
	MetricRetries       = "bpkeys_signer_retries_total"
	MetricRefusals      = "bpkeys_signer_refusals_total"
	MetricDeviceSeconds = "bpkeys_signer_device_seconds"
	MetricReopens       = "bpkeys_signer_device_reopens_total"
	MetricHighWater     = "bpkeys_signer_high_water_mark"
	MetricUp            = "bpkeys_signer_key_up"
)

// latencyBuckets are the device-latency histogram's upper bounds, seconds:
// nodeos's default keosd-provider-timeout is 5 ms.
var latencyBuckets = []float64{0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	n      uint64
}

func (h *histogram) observe(v float64) {
	if h.counts == nil {
		h.counts = make([]uint64, len(latencyBuckets))
	}
	for i, ub := range latencyBuckets {
		if v <= ub {
			h.counts[i]++
			break
		}
	}
	h.sum += v
	h.n++
}

// metrics are the service's Prometheus metrics, written in the text
// exposition format (version 0.0.4) by write.
type metrics struct {
	mu         sync.Mutex
	signatures map[[2]string]uint64 // key, role
	retries    map[string]uint64    // key
	refusals   map[string]uint64    // reason
	reopens    map[string]uint64    // key
	device     map[string]*histogram
	highWater  map[string]uint32
	up         map[string]bool
}

func newMetrics() *metrics {
	return &metrics{
		signatures: map[[2]string]uint64{}, retries: map[string]uint64{}, refusals: map[string]uint64{},
		reopens: map[string]uint64{}, device: map[string]*histogram{}, highWater: map[string]uint32{}, up: map[string]bool{},
	}
}

func (m *metrics) signed(key, role string) {
	m.mu.Lock()
	m.signatures[[2]string{key, role}]++
	m.mu.Unlock()
}

func (m *metrics) retried(key string) {
	m.mu.Lock()
	m.retries[key]++
	m.mu.Unlock()
}

func (m *metrics) refused(reason string) {
	m.mu.Lock()
	m.refusals[reason]++
	m.mu.Unlock()
}

func (m *metrics) reopened(key string) {
	m.mu.Lock()
	m.reopens[key]++
	m.mu.Unlock()
}

func (m *metrics) deviceTime(key string, d time.Duration) {
	m.mu.Lock()
	h := m.device[key]
	if h == nil {
		h = &histogram{}
		m.device[key] = h
	}
	h.observe(d.Seconds())
	m.mu.Unlock()
}

func (m *metrics) mark(key string, height uint32) {
	m.mu.Lock()
	m.highWater[key] = height
	m.mu.Unlock()
}

func (m *metrics) setUp(key string, up bool) {
	m.mu.Lock()
	m.up[key] = up
	m.mu.Unlock()
}

func sortedKeys[V any](mp map[string]V) []string {
	ks := make([]string, 0, len(mp))
	for k := range mp {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func label(v string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// write renders the metrics.
func (m *metrics) write(w io.Writer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	head := func(name, typ, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	head(MetricSignatures, "counter", "Signatures returned, by key and role (retries excluded).")
	sigKeys := make([][2]string, 0, len(m.signatures))
	for k := range m.signatures {
		sigKeys = append(sigKeys, k)
	}
	sort.Slice(sigKeys, func(i, j int) bool { return sigKeys[i][0]+sigKeys[i][1] < sigKeys[j][0]+sigKeys[j][1] })
	for _, k := range sigKeys {
		fmt.Fprintf(&b, "%s{key=\"%s\",role=\"%s\"} %d\n", MetricSignatures, label(k[0]), label(k[1]), m.signatures[k])
	}
	head(MetricRetries, "counter", "Requests answered with the stored signature of the high-water mark (same digest again).")
	for _, k := range sortedKeys(m.retries) {
		fmt.Fprintf(&b, "%s{key=\"%s\"} %d\n", MetricRetries, label(k), m.retries[k])
	}
	head(MetricRefusals, "counter", "Requests refused, by reason.")
	for _, k := range sortedKeys(m.refusals) {
		fmt.Fprintf(&b, "%s{reason=\"%s\"} %d\n", MetricRefusals, label(k), m.refusals[k])
	}
	head(MetricReopens, "counter", "Times a key's device was opened again after it went away.")
	for _, k := range sortedKeys(m.reopens) {
		fmt.Fprintf(&b, "%s{key=\"%s\"} %d\n", MetricReopens, label(k), m.reopens[k])
	}
	head(MetricHighWater, "gauge", "The block height of each block key's high-water mark.")
	for _, k := range sortedKeys(m.highWater) {
		fmt.Fprintf(&b, "%s{key=\"%s\"} %d\n", MetricHighWater, label(k), m.highWater[k])
	}
	head(MetricUp, "gauge", "1 when the key's device answered its last operation.")
	for _, k := range sortedKeys(m.up) {
		v := 0
		if m.up[k] {
			v = 1
		}
		fmt.Fprintf(&b, "%s{key=\"%s\"} %d\n", MetricUp, label(k), v)
	}
	head(MetricDeviceSeconds, "histogram", "Time the device took per accepted signature (K1: every attempt until a canonical one), seconds.")
	for _, k := range sortedKeys(m.device) {
		h := m.device[k]
		var cum uint64
		for i, ub := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(&b, "%s_bucket{key=\"%s\",le=\"%s\"} %d\n", MetricDeviceSeconds, label(k), num(ub), cum)
		}
		fmt.Fprintf(&b, "%s_bucket{key=\"%s\",le=\"+Inf\"} %d\n", MetricDeviceSeconds, label(k), h.n)
		fmt.Fprintf(&b, "%s_sum{key=\"%s\"} %s\n", MetricDeviceSeconds, label(k), num(h.sum))
		fmt.Fprintf(&b, "%s_count{key=\"%s\"} %d\n", MetricDeviceSeconds, label(k), h.n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
