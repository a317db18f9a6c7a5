package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/probe-dev/probe/monitor"
	"github.com/probe-dev/probe/scenarios"
	"github.com/probe-dev/probe/store"
	"github.com/probe-dev/probe/suite"
	"github.com/spf13/cobra"
)

type runFlags struct {
	suitePath, listen, history, artifacts, browserPath string
	envs, baseURLs                                     []string
	recheck, retention                                 time.Duration
	browsers, https                                    int
}

func newRun(log *slog.Logger) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Probe continuously: scheduled checks and flows, metrics, SLA, status page",
		Long: `run is the uptime probe: every scenario on every environment it names, on
its schedule, with the history in SQLite, Prometheus metrics on /metrics, a
status page on /, and /healthz and /readyz. SIGHUP reloads the suite; SIGTERM
lets runs in flight finish and stops. With SENTRY_DSN set, each failing
episode (not each failed run, not flaky passes, not probe's own trouble) is one
Sentry event with the failing step, trace id and screenshot. One probe run
owns a history file; exit 3 when runs could not be stored.`,
		Example: `  probe run --suite examples/shop --env dev
  probe run --env staging --env prod --base-url staging=http://127.0.0.1:9000`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The monitor takes any recheck (its tests use milliseconds); from
			// the command line, under a second is a failing target hammered.
			if f.recheck > 0 && f.recheck < time.Second {
				return usageError{fmt.Errorf("--recheck %s: at least 1s, or leave it out for a quarter of each check's interval", f.recheck)}
			}
			return runDaemon(cmd, log, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.suitePath, "suite", ".", "suite folder or file")
	fl.StringArrayVar(&f.envs, "env", nil, "environment to probe (repeatable; default: all)")
	fl.StringVar(&f.listen, "listen", "127.0.0.1:9464", "address of /metrics, the status page and health endpoints")
	fl.StringArrayVar(&f.baseURLs, "base-url", nil, "ENV=URL: probe URL instead of the environment's (repeatable)")
	fl.StringVar(&f.history, "history", store.DefaultPath, "SQLite file of the run history")
	fl.StringVar(&f.artifacts, "artifacts", filepath.Join(".probe", "artifacts"), "folder for failure screenshots and pages")
	fl.StringVar(&f.browserPath, "browser", "", "Chromium to run browser flows with (default: chromium on PATH)")
	fl.DurationVar(&f.recheck, "recheck", 0, "how soon a failing check runs again, at least 1s (default: a quarter of its interval, at least 5s)")
	fl.DurationVar(&f.retention, "retention", 90*24*time.Hour, "forget runs older than this at start (0 keeps all)")
	fl.IntVar(&f.browsers, "browser-slots", 2, "browser flows at once")
	fl.IntVar(&f.https, "http-slots", 32, "HTTP checks at once")
	countFlags(fl, "browser-slots", "http-slots")
	return cmd
}

