package scenarios

import (
	"fmt"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
)

// Bounds of what one run keeps of the page's console and network, so a chatty
// page cannot grow a run without end.
const (
	keepLines    = 50  // last console and network lines, for artifacts
	keepProblems = 100 // console errors and failed requests, for the run
)

// eventLog records a page's console and network as a flow runs. chromedp calls
// handle on its own goroutine; handle only appends under a lock.
type eventLog struct {
	redact func(string) string

	mu             sync.Mutex
	console        []string
	network        []string
	consoleErrors  []string
	failedRequests []string
	requests       map[network.RequestID]string // "GET url" of requests in flight
}

func newEventLog(redact func(string) string) *eventLog {
	return &eventLog{redact: redact, requests: map[network.RequestID]string{}}
}

func (l *eventLog) handle(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		line := l.redact(fmt.Sprintf("console.%s: %s", e.Type, argsText(e.Args)))
		l.console = keepLast(append(l.console, line), keepLines)
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			l.consoleErrors = keepLast(append(l.consoleErrors, line), keepProblems)
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		line := l.redact("uncaught " + firstLine(text))
		l.console = keepLast(append(l.console, line), keepLines)
		l.consoleErrors = keepLast(append(l.consoleErrors, line), keepProblems)
	case *network.EventRequestWillBeSent:
		if len(l.requests) < 10_000 {
			l.requests[e.RequestID] = e.Request.Method + " " + e.Request.URL
		}
	case *network.EventResponseReceived:
		req := l.requests[e.RequestID]
		if req == "" {
			req = e.Response.URL
		}
		line := l.redact(fmt.Sprintf("%s → %d", req, e.Response.Status))
		l.network = keepLast(append(l.network, line), keepLines)
		if e.Response.Status >= 400 {
			l.failedRequests = keepLast(append(l.failedRequests, line), keepProblems)
		}
	case *network.EventLoadingFinished:
		delete(l.requests, e.RequestID)
	case *network.EventLoadingFailed:
		req := l.requests[e.RequestID]
		delete(l.requests, e.RequestID)
		line := l.redact(fmt.Sprintf("%s → %s", req, e.ErrorText))
		l.network = keepLast(append(l.network, line), keepLines)
		if !e.Canceled {
			l.failedRequests = keepLast(append(l.failedRequests, line), keepProblems)
		}
	}
}

// snapshot copies what was recorded so far.
func (l *eventLog) snapshot() (console, net, consoleErrors, failed []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return clone(l.console), clone(l.network), clone(l.consoleErrors), clone(l.failedRequests)
}

func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case a.Description != "":
			parts = append(parts, a.Description)
		case len(a.Value) > 0:
			parts = append(parts, strings.Trim(string(a.Value), `"`))
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return firstLine(strings.Join(parts, " "))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func keepLast(s []string, n int) []string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func clone(s []string) []string { return append([]string(nil), s...) }
