// Command gateeval measures the release gate against two demo shops on
// loopback (make gate-eval): how often identical builds fail (A/A), how often
// a real regression on one route of five is caught and named, that a tiny
// shift passes, and how long each verdict takes.
//
//	go run ./scripts/gateeval [-runs 20] [-pairs 10] [-block 2s]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/probe-dev/probe/scripts/internal/shopproc"
)

type scenario struct {
	name  string
	fault string // the candidate's extra --fault flags, by route
	route string // the route that must be named, "" for none
	want  string // the verdict wanted: pass or fail
}

// Every route of both shops carries 25ms, so that +10% (2.5ms) is above the
// gate's minimum effect of +5% and +2ms, and +3% (0.75ms) below it.
var routes = []string{"api.products", "api.product", "api.cart", "api.health", "home"}

var scenarios = []scenario{
	{"A/A: identical builds", "", "", "pass"},
	{"A/B: +10% p95 on one route of five", "api.product:latency=27500us", "product", "fail"},
	{"A/B: +3% on one route (below the minimum effect)", "api.product:latency=25750us", "", "pass"},
	{"A/B: +1% errors on one route", "api.cart:latency=25ms,error_rate=1%", "cart", "fail"},
}

func main() {
	runs := flag.Int("runs", 20, "gates per scenario")
	pairs := flag.Int("pairs", 10, "block pairs per gate")
	block := flag.Duration("block", 2*time.Second, "length of a block")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *runs, *pairs, *block); err != nil {
		fmt.Fprintln(os.Stderr, "gateeval:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, runs, pairs int, block time.Duration) error {
	dir, err := os.MkdirTemp("", "gateeval-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	probe := filepath.Join(dir, "probe")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", probe, "./cmd/probe").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	suite := filepath.Join(dir, "suite.yaml")
	if err := os.WriteFile(suite, []byte(`environments:
  eval: {base_url: "http://127.0.0.1:1"}
loadtests:
  - name: five
    targets:
      - {name: products, path: /api/products}
      - {name: product, path: "/api/products/{{randInt 1 20}}"}
      - {name: cart, path: /api/cart}
      - {name: health, path: /api/health}
      - {name: home, path: /}
    profile: [{constant: {rate: 250/s, duration: 1s}}]
    limits: {max_duration: 1m, max_requests: 100000}
`), 0o600); err != nil {
		return err
	}
	var base []string
	for _, r := range routes {
		base = append(base, "--fault", r+":latency=25ms")
	}
	fmt.Printf("%d gates per scenario, %d block pairs of %s each\n\n", runs, pairs, block)
	fmt.Printf("%-52s %5s %5s %5s %6s %6s %9s\n", "SCENARIO", "PASS", "FAIL", "INCONC", "NAMED", "GOAL", "MEDIAN")
	for _, sc := range scenarios {
		cand := slices.Clone(base)
		if sc.fault != "" {
			route, _, _ := strings.Cut(sc.fault, ":")
			for i := 0; i+1 < len(cand); i += 2 {
				if strings.HasPrefix(cand[i+1], route+":") {
					cand[i+1] = sc.fault
				}
			}
		}
		baseURL, stopBase, err := shopproc.Start(ctx, probe, base...)
		if err != nil {
			return err
		}
		candURL, stopCand, err := shopproc.Start(ctx, probe, cand...)
		if err != nil {
			stopBase()
			return err
		}
		var pass, fail, inconc, named int
		var took []time.Duration
		for range runs {
			start := time.Now()
			verdict, out, err := gate(ctx, probe, suite, baseURL, candURL, pairs, block)
			if err != nil {
				stopBase()
				stopCand()
				return err
			}
			took = append(took, time.Since(start))
			if verdict != sc.want {
				// The whole table of a miss, to see what the gate saw.
				fmt.Fprintf(os.Stderr, "%s: gate %s, want %s\n%s\n", sc.name, verdict, sc.want, out)
			}
			switch verdict {
			case "pass":
				pass++
			case "fail":
				fail++
				if sc.route != "" && strings.Contains(out, "\n"+sc.route+" ") && namedFail(out, sc.route) {
					named++
				}
			default:
				inconc++
			}
		}
		stopBase()
		stopCand()
		slices.Sort(took)
		goal := fmt.Sprintf("%d/%d", map[string]int{"pass": pass, "fail": fail}[sc.want], runs)
		fmt.Printf("%-52s %5d %5d %5d %6d %6s %9s\n", sc.name, pass, fail, inconc, named, goal, took[len(took)/2].Round(time.Second))
	}
	return nil
}

// namedFail reports whether a failing line of the gate's table names route.
func namedFail(out, route string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == route && slices.Contains(f, "fail") {
			return true
		}
	}
	return false
}

// gate runs one side-by-side gate and returns its verdict and output.
func gate(ctx context.Context, probe, suite, base, cand string, pairs int, block time.Duration) (string, string, error) {
	cmd := exec.CommandContext(ctx, probe, "gate", "five", "--suite", suite, "--baseline-url", base, "--candidate-url", cand,
		"--pairs", fmt.Sprint(pairs), "--block", block.String(), "--warmup", "1s")
	out, err := cmd.Output()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "pass", string(out), nil
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return "fail", string(out), nil
	case errors.As(err, &ee) && ee.ExitCode() == 4:
		return "inconclusive", string(out), nil
	}
	return "", "", fmt.Errorf("probe gate: %v\n%s", err, out)
}
