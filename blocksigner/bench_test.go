package blocksigner

import (
	"math/big"
	"sort"
	"strings"
	"testing"
	"time"

	cki "github.com/miekg/pkcs11"

	"github.com/bpkeys/bpkeys/internal/softhsmtest"
	"github.com/bpkeys/bpkeys/signer"
)

// BenchmarkRoundTripVsCSign measures, in one run and interleaved, the
// round trip of sign_digest over the unix socket as nodeos makes it (HTTP,
// height check, K1 canonical retries, local verification, fsync'd mark,
// log) against raw C_SignInit + C_Sign of the same SoftHSM2 key repeated
// until the signature is canonical, which is the device time of one
// accepted K1 signature. It reports p50 and p99 of both and their ratios.
func BenchmarkRoundTripVsCSign(b *testing.B) {
	pub, ref := hsmKey(b, "bench-k1", signer.CurveK1)
	cfg := unixConfig(b, KeyConfig{Key: pub.String(), Device: ref, Role: RoleBlock, Rate: 1e6, Burst: 1e6})
	ts := startServer(b, cfg, Options{})
	c := newNodeosClient(b, ts.url)
	raw, _ := openRaw(b, "bench-k1")

	rt := make([]time.Duration, 0, b.N)
	dev := make([]time.Duration, 0, b.N)
	attempts := 0
	height := uint32(1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := blockID(b, height)
		height++
		start := time.Now()
		if _, err := c.signDigest(d, pub); err != nil {
			b.Fatal(err)
		}
		rt = append(rt, time.Since(start))

		start = time.Now()
		for {
			attempts++
			if err := raw.m.SignInit(raw.sh, []*cki.Mechanism{cki.NewMechanism(cki.CKM_ECDSA, nil)}, raw.priv); err != nil {
				b.Fatal(err)
			}
			sig, err := raw.m.Sign(raw.sh, d[:])
			if err != nil {
				b.Fatal(err)
			}
			if canonicalK1(sig) {
				break
			}
		}
		dev = append(dev, time.Since(start))
	}
	b.StopTimer()
	rt50, rt99 := percentile(rt, 0.50), percentile(rt, 0.99)
	dev50, dev99 := percentile(dev, 0.50), percentile(dev, 0.99)
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	b.ReportMetric(us(rt50), "rt-p50-us")
	b.ReportMetric(us(rt99), "rt-p99-us")
	b.ReportMetric(us(dev50), "csign-p50-us")
	b.ReportMetric(us(dev99), "csign-p99-us")
	b.ReportMetric(float64(rt50)/float64(dev50), "ratio-p50")
	b.ReportMetric(float64(rt99)/float64(dev99), "ratio-p99")
	b.ReportMetric(float64(attempts)/float64(b.N), "csign-attempts/op")
	b.ReportMetric(0, "ns/op")
}

func percentile(ds []time.Duration, q float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(q*float64(len(s)-1))]
}

var (
	nK1, _ = new(big.Int).SetString("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", 16)
	halfK1 = new(big.Int).Rsh(nK1, 1)
)

// canonicalK1 applies EOSIO's canonical test (is_canonical in fc) to a raw
// r||s after making s low, as the signer does.
func canonicalK1(rs []byte) bool {
	if len(rs) != 64 {
		return false
	}
	s := new(big.Int).SetBytes(rs[32:])
	if s.Cmp(halfK1) > 0 {
		s.Sub(nK1, s)
	}
	sb := s.FillBytes(make([]byte, 32))
	ok := func(x []byte) bool { return x[0]&0x80 == 0 && !(x[0] == 0 && x[1]&0x80 == 0) }
	return ok(rs[:32]) && ok(sb)
}

type rawKey struct {
	m    *cki.Ctx
	sh   cki.SessionHandle
	priv cki.ObjectHandle
}

// openRaw opens its own session on the test token with miekg/pkcs11, no
// bpkeys code in between, and finds the private key labelled label; it
// also returns the token's slot.
func openRaw(b testing.TB, label string) (rawKey, uint) {
	b.Helper()
	m := cki.New(softhsmtest.Module)
	if m == nil {
		b.Fatal("loading SoftHSM2")
	}
	if err := m.Initialize(); err != nil && !strings.Contains(err.Error(), "CKR_CRYPTOKI_ALREADY_INITIALIZED") {
		b.Fatal(err)
	}
	slots, err := m.GetSlotList(true)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range slots {
		ti, err := m.GetTokenInfo(s)
		if err != nil || strings.TrimRight(ti.Label, " ") != testToken {
			continue
		}
		sh, err := m.OpenSession(s, cki.CKF_SERIAL_SESSION)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = m.CloseSession(sh) })
		if err := m.Login(sh, cki.CKU_USER, testPIN); err != nil && !strings.Contains(err.Error(), "CKR_USER_ALREADY_LOGGED_IN") {
			b.Fatal(err)
		}
		if err := m.FindObjectsInit(sh, []*cki.Attribute{cki.NewAttribute(cki.CKA_CLASS, cki.CKO_PRIVATE_KEY), cki.NewAttribute(cki.CKA_LABEL, label)}); err != nil {
			b.Fatal(err)
		}
		hs, _, err := m.FindObjects(sh, 2)
		_ = m.FindObjectsFinal(sh)
		if err != nil || len(hs) != 1 {
			b.Fatalf("finding %s: %v (%d found)", label, err, len(hs))
		}
		return rawKey{m: m, sh: sh, priv: hs[0]}, s
	}
	b.Fatalf("token %s not found", testToken)
	return rawKey{}, 0
}
