// Command benchvegeta runs `probe load` beside the vegeta CLI against one demo
// shop on loopback, in one run, and prints ratios: the highest rate each
// sustains, and probe's peak memory for a short and a long run at one rate.
// Machines are shared and noisy, so it reports ratios, not absolute speeds.
//
// Usage (from the repository root; make bench runs it):
//
//	go run ./scripts/benchvegeta [-rates 2000,4000,8000] [-step 5s] [-memrate 1000]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/scripts/internal/shopproc"
)

func main() {
	rates := flag.String("rates", "2000,4000,8000,12000,16000,20000,24000,32000", "rates to try, per second, in order")
	step := flag.Duration("step", 5*time.Second, "how long each rate runs")
	memRate := flag.Int("memrate", 1000, "rate of the memory comparison, per second")
	short := flag.Duration("short", 10*time.Second, "short run of the memory comparison")
	long := flag.Duration("long", 60*time.Second, "long run of the memory comparison")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *rates, *step, *memRate, *short, *long); err != nil {
		fmt.Fprintln(os.Stderr, "benchvegeta:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, rateList string, step time.Duration, memRate int, short, long time.Duration) error {
	dir, err := os.MkdirTemp("", "benchvegeta-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	probe := filepath.Join(dir, "probe")
	vegeta := filepath.Join(dir, "vegeta")
	for bin, pkg := range map[string]string{probe: "./cmd/probe"} {
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", pkg, err, out)
		}
	}
	// vegeta is pinned in go.mod as a tool.
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", vegeta, "github.com/tsenart/vegeta/v12").CombinedOutput(); err != nil {
		return fmt.Errorf("build vegeta: %v\n%s", err, out)
	}
	base, stopShop, err := shopproc.Start(ctx, probe)
	if err != nil {
		return err
	}
	defer stopShop()
	target := base + "/api/health"

	fmt.Printf("target %s, %s per rate\n\n", target, step)
	fmt.Printf("%8s  %14s  %14s\n", "RATE/s", "probe achieved", "vegeta achieved")
	var bestProbe, bestVegeta int
	for _, f := range strings.Split(rateList, ",") {
		rate, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || rate <= 0 {
			return fmt.Errorf("-rates: %q is not a rate", f)
		}
		p, err := probeRun(ctx, probe, dir, base, rate, step)
		if err != nil {
			return err
		}
		v, err := vegetaRun(ctx, vegeta, target, rate, step)
		if err != nil {
			return err
		}
		fmt.Printf("%8d  %14s  %14s\n", rate, p, v)
		if p.sustains(rate) {
			bestProbe = rate
		}
		if v.sustains(rate) {
			bestVegeta = rate
		}
	}
	fmt.Printf("\nhighest sustained rate: probe %d/s, vegeta %d/s", bestProbe, bestVegeta)
	if bestVegeta > 0 {
		fmt.Printf(", ratio probe/vegeta %.2f (goal ≥ 1.0)", float64(bestProbe)/float64(bestVegeta))
	}
	fmt.Println()

	rssShort, err := probePeak(ctx, probe, dir, base, memRate, short)
	if err != nil {
		return err
	}
	rssLong, err := probePeak(ctx, probe, dir, base, memRate, long)
	if err != nil {
		return err
	}
	fmt.Printf("probe peak memory at %d/s: %s run %.1f MiB, %s run %.1f MiB, ratio %.2f (goal within 1.10)\n",
		memRate, short, mib(rssShort), long, mib(rssLong), float64(rssLong)/float64(rssShort))
	return nil
}

type outcome struct {
	achieved float64
	success  float64
}

func (o outcome) String() string { return fmt.Sprintf("%.0f (%.1f%% ok)", o.achieved, o.success*100) }

// sustains: within 1% of the rate, and 99% of requests succeeded.
func (o outcome) sustains(rate int) bool {
	return o.achieved >= 0.99*float64(rate) && o.success >= 0.99
}

func suiteFile(dir, url string, rate int, d time.Duration) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("suite-%d-%s.yaml", rate, d))
	text := fmt.Sprintf(`environments:
  bench: {base_url: %q}
loadtests:
  - name: bench
    targets: [{name: health, path: /api/health}]
    profile: [{constant: {rate: %d/s, duration: %s}}]
    limits: {max_duration: %s, max_requests: %d}
`, url, rate, d, d+10*time.Second, rate*int(d.Seconds()+1))
	return path, os.WriteFile(path, []byte(text), 0o600)
}

func probeCmd(ctx context.Context, probe, dir, url string, rate int, d time.Duration) (*exec.Cmd, string, error) {
	suite, err := suiteFile(dir, url, rate, d)
	if err != nil {
		return nil, "", err
	}
	out := filepath.Join(dir, "out")
	cmd := exec.CommandContext(ctx, probe, "load", "bench", "--env", "bench", "--suite", suite, "--out", out, "--no-abort")
	return cmd, filepath.Join(out, "bench-bench.json"), nil
}

func probeRun(ctx context.Context, probe, dir, url string, rate int, d time.Duration) (outcome, error) {
	cmd, summary, err := probeCmd(ctx, probe, dir, url, rate, d)
	if err != nil {
		return outcome{}, err
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			return outcome{}, fmt.Errorf("probe load: %v\n%s", err, out)
		}
	}
	f, err := os.Open(summary)
	if err != nil {
		return outcome{}, err
	}
	defer f.Close()
	s, err := results.ReadSummary(f)
	if err != nil {
		return outcome{}, err
	}
	return outcome{achieved: s.AchievedRate(), success: 1 - s.Overall.ErrorRate()}, nil
}

func vegetaRun(ctx context.Context, vegeta, target string, rate int, d time.Duration) (outcome, error) {
	attack := exec.CommandContext(ctx, vegeta, "attack", "-rate", strconv.Itoa(rate), "-duration", d.String(), "-max-workers", "10000")
	attack.Stdin = strings.NewReader("GET " + target + "\n")
	raw, err := attack.Output()
	if err != nil {
		return outcome{}, fmt.Errorf("vegeta attack: %w", err)
	}
	report := exec.CommandContext(ctx, vegeta, "report", "-type", "json")
	report.Stdin = bytes.NewReader(raw)
	js, err := report.Output()
	if err != nil {
		return outcome{}, fmt.Errorf("vegeta report: %w", err)
	}
	var r struct {
		Rate    float64 `json:"rate"`
		Success float64 `json:"success"`
	}
	if err := json.Unmarshal(js, &r); err != nil {
		return outcome{}, fmt.Errorf("vegeta report: %w", err)
	}
	return outcome{achieved: r.Rate, success: r.Success}, nil
}

// probePeak runs probe load and returns its peak resident memory in bytes,
// read from the kernel's high-water mark while it runs. (The rusage of a
// child would report this process's size when it is larger.)
func probePeak(ctx context.Context, probe, dir, url string, rate int, d time.Duration) (int64, error) {
	cmd, _, err := probeCmd(ctx, probe, dir, url, rate, d)
	if err != nil {
		return 0, err
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return 0, err
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
			if err != nil {
				return 0, fmt.Errorf("probe load: %v\n%s", err, out.String())
			}
			return peak, nil
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

func mib(b int64) float64 { return float64(b) / (1 << 20) }
