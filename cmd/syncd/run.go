package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/robfig/cron/v3"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/leader"
	"github.com/syncd/syncd/migrations"
	"github.com/syncd/syncd/pglisten"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/store"
	"github.com/syncd/syncd/syncer"
)

func (m *Main) run(ctx context.Context, args []string) error {
	fs := m.flags("run", "", "Run the daemon: mirror every committed change into the sheet (LISTEN/NOTIFY with a poll\n"+
		"fallback), reconcile on reconcile.schedule, at start-up and after every reconnect, and serve\n"+
		"/healthz, /readyz and /metrics on http.listen. One daemon per database leads; others stand by.")
	cfgPath := configFlag(fs)
	instance := fs.String("instance", "", "name of this daemon in syncd.daemons (default: HOST:PID, unique per process; set it to keep one row per daemon across restarts)")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	cfg, log, err := loadConfigAndLogger(*cfgPath)
	if err != nil {
		return err
	}
	defer log.Sync()
	// The daemon's start and stop are events in its structured log (for
	// journald and log shippers); Main prints the error itself.
	d, err := newDaemon(ctx, cfg, log, *instance)
	if err != nil {
		log.Error("cannot start", zap.Error(err))
		return err
	}
	defer d.close()
	if err := d.run(ctx); err != nil {
		log.Error("stopped", zap.Error(err))
		return err
	}
	log.Info("stopped")
	return nil
}

// deps is what a syncer runs on: a pool with syncd's session settings, the
// mirrors resolved against a migrated database, and the Sheets client. The
// daemon and the one-shot reconcile each open one.
type deps struct {
	cfg     *config.Config
	pool    *pgxpool.Pool
	mirrors []syncd.Mirror
	sheet   *sheets.Client
	// sheets are the clients of the mirrors whose spreadsheet or
	// credential is not the sheets: default, by syncer.SpreadsheetKey
	// (see spreadsheets.go).
	sheets map[string]*sheets.Client
	// tolerant (the daemon) lets a table mirror that does not resolve
	// start stopped, its placeholder in mirrors and its error in
	// unresolved, instead of refusing to start (see startStopped).
	tolerant   bool
	unresolved map[string]error
}

// openDeps connects, refuses a database `syncd migrate` has not prepared
// and builds the Sheets client. The caller closes it.
func openDeps(ctx context.Context, cfg *config.Config, log *zap.Logger) (*deps, error) {
	return openDepsFor(ctx, cfg, log, false)
}