// runDaemon is probe run: it takes the history, builds the monitor, serves
// its handler and probes until the context ends.
func runDaemon(cmd *cobra.Command, log *slog.Logger, f runFlags) error {
	ctx := cmd.Context()
	s, urls, err := daemonSuite(f)
	if err != nil {
		return err
	}
	unlock, err := store.Lock(f.history)
	if err != nil {
		return historyErr(err)
	}
	defer unlock() //nolint:errcheck // closing a lock file; the kernel drops the lock anyway
	if err := pruneHistory(ctx, log, f.history, f.retention); err != nil {
		return historyErr(err)
	}
	hist := &store.Lazy{Path: f.history, Retry: 30 * time.Second}
	defer hist.Close()
	opts := []scenarios.Option{scenarios.WithRedactor(s.Redactor), scenarios.WithArtifacts(f.artifacts)}
	if scenarios.NeedsBrowser(s.Scenarios) {
		if b, err := scenarios.NewBrowser(f.browserPath, log); err != nil {
			log.Warn("browser flows will end as infra_error", "err", err)
		} else {
			defer b.Close()
			opts = append(opts, scenarios.WithBrowser(b))
		}
	}
	cfg := monitor.Config{Suite: s, Envs: f.envs, BaseURLs: urls, BrowserSlots: f.browsers, HTTPSlots: f.https, Recheck: f.recheck, ArtifactDir: f.artifacts}
	if dsn := os.Getenv("SENTRY_DSN"); dsn != "" {
		notifier, err := monitor.NewSentry(dsn, "probe@"+version, 30, log)
		if err != nil {
			return badInput(fmt.Errorf("SENTRY_DSN: %w", err))
		}
		defer notifier.Close(5 * time.Second)
		cfg.Notifier = notifier
	}
	m, err := monitor.New(cfg, scenarios.NewRunner(log, opts...), hist, log)
	if err != nil {
		return badInput(err) // the suite's scenarios cannot be probed
	}
	stop, addr, err := serve(f.listen, m.Handler(), log)
	if err != nil {
		return badInput(fmt.Errorf("--listen: %w", err))
	}
	defer stop()
	fmt.Fprintf(cmd.OutOrStdout(), "probing; metrics and status page at http://%s/\n", addr)
	return m.Run(ctx, reloads(ctx, log, f.suitePath))
}

// daemonSuite loads the suite and checks the environments the flags name.
func daemonSuite(f runFlags) (*suite.Suite, map[string]string, error) {
	urls := map[string]string{}
	for _, kv := range f.baseURLs {
		env, u, ok := strings.Cut(kv, "=")
		if !ok || env == "" || u == "" {
			return nil, nil, usageError{fmt.Errorf("--base-url %q: want ENV=URL", kv)}
		}
		urls[env] = u
	}
	s, err := suite.Load(f.suitePath)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range append(slices.Clone(f.envs), keys(urls)...) {
		if s.Environments[e] == nil {
			return nil, nil, badInput(fmt.Errorf("environment %q is not in the suite; it has %v", e, s.EnvNames()))
		}
	}
	return s, urls, nil
}

// pruneHistory forgets runs older than retention, when the history opens.
// A path that can never be a history (a folder, another program's file) is
// returned (store.ErrNotHistory); when the history fails otherwise, probing
// goes on and runs are held until it can be written.
func pruneHistory(ctx context.Context, log *slog.Logger, history string, retention time.Duration) error {
	h, err := store.Open(ctx, history)
	if errors.Is(err, store.ErrNotHistory) {
		return err
	}
	if err != nil {
		log.Error("history unusable: probing anyway, holding runs in memory until it opens", "err", err)
		return nil
	}
	defer h.Close()
	if retention > 0 {
		if n, err := h.Prune(ctx, time.Now().Add(-retention)); err == nil && n > 0 {
			log.Info("history pruned", "runs", n, "older than", retention)
		}
	}
	return nil
}

// historyErr makes a path that can never be a history bad input.
func historyErr(err error) error {
	if errors.Is(err, store.ErrNotHistory) {
		return badInput(fmt.Errorf("--history: %w", err))
	}
	return err
}

// serve serves h on addr until stop, which gives requests in flight 5s and
// waits for the server to end.
func serve(addr string, h http.Handler, log *slog.Logger) (stop func(), bound net.Addr, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "err", err)
		}
	}()
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx) // a scrape may be cut at the deadline
		<-done
	}, ln.Addr(), nil
}

// reloads delivers the suite again on each SIGHUP; a suite that no longer
// loads is reported and the running one kept.
func reloads(ctx context.Context, log *slog.Logger, path string) <-chan *suite.Suite {
	out := make(chan *suite.Suite)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				s, err := suite.Load(path)
				if err != nil {
					log.Error("reload refused: keeping the running suite", "err", err)
					continue
				}
				select {
				case out <- s:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
