package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/scripts/internal/shopproc"
)

// bench holds what every run needs: the two binaries, the target and where
// files go.
type bench struct {
	dir, probe, vegeta string
	shop               *shopproc.Shop
	runs               int
}

// measure is one run of either tool.
type measure struct {
	achieved  float64       // requests sent per second
	success   float64       // share answered without error
	p99       time.Duration // of the latency from send
	late      float64       // share of sends late (probe only)
	cpu       time.Duration // user and system time, attack and report together
	requests  int64
	peakRSS   int64 // bytes (of the attack)
	exit      int
	generator bool // probe named itself the limit
	// busy is the share of the machine's cores the tool (the attack) and the
	// shop kept busy together while the tool ran: how close the cores were
	// to full, which is what queues requests when both share them.
	busy float64
}

// sustains: the rate was sent, answered, and not queued in the generator.
// The target answers in well under a millisecond, so a p99 past 50ms is the
// generator's own queueing.
func (m measure) sustains(rate int) bool {
	return m.achieved >= 0.99*float64(rate) && m.success >= 0.99 && m.p99 < 50*time.Millisecond && !m.generator
}

func (m measure) cpuPer100k() time.Duration {
	if m.requests == 0 {
		return 0
	}
	return time.Duration(float64(m.cpu) / float64(m.requests) * 1e5)
}

// probeLoad runs probe load at rate for d and reads back its summary.
func (b bench) probeLoad(ctx context.Context, rate int, d time.Duration) (measure, error) {
	return b.probeRun(ctx, "[{name: health, path: /api/health}]", 1, 0, rate, d)
}

// probeRun runs probe load of targets (YAML, sending at most steps requests
// an arrival, thinking at most think between them) at rate for d, and reads
// back its summary.
func (b bench) probeRun(ctx context.Context, targets string, steps int, think time.Duration, rate int, d time.Duration) (measure, error) {
	suite := filepath.Join(b.dir, fmt.Sprintf("suite-%d-%s.yaml", rate, d))
	text := fmt.Sprintf(`environments:
  bench: {base_url: %q}
loadtests:
  - name: bench
    max_users: 100000
    targets: %s
    profile: [{constant: {rate: %d/s, duration: %s}}]
    limits: {max_duration: %s, max_requests: %d}
`, b.shop.URL, targets, rate, d, d+10*time.Second+time.Duration(steps)*think, steps*rate*int(d.Seconds()+1))
	if err := os.WriteFile(suite, []byte(text), 0o600); err != nil {
		return measure{}, err
	}
	out := filepath.Join(b.dir, "out")
	cmd := exec.CommandContext(ctx, b.probe, "load", "bench", "--env", "bench", "--suite", suite, "--out", out, "--no-abort")
	var m measure
	r, err := b.watch(cmd)
	if err != nil {
		return m, err
	}
	m.peakRSS, m.cpu, m.exit, m.busy = r.peak, r.cpu(), r.state.ExitCode(), r.busy
	if m.exit != 0 && m.exit != 3 { // 3: the generator was the limit, which is measured
		return m, fmt.Errorf("probe load at %d/s: exit %d\n%s", rate, m.exit, r.out)
	}
	f, err := os.Open(filepath.Join(out, "bench-bench.json"))
	if err != nil {
		return m, err
	}
	defer f.Close()
	s, err := results.ReadSummary(f)
	if err != nil {
		return m, err
	}
	m.achieved, m.success, m.requests = s.AchievedRate(), 1-s.Overall.ErrorRate(), s.Sent
	m.p99, m.generator = s.Overall.Latency.Quantile(0.99), s.Generator != nil
	if len(s.Journeys) > 0 && s.Planned > 0 {
		// The rate is of arrivals: what was achieved is their share started,
		// and a journey is answered when it completed.
		m.achieved = s.ArrivalRate(float64(rate))
		m.success = float64(s.Served()) / float64(max(s.Arrived(), 1))
	}
	if s.Sent > 0 {
		m.late = float64(s.Late) / float64(s.Sent+s.Dropped)
	}
	return m, nil
}

