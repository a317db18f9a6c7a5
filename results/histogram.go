package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram is an HDR histogram of latencies, in microseconds from 1µs to 10
// minutes with three significant digits: the exact shape of a distribution in
// a few kilobytes, whatever the number of values. Histograms of shards add.
type Histogram struct {
	h *hdrhistogram.Histogram
}

const (
	histMin    = 1                              // µs
	histMax    = int64(10 * time.Minute / 1000) // µs
	histDigits = 3
)

// NewCoarseHistogram returns an empty histogram of two significant digits
// (values within 1%), a tenth the size: for the one-second timeline, which
// only shows its percentiles. Do not merge it with a NewHistogram.
func NewCoarseHistogram() *Histogram {
	return &Histogram{h: hdrhistogram.New(histMin, histMax, 2)}
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	return &Histogram{h: hdrhistogram.New(histMin, histMax, histDigits)}
}

// Record adds one latency; values beyond the range are clamped to it.
func (h *Histogram) Record(d time.Duration) {
	us := min(max(d.Microseconds(), histMin), histMax)
	_ = h.h.RecordValue(us) // within range by construction
}

// Merge adds every value of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o != nil {
		h.h.Merge(o.h)
	}
}

// Count is the number of values recorded.
func (h *Histogram) Count() int64 { return h.h.TotalCount() }

// Quantile returns the latency at quantile q (0.95 for p95); 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	return time.Duration(h.h.ValueAtQuantile(q*100)) * time.Microsecond
}

// Max returns the largest latency recorded.
func (h *Histogram) Max() time.Duration { return time.Duration(h.h.Max()) * time.Microsecond }

// Min returns the smallest latency recorded.
func (h *Histogram) Min() time.Duration { return time.Duration(h.h.Min()) * time.Microsecond }

// Mean returns the mean latency.
func (h *Histogram) Mean() time.Duration {
	return time.Duration(h.h.Mean() * float64(time.Microsecond))
}

// CountAbove returns how many values are above d.
func (h *Histogram) CountAbove(d time.Duration) int64 {
	limit := d.Microseconds()
	var n int64
	for _, b := range h.h.Distribution() {
		if b.From > limit {
			n += b.Count
		}
	}
	return n
}

// Each calls fn for every bucket that holds values, in rising order, with the
// bucket's middle value in microseconds and its count: what estimators that
// weigh every value (means of logs, Harrell–Davis quantiles) need.
func (h *Histogram) Each(fn func(us float64, n int64)) {
	for _, b := range h.h.Distribution() {
		if b.Count > 0 {
			fn(float64(b.From+b.To)/2, b.Count)
		}
	}
}

// Reset empties the histogram for reuse.
func (h *Histogram) Reset() { h.h.Reset() }

// Equal reports whether both hold the same values.
func (h *Histogram) Equal(o *Histogram) bool { return h.h.Equals(o.h) }

// MarshalJSON writes the histogram in the HdrHistogram V2 compressed
// encoding (base64), which other HdrHistogram tools read too.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	b, err := h.h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	return json.Marshal(string(b))
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("histogram: want a base64 HdrHistogram string")
	}
	d, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	if d.LowestTrackableValue() != histMin || d.HighestTrackableValue() < histMax || d.SignificantFigures() != histDigits {
		return fmt.Errorf("histogram: range %d..%d µs with %d digits, want %d..%d with %d",
			d.LowestTrackableValue(), d.HighestTrackableValue(), d.SignificantFigures(), histMin, histMax, histDigits)
	}
	h.h = d
	return nil
}

// Short writes a latency with the three significant digits a Histogram
// holds: "70.015ms" says more than was measured.
func Short(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.3gms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}
