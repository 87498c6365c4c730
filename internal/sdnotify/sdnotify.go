// Package sdnotify tells systemd how `syncd run` is doing (sd_notify(3), via
// coreos/go-systemd): READY=1 once it serves, WATCHDOG=1 while its main
// loop is alive, STOPPING=1 when it shuts down, and a STATUS= line for
// `systemctl status`. Outside systemd (NOTIFY_SOCKET unset) every call is a
// no-op, so the daemon calls them unconditionally.
//
// deploy/syncd.service runs syncd with Type=notify and WatchdogSec=, so
// systemd restarts a daemon that hangs (a deadlock, a stuck network call)
// and not only one that exits.
package sdnotify

import (
	"context"
	"fmt"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"go.uber.org/zap"
)

// Ready tells systemd the service is up: `systemctl start` returns and
// units ordered after syncd start. Call it once the daemon has connected
// and serves /healthz (leader or standby alike). It reports whether the
// message was sent (false outside systemd).
func Ready() (bool, error) { return notify(daemon.SdNotifyReady) }

// Stopping tells systemd the daemon is shutting down (finishing its batch);
// systemd then waits up to TimeoutStopSec instead of reporting a hang.
func Stopping() (bool, error) { return notify(daemon.SdNotifyStopping) }

// Status sets the one-line status `systemctl status syncd` shows, e.g.
// "leader, 3 mirrors, last batch 2s ago".
func Status(s string) (bool, error) { return notify("STATUS=" + s) }

func notify(state string) (bool, error) {
	sent, err := daemon.SdNotify(false, state)
	if err != nil {
		return sent, fmt.Errorf("sd_notify %s: %w", state, err)
	}
	return sent, nil
}

// Watchdog pings systemd's watchdog at half its timeout until ctx is done,
// but only while alive returns nil: a daemon whose main loop is stuck must
// stop pinging so that systemd kills and restarts it. A nil alive means
// always alive. It returns at once, returning false, when the watchdog is
// not enabled (no WatchdogSec=, or not run by systemd); run it in its own
// goroutine. log may be nil.
func Watchdog(ctx context.Context, alive func() error, log *zap.Logger) bool {
	interval, err := daemon.SdWatchdogEnabled(false)
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("sdnotify")
	if err != nil {
		log.Warn("watchdog settings unreadable; not pinging", zap.Error(err))
		return false
	}
	if interval <= 0 {
		return false
	}
	runWatchdog(ctx, interval/2, alive, log, func() error {
		_, err := notify(daemon.SdNotifyWatchdog)
		return err
	})
	return true
}

// runWatchdog is Watchdog's loop with the period and the ping injected.
func runWatchdog(ctx context.Context, every time.Duration, alive func() error, log *zap.Logger, ping func() error) {
	t := time.NewTicker(every)
	defer t.Stop()
	healthy := true
	for {
		if alive != nil {
			if err := alive(); err != nil {
				// Log the transition only: this runs every few seconds.
				if healthy {
					log.Error("main loop not alive: not pinging the watchdog; systemd will restart syncd", zap.Error(err))
				}
				healthy = false
			} else {
				healthy = true
			}
		}
		if healthy {
			if err := ping(); err != nil {
				log.Warn("watchdog ping", zap.Error(err))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
