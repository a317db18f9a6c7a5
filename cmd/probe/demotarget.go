package main

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/spf13/cobra"
)

func newDemoTarget(log *slog.Logger) *cobra.Command {
	var (
		addr, adminAddr, outage, password string
		stall                             time.Duration
		faults                            []string
	)
	cmd := &cobra.Command{
		Use:   "demo-target",
		Short: "Serve the embedded demo shop, with faults if asked",
		Long: `demo-target serves the demo shop that the examples and tests run against,
and prints its URL. Faults can be set at start with flags and changed while it
runs through its admin endpoints:

  GET  /_admin/faults   the faults in force (JSON)
  PUT  /_admin/faults   replace them, e.g. {"routes":{"api.products":{"latency":"50ms"}}}
  POST /_admin/reset    no faults, counters zeroed
  GET  /_admin/stats    ground-truth counters per route
  GET  /metrics         the same counters for Prometheus

Routes: ` + strings.Join(demoapp.RouteNames(), ", ") + ` ("*" for all).`,
		Example: `  probe demo-target --addr 127.0.0.1:8080
  probe demo-target --fault 'api.products:latency=50ms,spread=20ms,error_rate=5%'
  probe demo-target --fault '*:capacity=8,service_time=20ms'   # holds 400 req/s
  probe demo-target --outage refuse --admin-addr 127.0.0.1:8090`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := routeFaults(faults)
			if err != nil {
				return err
			}
			f.Outage, f.Stall = outage, demoapp.Duration(stall)
			shop := demoapp.New(demoapp.WithLogger(log), demoapp.WithPassword(password))
			if err := shop.SetFaults(f); err != nil {
				return badInput(err)
			}
			srv, err := demoapp.Start(cmd.Context(), shop, addr, adminAddr)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "demo shop serving at %s\n", srv.URL())
			if srv.AdminURL() != "" {
				fmt.Fprintf(out, "admin endpoints at %s/_admin/\n", srv.AdminURL())
			}
			fmt.Fprintln(out, "press Ctrl-C to stop")
			<-cmd.Context().Done()
			return srv.Close()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free one)")
	fl.StringVar(&adminAddr, "admin-addr", "", "also serve the admin endpoints here; they stay up during a refuse outage")
	fl.StringArrayVar(&faults, "fault", nil, "ROUTE:key=value,… with latency, spread, error_rate, capacity, service_time (repeatable)")
	fl.DurationVar(&stall, "stall", 0, "every response pauses this long first")
	fl.StringVar(&outage, "outage", "", "start in an outage: refuse (connections refused) or 503")
	fl.StringVar(&password, "password", demoapp.DefaultPassword, "password the checkout accepts")
	return cmd
}

// routeFaults reads the --fault flags.
func routeFaults(specs []string) (demoapp.Faults, error) {
	f := demoapp.Faults{Routes: map[string]demoapp.RouteFaults{}}
	for _, spec := range specs {
		route, rf, err := demoapp.ParseRouteFault(spec)
		if err != nil {
			return f, badInput(fmt.Errorf("--fault: %w", err))
		}
		f.Routes[route] = rf
	}
	return f, nil
}
