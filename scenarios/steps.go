package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/probe-dev/probe/suite"
)

// stepError is a step that ran and found the page wrong: a failure of the
// target, as opposed to a step that could not finish (timeout, browser gone).
type stepError struct{ msg string }

func (e *stepError) Error() string { return e.msg }

func failf(format string, args ...any) error { return &stepError{fmt.Sprintf(format, args...)} }

// stepFunc performs one browser step in the run's tab; ctx carries the step's
// deadline.
type stepFunc func(ctx context.Context, f *flow, st *suite.Step) error

// stepKinds maps each step kind (its YAML key) to what it does: one explicit
// map, like the scenario kinds.
var stepKinds = map[string]stepFunc{
	"navigate":     navigateStep,
	"click":        clickStep,
	"type":         typeStep,
	"select":       selectStep,
	"wait_visible": waitVisibleStep,
	"wait_hidden":  waitHiddenStep,
	"assert_text":  assertTextStep,
	"assert_url":   assertURLStep,
	"eval":         evalStep,
	"screenshot":   screenshotStep,
}

// pollInterval is how often assertions and waits look again.
const pollInterval = 50 * time.Millisecond

func navigateStep(ctx context.Context, f *flow, st *suite.Step) error {
	url := resolve(f.target.BaseURL, st.Navigate)
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		return err
	}
	if res != nil && res.Status >= 400 {
		return failf("HTTP %d at GET %s", res.Status, st.Navigate)
	}
	return nil
}

func clickStep(ctx context.Context, _ *flow, st *suite.Step) error {
	return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(st.Click)))
}

func typeStep(ctx context.Context, _ *flow, st *suite.Step) error {
	return chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(st.Type.Selector), st.Type.Text))
}

// selectJS chooses an option and fires the events a person's choice fires.
const selectJS = `((sel, val) => {
  const e = document.querySelector(sel);
  if (!e) return 'no element matches ' + sel;
  if (!e.options || ![...e.options].some(o => o.value === val)) return sel + ' has no option with value ' + JSON.stringify(val);
  e.value = val;
  e.dispatchEvent(new Event('input', {bubbles: true}));
  e.dispatchEvent(new Event('change', {bubbles: true}));
  return '';
})(%s, %s)`

func selectStep(ctx context.Context, _ *flow, st *suite.Step) error {
	if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS(st.Select.Selector))); err != nil {
		return err
	}
	msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(selectJS, jsString(st.Select.Selector), jsString(st.Select.Value))))
	if err != nil {
		return err
	}
	if msg != "" {
		return failf("%s", msg)
	}
	return nil
}

func waitVisibleStep(ctx context.Context, _ *flow, st *suite.Step) error {
	return chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(st.WaitVisible)))
}

// hiddenJS is true when no element matches, or the first one takes no space
// or is invisible.
const hiddenJS = `((sel) => {
  const e = document.querySelector(sel);
  if (!e) return true;
  const s = getComputedStyle(e);
  return s.display === 'none' || s.visibility === 'hidden' || e.getClientRects().length === 0;
})(%s)`

func waitHiddenStep(ctx context.Context, _ *flow, st *suite.Step) error {
	js := fmt.Sprintf(hiddenJS, jsString(st.WaitHidden))
	return poll(ctx, func() (bool, error) {
		return chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	})
}

// textJS reads an element's visible text, or null when none matches.
const textJS = `((sel) => { const e = document.querySelector(sel); return e ? e.innerText : null; })(%s)`

func assertTextStep(ctx context.Context, _ *flow, st *suite.Step) error {
	a := st.AssertText
	js := fmt.Sprintf(textJS, jsString(a.Selector))
	var last *string
	err := poll(ctx, func() (bool, error) {
		text, err := chromedp.Run(ctx, chromedp.Evaluate[*string](js))
		if err != nil {
			return false, err
		}
		last = text
		return text != nil && matches(*text, a.Contains, a.Equals, a.Regex), nil
	})
	if err != nil && ctx.Err() != nil {
		// The page never got there: that is the target's failure, named.
		if last == nil {
			return failf("no element matches %s", a.Selector)
		}
		return failf("text of %s is %q, want %s", a.Selector, clip(*last), want(a.Contains, a.Equals, a.Regex))
	}
	return err
}

func assertURLStep(ctx context.Context, _ *flow, st *suite.Step) error {
	a := st.AssertURL
	var last string
	err := poll(ctx, func() (bool, error) {
		u, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil {
			last = u // a read cut by the deadline returns "", which is no URL
		}
		return err == nil && matches(u, a.Contains, a.Equals, a.Regex), err
	})
	if err != nil && ctx.Err() != nil {
		if last == "" {
			return failf("the page never told its URL before the step's time ran out, want %s", want(a.Contains, a.Equals, a.Regex))
		}
		return failf("URL is %s, want %s", last, want(a.Contains, a.Equals, a.Regex))
	}
	return err
}

func evalStep(ctx context.Context, _ *flow, st *suite.Step) error {
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](st.Eval.Script))
	if err != nil {
		if ex, ok := err.(*chromedp.ExceptionError); ok {
			return failf("script threw: %s", firstLine(ex.Error()))
		}
		return err
	}
	if st.Eval.Equals == "" {
		return nil
	}
	got, err := json.Marshal(v)
	if err != nil {
		return failf("script result is not JSON: %v", err)
	}
	var wantV any
	if err := json.Unmarshal([]byte(st.Eval.Equals), &wantV); err != nil {
		// Not JSON: compare with the result as bare text.
		if s, ok := v.(string); ok && s == st.Eval.Equals {
			return nil
		}
		return failf("script returned %s, want %s", clip(string(got)), st.Eval.Equals)
	}
	wantJSON, _ := json.Marshal(wantV) // re-encoding a decoded value cannot fail
	if string(got) != string(wantJSON) {
		return failf("script returned %s, want %s", clip(string(got)), st.Eval.Equals)
	}
	return nil
}

func screenshotStep(ctx context.Context, f *flow, st *suite.Step) error {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	return f.saveArtifact(st.Screenshot+".png", png)
}

// poll calls check until it reports true, returns an error, or ctx ends.
func poll(ctx context.Context, check func() (bool, error)) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		ok, err := check()
		if ok {
			return nil
		}
		if err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func matches(s, contains, equals, re string) bool {
	switch {
	case contains != "":
		return strings.Contains(s, contains)
	case equals != "":
		return strings.TrimSpace(s) == equals
	case re != "":
		return regexp.MustCompile(re).MatchString(s) // validated when the suite loaded
	}
	return true
}

func want(contains, equals, re string) string {
	switch {
	case contains != "":
		return fmt.Sprintf("it to contain %q", contains)
	case equals != "":
		return fmt.Sprintf("%q", equals)
	}
	return fmt.Sprintf("a match of /%s/", re)
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return string(b)
}