// vegetaLoad runs vegeta attack at rate for d with its default flags,
// results to a file, then vegeta report on that file.
func (b bench) vegetaLoad(ctx context.Context, rate int, d time.Duration) (measure, error) {
	bin := filepath.Join(b.dir, "results.bin")
	attack := exec.CommandContext(ctx, b.vegeta, "attack", "-rate", strconv.Itoa(rate), "-duration", d.String(), "-output", bin)
	attack.Stdin = strings.NewReader("GET " + b.shop.URL + "/api/health\n")
	a, err := b.watch(attack)
	if err != nil {
		return measure{}, err
	}
	if !a.state.Success() {
		return measure{}, fmt.Errorf("vegeta attack at %d/s: %s\n%s", rate, a.state, a.out)
	}
	report := exec.CommandContext(ctx, b.vegeta, "report", "-type", "json", bin)
	js, err := report.Output()
	if err != nil {
		return measure{}, fmt.Errorf("vegeta report: %w", err)
	}
	var r struct {
		Requests  int64   `json:"requests"`
		Rate      float64 `json:"rate"`
		Success   float64 `json:"success"`
		Latencies struct {
			P99 time.Duration `json:"99th"`
		} `json:"latencies"`
	}
	if err := json.Unmarshal(js, &r); err != nil {
		return measure{}, fmt.Errorf("vegeta report: %w", err)
	}
	rs := report.ProcessState
	return measure{achieved: r.Rate, success: r.Success, p99: r.Latencies.P99, requests: r.Requests, peakRSS: a.peak,
		cpu: a.cpu() + rs.UserTime() + rs.SystemTime(), busy: a.busy}, nil
}

// ran is what watch saw of one command.
type ran struct {
	peak  int64 // bytes resident at most
	state *os.ProcessState
	out   string  // stdout and stderr
	busy  float64 // see measure.busy
}

func (r ran) cpu() time.Duration { return r.state.UserTime() + r.state.SystemTime() }

// watch runs cmd to its end, reading its peak resident memory from the
// kernel's high-water mark while it runs (the rusage of a child would report
// this process's size when it is larger), and the shop's CPU beside its own.
func (b bench) watch(cmd *exec.Cmd) (ran, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	shop0, start := b.shop.CPU(), time.Now()
	if err := cmd.Start(); err != nil {
		return ran{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var peak int64
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				return ran{out: out.String()}, err
			}
			r := ran{peak: peak, state: cmd.ProcessState, out: out.String()}
			cores := time.Since(start) * time.Duration(runtime.NumCPU())
			r.busy = float64(r.cpu()+b.shop.CPU()-shop0) / float64(cores)
			return r, nil
		case <-tick.C:
			peak = max(peak, highWater(status))
		}
	}
}

// highWater reads VmHWM from a /proc status file, in bytes; 0 once gone.
func highWater(path string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// medianOf runs f b.runs times and returns the runs sorted by key: the
// median is the middle one.
func (b bench) medianOf(f func() (measure, error), key func(measure) float64) (measure, []measure, error) {
	var ms []measure
	for range b.runs {
		m, err := f()
		if err != nil {
			return measure{}, nil, err
		}
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b measure) int { return cmp.Compare(key(a), key(b)) })
	return ms[len(ms)/2], ms, nil
}

// probeMedian is probe at rate for d, the median of b.runs runs by key.
func (b bench) probeMedian(ctx context.Context, rate int, d time.Duration, key func(measure) float64) (measure, []measure, error) {
	return b.medianOf(func() (measure, error) { return b.probeLoad(ctx, rate, d) }, key)
}

// search finds each tool's highest sustained rate: a rate is sustained when
// most of its runs sustain it; a tool's search ends at the second rate in a
// row it does not sustain.
func (b bench) search(ctx context.Context, rates []int, step time.Duration) (int, int, error) {
	fmt.Printf("%8s  %-34s  %-34s\n", "RATE/s", "probe: achieved ok p99 late", "vegeta: achieved ok p99")
	var best [2]int
	var misses [2]int
	tools := [2]func(context.Context, int, time.Duration) (measure, error){b.probeLoad, b.vegetaLoad}
	for _, rate := range rates {
		var cells [2]string
		for i, tool := range tools {
			if misses[i] >= 2 {
				cells[i] = "(not tried)"
				continue
			}
			med, ms, err := b.medianOf(func() (measure, error) { return tool(ctx, rate, step) }, func(m measure) float64 { return m.achieved })
			if err != nil {
				return 0, 0, err
			}
			ok := 0
			for _, m := range ms {
				if m.sustains(rate) {
					ok++
				}
			}
			if 2*ok > len(ms) {
				best[i], misses[i] = rate, 0
			} else {
				misses[i]++
			}
			cells[i] = fmt.Sprintf("%.0f %.1f%% %s", med.achieved, med.success*100, med.p99.Round(10*time.Microsecond))
			if i == 0 {
				cells[i] += fmt.Sprintf(" %.1f%%", med.late*100)
			}
			if 2*ok <= len(ms) {
				cells[i] += " ✗"
			}
		}
		fmt.Printf("%8d  %-34s  %-34s\n", rate, cells[0], cells[1])
	}
	return best[0], best[1], nil
}

