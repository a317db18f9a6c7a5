package demoapp

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/probe-dev/probe/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// browser starts Debian's Chromium headless as probe starts it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	require.NoError(t, err, "Chromium is missing: run 'make setup' (apt-get install chromium)")
	opts := scenarios.AllocatorOptions(path, t.TempDir())
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	return bctx
}

// TestCheckoutInBrowser walks the shop as a shopper does, in real Chromium:
// the page's JavaScript adds to the cart and sends the checkout form.
func TestCheckoutInBrowser(t *testing.T) {
	shop, srv := startShop(t)
	ctx := browser(t)
	u := srv.URL()

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(u+"/products/1"),
		chromedp.WaitVisible(chromedp.CSS("#add-to-cart")),
		chromedp.Click(chromedp.CSS("#add-to-cart")),
		chromedp.WaitVisible(chromedp.CSS("#added")),
		chromedp.Navigate(u+"/cart"),
		chromedp.Click(chromedp.CSS("#to-checkout")),
		chromedp.WaitVisible(chromedp.CSS("#checkout-form")),
		chromedp.SendKeys(chromedp.CSS("#email"), "shopper@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), DefaultPassword),
		chromedp.SetValue(chromedp.CSS("#country"), "DE"),
		chromedp.Click(chromedp.CSS("#place-order")),
		chromedp.WaitVisible(chromedp.CSS("#thanks")),
	))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	assert.Regexp(t, `/order/1$`, loc)
	title, err := chromedp.Run(ctx, chromedp.Title())
	require.NoError(t, err)
	assert.Equal(t, "Thank you · Demo Shop", title, "the example suite's eval step expects this title")

	st := shop.Stats()
	assert.Equal(t, int64(1), st["api.cart.add"].Status[200])
	assert.Equal(t, int64(1), st["api.checkout"].Status[200])

	// A wrong password is shown on the page, and no order is placed.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(u+"/checkout"),
		chromedp.SendKeys(chromedp.CSS("#email"), "shopper@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "wrong"),
		chromedp.SetValue(chromedp.CSS("#country"), "FR"),
		chromedp.Click(chromedp.CSS("#place-order")),
		chromedp.WaitNotVisible(chromedp.CSS("#spinner")),
	))
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#error")))
	require.NoError(t, err)
	assert.Equal(t, "wrong password", msg)
	assert.Equal(t, int64(1), shop.Stats()["api.checkout"].Status[200])
}
