package suite

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// scalar is a type written in the suite as one text, such as "30s" or "500/s".
// The decoder calls parse with the text after ${VAR} expansion; the schema
// generator uses pattern and example.
type scalar interface {
	parse(s string) error
}

// scalarSchema describes a scalar type to the JSON Schema generator.
type scalarSchema interface {
	schemaPattern() (pattern, example string)
}

// Duration is a length of time written like 300ms, 1m30s or 30d. Zero means
// "not set".
type Duration time.Duration

const durationPattern = `^([0-9]+d([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))*|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`

func (d *Duration) parse(s string) error {
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	if v <= 0 {
		return errors.New("must be more than zero")
	}
	*d = Duration(v)
	return nil
}

func (Duration) schemaPattern() (string, string) { return durationPattern, "300ms" }

// Std returns the time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return FormatDuration(time.Duration(d)) }

// ParseDuration reads a Go duration and also accepts whole days, like 30d or 1d12h.
func ParseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("want a duration like 300ms, 30s, 5m or 30d, got %q", s)
	if s == "" {
		return 0, bad
	}
	rest := s
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		if n, err := strconv.ParseUint(s[:i], 10, 32); err == nil {
			// A count of days past what a Duration holds would wrap round,
			// to a negative or a short time: 213504d is 25 minutes.
			if n > math.MaxInt64/uint64(24*time.Hour) {
				return 0, fmt.Errorf("%q is %s", s, tooLong)
			}
			days = time.Duration(n) * 24 * time.Hour
			rest = s[i+1:]
			if rest == "" {
				return days, nil
			}
		}
	}
	v, err := time.ParseDuration(rest)
	if err != nil || strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "+") {
		return 0, bad
	}
	if days > math.MaxInt64-v {
		return 0, fmt.Errorf("%q is %s", s, tooLong)
	}
	return days + v, nil
}

// FormatDuration writes d the way the suite reads it, with days for whole days.
func FormatDuration(d time.Duration) string {
	day := 24 * time.Hour
	if d >= day && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// Rate is a request rate written like 500/s, 30000/m or 2/h: Freq requests
// every Per. It maps one to one onto vegeta.Rate.
type Rate struct {
	Freq int
	Per  time.Duration
}

const ratePattern = `^[0-9]+/(ms|s|m|h)$`

func (r *Rate) parse(s string) error {
	v, err := ParseRate(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

func (Rate) schemaPattern() (string, string) { return ratePattern, "50/s" }

// ParseRate reads a rate like 500/s, 30000/m or 2/h.
func ParseRate(s string) (Rate, error) {
	bad := fmt.Errorf("want a rate like 50/s, 3000/m or 10/h, got %q", s)
	num, unit, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, bad
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || strings.HasPrefix(num, "+") {
		if f, ferr := strconv.ParseFloat(num, 64); ferr == nil && f > 0 && f < 1e6 && unit == "s" {
			return Rate{}, fmt.Errorf("%q: a rate counts whole requests; write %d/m for %s", s, int(math.Round(f*60)), s)
		}
		if strings.Contains(num, ".") {
			return Rate{}, fmt.Errorf("%q: a rate counts whole requests per unit; use a smaller unit (/m, /h)", s)
		}
		return Rate{}, bad
	}
	per := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour}[unit]
	if per == 0 {
		return Rate{}, bad
	}
	if n == 0 {
		return Rate{}, errors.New("must be more than zero")
	}
	return Rate{Freq: n, Per: per}, nil
}

// PerSecond returns the rate in requests per second.
func (r Rate) PerSecond() float64 {
	if r.Per <= 0 {
		return 0
	}
	return float64(r.Freq) / r.Per.Seconds()
}

func (r Rate) String() string {
	unit := map[time.Duration]string{time.Millisecond: "ms", time.Second: "s", time.Minute: "m", time.Hour: "h"}[r.Per]
	if unit == "" {
		return fmt.Sprintf("%.4g/s", r.PerSecond())
	}
	return fmt.Sprintf("%d/%s", r.Freq, unit)
}

// Percent is a share written like 99.9% or 1%, held as a fraction (0.999, 0.01).
type Percent float64

const percentPattern = `^[0-9]+(\.[0-9]+)?%$`

func (p *Percent) parse(s string) error {
	num, ok := strings.CutSuffix(s, "%")
	v, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || math.IsNaN(v) || v < 0 || strings.ContainsAny(num, "+-eEx_") {
		return fmt.Errorf("want a percentage like 99.9%% or 1%%, got %q", s)
	}
	if v > 100 {
		return fmt.Errorf("%s is more than 100%%", s)
	}
	*p = Percent(v / 100)
	return nil
}

func (Percent) schemaPattern() (string, string) { return percentPattern, "99.9%" }

// ParsePercent reads a share like 99.9% or 1%.
func ParsePercent(s string) (Percent, error) {
	var p Percent
	err := p.parse(s)
	return p, err
}

func (p Percent) String() string { return strconv.FormatFloat(float64(p)*100, 'f', -1, 64) + "%" }

var (
	_ scalar       = (*Duration)(nil)
	_ scalar       = (*Rate)(nil)
	_ scalar       = (*Percent)(nil)
	_ scalarSchema = Duration(0)
	_ scalarSchema = Rate{}
	_ scalarSchema = Percent(0)
)
