package main

import (
	"context"

	"go.uber.org/zap"

	"github.com/syncd/syncd/internal/sdnotify"
)

// notifyReady tells systemd (Type=notify) the daemon is up; a no-op when
// not started by systemd.
func notifyReady() { sdnotify.Ready() }

// notifyStopping tells systemd a clean shutdown has begun.
func notifyStopping() { sdnotify.Stopping() }

// watchdog pings systemd's watchdog (WatchdogSec=) until ctx ends. The
// liveness test is the runtime itself: a batch may legitimately block for
// minutes while the Sheets API is down or Postgres restarts, and a restart
// would not help then, so only a process that cannot schedule this
// goroutine any more is left to systemd to kill.
func watchdog(ctx context.Context, log *zap.Logger) { sdnotify.Watchdog(ctx, nil, log) }
