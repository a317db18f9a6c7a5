package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/scripts/internal/shopproc"
)

// liveRuns runs n real gates a case (2n for A/A) against two demo shops of
// its own, lanes cases at a time; a case with a CPU hog runs alone, since its
// hog would fall on every case beside it.
func liveRuns(ctx context.Context, cs []evalCase, n, lanes int) ([]*row, error) {
	dir, err := os.MkdirTemp("", "gateeval-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	probe := filepath.Join(dir, "probe")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", probe, "./cmd/probe").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build: %v\n%s", err, out)
	}
	suite := filepath.Join(dir, "suite.yaml")
	if err := os.WriteFile(suite, []byte(suiteYAML()), 0o600); err != nil {
		return nil, err
	}
	rows := make([]*row, len(cs))
	errs := make([]error, len(cs))
	run := func(i int) {
		rows[i], errs[i] = liveCase(ctx, cs[i], n, probe, suite, filepath.Join(dir, fmt.Sprint(i)))
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(lanes, 1) {
		wg.Go(func() {
			for i := range jobs {
				run(i)
			}
		})
	}
	for i, c := range cs {
		if !c.hog {
			jobs <- i
		}
	}
	close(jobs)
	wg.Wait()
	for i, c := range cs {
		if c.hog {
			run(i)
		}
	}
	return rows, errors.Join(errs...)
}

// liveCase runs one case's gates, one after another, against two demo shops
// started for it.
func liveCase(ctx context.Context, c evalCase, n int, probe, suite, dir string) (*row, error) {
	r := &row{c: c}
	runs := n
	if c.cand == nil {
		runs = 2 * n
	}
	base, err := shopproc.Start(ctx, probe, faultFlags(faultsOf(c, false))...)
	if err != nil {
		return nil, err
	}
	defer base.Stop()
	cand, err := shopproc.Start(ctx, probe, faultFlags(faultsOf(c, true))...)
	if err != nil {
		return nil, err
	}
	defer cand.Stop()
	if c.hog {
		defer hog(ctx)()
	}
	for i := range runs {
		g, err := liveGate(ctx, probe, suite, base.URL, cand.URL, filepath.Join(dir, fmt.Sprintf("gate-%d", i)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		r.add(g)
		fmt.Fprintf(os.Stderr, "%s: gate %d of %d: %s (want %s), %s of load\n", c.name, i+1, runs, g.Verdict, c.want, g.LoadSpent.Round(time.Second))
	}
	return r, nil
}

// liveGate runs one probe gate and reads back the gate it wrote.
func liveGate(ctx context.Context, probe, suite, base, cand, out string) (*results.Gate, error) {
	cmd := exec.CommandContext(ctx, probe, "gate", "eight", "--suite", suite, "--baseline-url", base, "--candidate-url", cand,
		"--report", "json", "--out", out)
	text, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && (ee.ExitCode() == 1 || ee.ExitCode() == 4)) {
		return nil, fmt.Errorf("probe gate: %v\n%s", err, text)
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		return nil, err
	}
	var bundle struct {
		Gates []*results.Gate `json:"gates"`
	}
	if err := json.Unmarshal(b, &bundle); err != nil || len(bundle.Gates) != 1 {
		return nil, fmt.Errorf("%s: want one gate in the report (%v)", out, err)
	}
	return bundle.Gates[0], nil
}

// hog keeps every core busy, as a shared CI machine is, until stopped.
func hog(ctx context.Context) func() {
	hctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			x := 1.0
			for hctx.Err() == nil {
				for range 100000 {
					x = x*1.0000001 + 1e-9
				}
			}
			_ = x
		})
	}
	return func() { cancel(); wg.Wait() }
}