// openDepsFor is openDeps; tolerant is the daemon's (deps.tolerant).
func openDepsFor(ctx context.Context, cfg *config.Config, log *zap.Logger, tolerant bool) (*deps, error) {
	pool, err := openPool(ctx, cfg.Postgres.URL)
	if err != nil {
		return nil, err
	}
	d := &deps{cfg: cfg, pool: pool, tolerant: tolerant}
	if err := d.checkDatabase(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if d.sheet, err = sheets.New(ctx, sheetsOptions(cfg, log)); err != nil {
		pool.Close()
		return nil, err
	}
	if d.sheets, err = mirrorClients(ctx, cfg, d.mirrors, log); err != nil {
		pool.Close()
		return nil, err
	}
	return d, nil
}

// syncerOptions are the options every syncer of this process starts from;
// the daemon adds its doorbell and poll interval.
func (d *deps) syncerOptions(log *zap.Logger) syncer.Options {
	others := map[string]syncd.Spreadsheet{}
	for k, c := range d.sheets {
		others[k] = c
	}
	return syncer.Options{Pool: d.pool, Sheet: d.sheet, Sheets: others, Codec: sheetsCodec(), Mirrors: d.mirrors, Logger: log.Named("syncer"),
		ConflictsTab: d.cfg.ConflictsTabTitle()}
}

// daemon is `syncd run`'s wiring: the deps, the leader election, and, while
// leading, the listener, the syncer and the reconcile schedule.
type daemon struct {
	*deps
	log      *zap.Logger
	elector  *leader.Elector
	metrics  *metrics
	instance string
}

// newDaemon opens the deps of a daemon named instance ("" means
// leader.DefaultInstance: host and pid); run starts it, close releases it.
func newDaemon(ctx context.Context, cfg *config.Config, log *zap.Logger, instance string) (*daemon, error) {
	deps, err := openDepsFor(ctx, cfg, log, true)
	if err != nil {
		return nil, err
	}
	d := &daemon{deps: deps, log: log, instance: instance}
	d.metrics = newMetrics(d)
	return d, nil
}

// checkDatabase resolves the mirrors and refuses to start on a database
// that `syncd migrate` has not prepared: running without capture triggers
// would silently mirror nothing.
func (d *deps) checkDatabase(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	err := d.pool.Ping(pctx)
	cancel()
	if err != nil {
		return fmt.Errorf("cannot reach postgres (postgres.url in %s): %w", d.cfg.Path, oneEach{err})
	}
	if d.tolerant {
		d.mirrors, d.unresolved, err = d.cfg.ResolveEach(ctx, d.pool)
	} else {
		d.mirrors, err = d.cfg.Resolve(ctx, d.pool)
	}
	if err != nil {
		return fmt.Errorf("config does not match the database:\n%w", err)
	}
	version, exists, err := store.SchemaVersion(ctx, d.pool)
	if err == nil && !exists {
		err = fmt.Errorf("%s does not exist", store.VersionTable)
	}
	if err != nil || version != migrations.Latest() {
		return fmt.Errorf("schema syncd is not at version %d (found %d, %v): run `syncd migrate -config %s` first",
			migrations.Latest(), version, err, d.cfg.Path)
	}
	return nil
}

func (d *deps) close() {
	d.pool.Close()
}

// connectFunc opens a dedicated connection (never a pooled one) with syncd's
// session settings, for the listener and the leader lock; role names it.
func (d *deps) connectFunc(role string) func(ctx context.Context) (*pgx.Conn, error) {
	return func(ctx context.Context) (*pgx.Conn, error) {
		cc, err := connConfig(d.cfg.Postgres.URL)
		if err != nil {
			return nil, err
		}
		// Operators see which connection is which in pg_stat_activity.
		cc.RuntimeParams["application_name"] = "syncd " + role
		return pgx.ConnectConfig(ctx, cc)
	}
}

func (d *daemon) run(ctx context.Context) error {
	ln, err := net.Listen("tcp", d.cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen %s: %w", d.cfg.HTTP.Listen, err)
	}
	srv := &http.Server{Handler: d.handler(), ReadHeaderTimeout: 5 * time.Second}
	d.elector = leader.New(leader.Options{
		Connect:  d.connectFunc("leader"),
		Instance: d.instance,
		Version:  versionString(),
		Details:  func() any { return map[string]any{"http": ln.Addr().String(), "pid": os.Getpid()} },
		Logger:   d.log,
	})
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	g.Go(func() error {
		defer srv.Close()
		return d.elector.Run(gctx, d.lead)
	})
	d.log.Info("started", zap.String("version", versionString()), zap.String("http", ln.Addr().String()),
		zap.Int("mirrors", len(d.mirrors)))
	notifyReady()
	go watchdog(gctx, d.log)
	err = g.Wait()
	notifyStopping()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// lead runs while this daemon holds the leader lock; ctx ends the moment
// the lock is lost, and everything that writes stops with it.
func (d *daemon) lead(ctx context.Context) error {
	log := d.log
	if len(d.mirrors) == 0 {
		// mirrors: [] is a valid start. The daemon idles rather than
		// exiting: under Restart=always an exit would be a restart loop.
		// It still leads, heartbeats and serves /healthz, so status and
		// doctor work; a restart picks up the first mirror.
		log.Warn("no mirrors configured: nothing to mirror; add one under mirrors: in the config, run syncd migrate, then restart",
			zap.String("config", d.cfg.Path))
		<-ctx.Done()
		return nil
	}
	listener, err := pglisten.New(pglisten.Options{
		Connect:      d.connectFunc("listen"),
		Channel:      store.NotifyChannel,
		DoorbellLock: store.DoorbellLock,
		Logger:       log,
	})
	if err != nil {
		return err
	}
	opts := d.syncerOptions(log)
	opts.Doorbell, opts.PollInterval = listener, d.cfg.PollEvery()
	opts.Resolver = follower{cfg: d.cfg, pool: d.pool}
	opts.PollChanges = d.cfg.PollChangesEvery() // the sheet's edits back, see syncer/poll.go
	s := syncer.New(opts)
	d.startStopped(ctx, s)
	d.metrics.setSyncer(s)
	defer d.metrics.setSyncer(nil)
	c := cron.New()
	if _, err := c.AddFunc(d.cfg.Reconcile.Schedule, s.RequestReconcile); err != nil {
		return fmt.Errorf("reconcile.schedule: %w", err)
	}
	c.Start()
	defer c.Stop()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return listener.Run(gctx) })
	g.Go(func() error { return s.Run(gctx) })
	return g.Wait()
}

// sheetsCodec is the cell codec of CONTRACT.md §2.
func sheetsCodec() syncd.Codec { return sheets.Codec{} }
