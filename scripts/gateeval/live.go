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

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/scripts/internal/shopproc"
)

// liveRuns runs n real gates a case (2n for A/A) against two demo shops.
func liveRuns(ctx context.Context, cs []evalCase, n int) ([]*row, error) {
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
	var rows []*row
	for _, c := range cs {
		r := &row{c: c}
		runs := n
		if c.cand == nil {
			runs = 2 * n
		}
		baseURL, stopBase, err := shopproc.Start(ctx, probe, faultFlags(faultsOf(c, false))...)
		if err != nil {
			return nil, err
		}
		candURL, stopCand, err := shopproc.Start(ctx, probe, faultFlags(faultsOf(c, true))...)
		if err != nil {
			stopBase()
			return nil, err
		}
		stopHog := func() {}
		if c.hog {
			stopHog = hog(ctx)
		}
		for i := range runs {
			g, err := liveGate(ctx, probe, suite, baseURL, candURL, filepath.Join(dir, fmt.Sprintf("gate-%d", i)))
			if err != nil {
				stopHog()
				stopBase()
				stopCand()
				return nil, err
			}
			r.add(g)
			if (c.want == "pass") != (g.Verdict == results.GatePass) {
				fmt.Fprintf(os.Stderr, "%s: gate %s, want %s\n", c.name, g.Verdict, c.want)
			}
		}
		stopHog()
		stopBase()
		stopCand()
		rows = append(rows, r)
	}
	return rows, nil
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
