package scenarios

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

// ErrNoBrowser is returned when Chromium is not installed.
var ErrNoBrowser = errors.New("chromium not found: install it with 'apt-get install chromium' (or run 'make setup'), or point --browser at it")

// Browser is one headless Chromium process shared by every browser flow. Each
// run gets a fresh browser context (its own cookies, storage and cache), so
// nothing leaks between runs. When the process dies or stops answering, the
// next run starts a new one.
type Browser struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	ctx     context.Context // the browser's context; done when the process is gone
	cancel  context.CancelFunc
	dataDir string
	starts  int
}

// NewBrowser returns a Browser that runs the Chromium at path, or finds
// chromium (or chromium-browser, google-chrome) on PATH when path is empty.
// The process starts at the first run.
func NewBrowser(path string, log *slog.Logger) (*Browser, error) {
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		return nil, ErrNoBrowser
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoBrowser, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Browser{path: path, log: log}, nil
}

// AllocatorOptions are the options of every Chromium probe starts: headless,
// with the flags that keep it from reaching out to the network on its own,
// and a fresh profile in dataDir, a directory of its own that the caller
// removes after the browser ends.
//
// Chromium's TMPDIR is dataDir too, when the path fits: Chromium keeps its
// singleton socket in a directory of its own under TMPDIR and removes it
// only on a clean exit, so every browser that is killed (as chromedp ends
// one) would leave a directory in /tmp otherwise.
func AllocatorOptions(path, dataDir string) []chromedp.ExecAllocatorOption {
	opts := chromedp.DefaultExecAllocatorOptions[:]
	if ownTempFits(dataDir) {
		opts = append(opts, chromedp.Env("TMPDIR="+dataDir))
	}
	return append(opts,
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dataDir),
		chromedp.WindowSize(1280, 900),
		chromedp.WSURLReadTimeout(browserStartTimeout),
	)
}

// ownTempFits reports whether Chromium can keep its singleton socket under
// dir: the socket's path, dir/org.chromium.Chromium.XXXXXX/SingletonSocket,
// must fit the 108 bytes of a Unix socket's address, its final NUL included.
func ownTempFits(dir string) bool {
	return len(dir)+len("/org.chromium.Chromium.XXXXXX/SingletonSocket") < 108
}

// browserStartTimeout bounds how long Chromium may take to start and answer.
const browserStartTimeout = 30 * time.Second

// start launches the process if none runs. It must be called with b.mu held.
func (b *Browser) start() error {
	if b.alive() {
		return nil
	}
	b.stop()
	dir, err := os.MkdirTemp("", "probe-chromium-")
	if err != nil {
		return fmt.Errorf("browser: user data dir: %w", err)
	}
	if !ownTempFits(dir) {
		b.log.Warn("browser: TMPDIR is too long for Chromium to keep its socket in probe's own directory; a killed browser leaves a directory in TMPDIR", "dir", dir)
	}
	opts := AllocatorOptions(b.path, dir)
	// The browser lives until Close, not until any one caller's context ends.
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	cancel := func() { bcancel(); acancel() }
	// The first Do gets the browser's own context: chromedp ties the process
	// to the context of the first run, so a shorter one would end it.
	if err := chromedp.Do(bctx); err != nil {
		cancel()
		os.RemoveAll(dir)
		return fmt.Errorf("browser: start %s: %w", b.path, err)
	}
	b.ctx, b.cancel, b.dataDir = bctx, cancel, dir
	b.starts++
	b.log.Info("browser started", "path", b.path, "pid", b.pid(), "starts", b.starts)
	return nil
}

// alive reports whether the process was started and its connection holds. It
// must be called with b.mu held. chromedp ends the browser's context a moment
// after the connection drops, so a browser killed between runs would still
// look alive to the next run if only the context were asked.
func (b *Browser) alive() bool {
	if b.ctx == nil || b.ctx.Err() != nil {
		return false
	}
	if c := chromedp.FromContext(b.ctx); c != nil && c.Browser != nil {
		select {
		case <-c.Browser.LostConnection:
			return false
		default:
		}
	}
	return true
}

func (b *Browser) pid() int {
	if c := chromedp.FromContext(b.ctx); c != nil && c.Browser != nil && c.Browser.Process() != nil {
		return c.Browser.Process().Pid
	}
	return 0
}

// stop ends the process, if any. It must be called with b.mu held.
func (b *Browser) stop() {
	if b.cancel != nil {
		b.cancel()
	}
	if b.dataDir != "" {
		os.RemoveAll(b.dataDir)
	}
	b.ctx, b.cancel, b.dataDir = nil, nil, ""
}

// newRun returns a context for one run: a new tab in a new browser context.
// Cancel it to close both.
func (b *Browser) newRun(ctx context.Context) (context.Context, context.CancelFunc, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.start(); err != nil {
		return nil, nil, err
	}
	rctx, rcancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	// The run also ends when the caller's context does.
	stop := context.AfterFunc(ctx, rcancel)
	return rctx, func() { stop(); rcancel() }, nil
}

// healthy reports whether the browser process still runs and answers. A run
// that failed calls it to tell a broken browser from a broken target.
func (b *Browser) healthy() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.alive() {
		return false
	}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	// A hung browser does not answer within the limit; the tab dies with pctx.
	pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
	defer pcancel()
	_, err := chromedp.Run(pctx, chromedp.Evaluate[int]("1+1"))
	return err == nil
}

// restart stops the process so that the next run starts a fresh one.
func (b *Browser) restart(reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.log.Warn("browser restarting", "reason", reason)
	b.stop()
}

// Starts returns how many times the process was started.
func (b *Browser) Starts() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.starts
}

// PID returns the process id of the running browser, or 0.
func (b *Browser) PID() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx == nil {
		return 0
	}
	return b.pid()
}

// Close ends the browser process.
func (b *Browser) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stop()
}
