package blocksigner

import (
	"math"
	"time"
)

// bucket is a token bucket: rate tokens a second, at most burst saved. The
// caller serialises calls (the key's lock).
type bucket struct {
	rate   float64
	burst  float64
	tokens float64
	at     time.Time
}

func newBucket(rate float64, burst int) *bucket {
	return &bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// take spends a token if one is available at now.
func (b *bucket) take(now time.Time) bool {
	if !b.at.IsZero() {
		b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.at).Seconds()*b.rate)
	}
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
