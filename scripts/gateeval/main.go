// Command gateeval measures the release gate on realistic traffic (make
// gate-eval): eight routes with a 9:1 traffic spread, lognormal latencies, a
// cache hit/miss mixture, background errors, and a CPU hog. Each case is run
// two ways:
//
//   - simulated: the gate's own decision code (gate.Run) on blocks drawn
//     from the same distributions the demo shop injects, thousands of times:
//     the rates, with no machine noise;
//
//   - live: probe gate against two demo shops on loopback, a few times a
//     case: that real gates agree.
//
//     go run ./scripts/gateeval [-sim 2000] [-live 5] [-lanes 1] [-case SUBSTRING]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

func main() {
	sim := flag.Int("sim", 2000, "simulated gates per case (0: none)")
	live := flag.Int("live", 5, "live gates per case against two demo shops, twice as many for A/A (0: none)")
	lanes := flag.Int("lanes", 1, "live cases run at once, each against its own two demo shops (a case with a CPU hog runs alone)")
	only := flag.String("case", "", "run only the cases whose name holds this")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var run []evalCase
	for _, c := range cases {
		if strings.Contains(c.name, *only) {
			run = append(run, c)
		}
	}
	if *sim > 0 {
		fmt.Printf("simulated: %d gates a case, %d requests/s, default gate options\n", *sim, rate)
		printTable(simulate(ctx, run, *sim))
	}
	if *live > 0 {
		rows, err := liveRuns(ctx, run, *live, *lanes)
		// The cases that finished are printed even when another failed:
		// they are an hour of work.
		fmt.Printf("\nlive: probe gate against two demo shops on loopback, %d requests/s, %d cases at once\n", rate, *lanes)
		printTable(slices.DeleteFunc(rows, func(r *row) bool { return r == nil }))
		if err != nil {
			fmt.Fprintln(os.Stderr, "gateeval:", err)
			os.Exit(1)
		}
	}
}