// cpuRow compares CPU seconds per 100k requests at rate.
func (b bench) cpuRow(ctx context.Context, t *table, rate int, d time.Duration) error {
	per := func(m measure) float64 { return float64(m.cpuPer100k()) }
	p, _, err := b.probeMedian(ctx, rate, d, per)
	if err != nil {
		return err
	}
	v, _, err := b.medianOf(func() (measure, error) { return b.vegetaLoad(ctx, rate, d) }, per)
	if err != nil {
		return err
	}
	t.add(fmt.Sprintf("CPU per 100k requests at %d/s (vegeta: attack and report)", rate), secs(p.cpuPer100k()), secs(v.cpuPer100k()),
		ratio(per(p), per(v)), "≤ 0.75", per(p) <= 0.75*per(v))
	return nil
}

// nearMax: at 80% of probe's maximum, every send on time and the tail close
// to what a light load sees. Beside it, the share of the cores busy at both
// rates (the tools share them with the shop) and the vegeta CLI's own tail
// at 80% against 20% of its maximum: how much of the growth is the machine's.
func (b bench) nearMax(ctx context.Context, t *table, maxP, maxV int, d time.Duration) error {
	at80, at20 := maxP*8/10, maxP*2/10
	p99 := func(m measure) float64 { return float64(m.p99) }
	hi, _, err := b.probeMedian(ctx, at80, d, p99)
	if err != nil {
		return err
	}
	lo, _, err := b.probeMedian(ctx, at20, d, p99)
	if err != nil {
		return err
	}
	vegeta := func(rate int) (measure, error) {
		m, _, err := b.medianOf(func() (measure, error) { return b.vegetaLoad(ctx, rate, d) }, p99)
		return m, err
	}
	vhi, err := vegeta(maxV * 8 / 10)
	if err != nil {
		return err
	}
	vlo, err := vegeta(maxV * 2 / 10)
	if err != nil {
		return err
	}
	share := hi.achieved / float64(at80)
	t.add(fmt.Sprintf("probe at 80%% of its maximum (%d/s): achieved share", at80), fmt.Sprintf("%.4f", share), "", "", "≥ 0.999", share >= 0.999)
	t.add(fmt.Sprintf("probe at %d/s: sends late", at80), fmt.Sprintf("%.2f%%", hi.late*100), "", "", "≤ 1%", hi.late <= 0.01)
	tail := func(hi, lo measure) string {
		return fmt.Sprintf("%s / %s = %.2f", hi.p99.Round(10*time.Microsecond), lo.p99.Round(10*time.Microsecond), p99(hi)/p99(lo))
	}
	t.add(fmt.Sprintf("p99 at 80%% against 20%% of each tool's maximum (probe %d/s, %d/s; vegeta %d/s, %d/s)", at80, at20, maxV*8/10, maxV*2/10),
		tail(hi, lo), tail(vhi, vlo), ratio(p99(hi), p99(lo)), "≤ 2", p99(hi) <= 2*p99(lo))
	busy := func(hi, lo measure) string { return fmt.Sprintf("%.0f%% / %.0f%%", 100*hi.busy, 100*lo.busy) }
	t.add("cores busy (the tool and the shop) at 80% / 20% of each tool's maximum", busy(hi, lo), busy(vhi, vlo), "", "", false)
	return nil
}

// overMax: at twice probe's maximum, bounded memory and the generator named
// as the limit (exit 3).
func (b bench) overMax(ctx context.Context, t *table, rate int, d time.Duration) error {
	m, ms, err := b.probeMedian(ctx, rate, d, func(m measure) float64 { return float64(m.peakRSS) })
	if err != nil {
		return err
	}
	named := 0
	for _, r := range ms {
		if r.generator && r.exit == 3 {
			named++
		}
	}
	t.add(fmt.Sprintf("probe at twice its maximum (%d/s): peak RSS", rate), fmt.Sprintf("%.0f MiB", mib(m.peakRSS)), "", "", "≤ 64 MiB", m.peakRSS <= 64<<20)
	t.add(fmt.Sprintf("probe at %d/s: generator named, exit 3", rate), fmt.Sprintf("%d of %d runs", named, len(ms)), "", "", "every run", named == len(ms))
	return nil
}

// drift: probe's peak memory over a long run against a short one.
func (b bench) drift(ctx context.Context, t *table, rate int, short, long time.Duration) error {
	rss := func(m measure) float64 { return float64(m.peakRSS) }
	s, _, err := b.probeMedian(ctx, rate, short, rss)
	if err != nil {
		return err
	}
	l, _, err := b.probeMedian(ctx, rate, long, rss)
	if err != nil {
		return err
	}
	t.add(fmt.Sprintf("probe peak RSS at %d/s, %s against %s", rate, long, short), fmt.Sprintf("%.1f / %.1f MiB", mib(l.peakRSS), mib(s.peakRSS)), "",
		ratio(rss(l), rss(s)), "≤ 1.05", rss(l) <= 1.05*rss(s))
	return nil
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func mib(b int64) float64 { return float64(b) / (1 << 20) }
