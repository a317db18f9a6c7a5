package monitor

import (
	"cmp"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/probe-dev/probe/results"
	"golang.org/x/time/rate"
)

// Notifier is told when a check starts failing (a new episode).
type Notifier interface {
	Failure(run results.Run)
}

// Sentry sends one event per failing episode to Sentry, with the failing
// step, reason, trace id, the steps as breadcrumbs and the screenshot. Its
// transport is asynchronous and bounded: a slow or absent Sentry never holds
// up probing.
type Sentry struct {
	hub     *sentry.Hub
	log     *slog.Logger
	limiter *rate.Limiter // a bucket of limit events, refilled over a minute
}

var _ Notifier = (*Sentry)(nil)

// maxAttachment bounds a screenshot sent to Sentry.
const maxAttachment = 5 << 20

// NewSentry returns a notifier for dsn (SENTRY_DSN), sending at most limit
// events at once and limit a minute after that.
func NewSentry(dsn, release string, limit int, log *slog.Logger) (*Sentry, error) {
	client, err := sentry.NewClient(sentry.ClientOptions{Dsn: dsn, Release: release, Transport: sentry.NewHTTPTransport()})
	if err != nil {
		return nil, fmt.Errorf("sentry: %w", err)
	}
	if limit <= 0 {
		limit = 30
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sentry{hub: sentry.NewHub(client, sentry.NewScope()), log: log,
		limiter: rate.NewLimiter(rate.Every(time.Minute/time.Duration(limit)), limit)}, nil
}

// allow applies the rate limit.
func (s *Sentry) allow(now time.Time) bool { return s.limiter.AllowN(now, 1) }

// Failure sends the event of a failing run.
func (s *Sentry) Failure(run results.Run) {
	if !s.allow(time.Now()) {
		s.log.Warn("sentry: rate limit reached, event dropped", "scenario", run.Scenario, "env", run.Env)
		return
	}
	last := run.Last()
	step := cmp.Or(last.FailingStep(), "run")
	s.hub.WithScope(func(scope *sentry.Scope) {
		scope.SetLevel(sentry.LevelError)
		scope.SetTags(map[string]string{"scenario": run.Scenario, "env": run.Env, "step": step, "status": string(run.Status), "kind": run.Kind})
		scope.SetFingerprint([]string{"probe", run.Scenario, run.Env, step})
		ctx := sentry.Context{"scenario": run.Scenario, "env": run.Env, "failing_step": step, "reason": run.Reason, "attempts": len(run.Attempts)}
		if last.TraceID != "" {
			ctx["trace_id"] = last.TraceID
		}
		scope.SetContext("probe", ctx)
		for _, st := range last.Steps {
			scope.AddBreadcrumb(&sentry.Breadcrumb{Category: "step", Message: st.Name,
				Data:  map[string]any{"status": string(st.Status), "duration_ms": st.Duration.Milliseconds(), "reason": st.Reason},
				Level: levelOf(st.Status)}, 100)
		}
		if a := last.Screenshot(); a != "" {
			if info, err := os.Stat(a); err == nil && info.Size() <= maxAttachment {
				if data, err := os.ReadFile(a); err == nil {
					scope.AddAttachment(&sentry.Attachment{Filename: results.FailureScreenshot, ContentType: "image/png", Payload: data})
				}
			}
		}
		event := sentry.NewEvent()
		event.Environment = run.Env
		event.Message = fmt.Sprintf("%s on %s failed at %s: %s", run.Scenario, run.Env, step, run.Reason)
		s.hub.CaptureEvent(event)
	})
}

func levelOf(st results.Status) sentry.Level {
	if st == results.Pass {
		return sentry.LevelInfo
	}
	return sentry.LevelError
}

// Close sends what is queued, waiting at most timeout.
func (s *Sentry) Close(timeout time.Duration) {
	if !s.hub.Flush(timeout) {
		s.log.Warn("sentry: events still queued at stop were dropped")
	}
}
