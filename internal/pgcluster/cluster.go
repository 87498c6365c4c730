// Package pgcluster starts and stops throwaway PostgreSQL clusters from the
// server binaries installed on the machine (Debian's postgresql package). The
// test harness, `syncd demo` and the benchmarks use it; production never does.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options tune a throwaway cluster. The zero value is a socket-only cluster
// with durability switched off, which is what tests want.
type Options struct {
	// Dir is where the cluster lives; empty means a new temporary directory
	// that Stop removes.
	Dir string
	// Port is the TCP port on 127.0.0.1; 0 means Unix socket only, which
	// cannot collide with anything else on the machine.
	Port int
	// Durable keeps fsync and synchronous_commit on (benchmarks that measure
	// commit cost need it); off by default for speed.
	Durable bool
	// Settings are extra postgresql.conf lines ("name = value").
	Settings []string
}

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	// Dir holds the data directory (data/) and the socket directory (sock/).
	Dir string
	// SocketDir is the directory of the server's Unix socket.
	SocketDir string
	// Port is the port number (also names the socket file).
	Port int

	bin     string
	owner   *user.User // non-nil when running as root: the server runs as this user
	tempDir bool
}

// ErrNoServer means no PostgreSQL server binaries were found.
var ErrNoServer = errors.New("no PostgreSQL server binaries found (install them: apt-get install postgresql)")

// FindBinDir returns the directory holding initdb, pg_ctl and postgres: the
// directory of pg_config --bindir, then /usr/lib/postgresql/<newest>/bin,
// then PATH.
func FindBinDir() (string, error) {
	has := func(dir string) bool {
		for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
			if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
				return false
			}
		}
		return true
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); has(dir) {
			return dir, nil
		}
	}
	if dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin"); len(dirs) > 0 {
		sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
		for _, d := range dirs {
			if has(d) {
				return d, nil
			}
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && has(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
		if has(filepath.Dir(p)) {
			return filepath.Dir(p), nil
		}
	}
	return "", ErrNoServer
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Start initialises a new cluster and starts it. As root, the server runs as
// the "postgres" user (PostgreSQL refuses to run as root). The superuser is
// "postgres" with trust authentication on the socket and on 127.0.0.1.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	bin, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, Port: opts.Port}
	if c.Port == 0 {
		c.Port = 5432
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs a 'postgres' user to own the cluster: %w", err)
		}
		c.owner = u
	}
	c.Dir = opts.Dir
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "syncd-pg-"); err != nil {
			return nil, fmt.Errorf("create cluster dir: %w", err)
		}
		c.tempDir = true
	}
	c.SocketDir = filepath.Join(c.Dir, "sock")
	for _, d := range []string{c.Dir, c.SocketDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create %s: %w", d, err)
		}
		if err := c.chown(d); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(c.Dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.run(ctx, "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
			c.cleanup()
			return nil, fmt.Errorf("initdb: %w", err)
		}
	}
	conf := []string{
		"listen_addresses = '" + map[bool]string{true: "127.0.0.1", false: ""}[opts.Port != 0] + "'",
		fmt.Sprintf("port = %d", c.Port),
		"unix_socket_directories = '" + c.SocketDir + "'",
		"max_connections = 200",
		"log_min_messages = warning",
	}
	if !opts.Durable {
		conf = append(conf, "fsync = off", "synchronous_commit = off", "full_page_writes = off")
	}
	conf = append(conf, opts.Settings...)
	auto := filepath.Join(data, "postgresql.auto.conf")
	if err := os.WriteFile(auto, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		c.cleanup()
		return nil, fmt.Errorf("write %s: %w", auto, err)
	}
	if err := c.chown(auto); err != nil {
		c.cleanup()
		return nil, err
	}
	if err := c.Restart(ctx, false); err != nil {
		c.cleanup()
		return nil, err
	}
	return c, nil
}

// Restart starts the server, stopping it first when stop is true. It
// returns once the server accepts connections.
func (c *Cluster) Restart(ctx context.Context, stop bool) error {
	data := filepath.Join(c.Dir, "data")
	if stop {
		if err := c.run(ctx, "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"); err != nil {
			return fmt.Errorf("pg_ctl stop: %w", err)
		}
	}
	logFile := filepath.Join(c.Dir, "server.log")
	if err := c.run(ctx, "pg_ctl", "-D", data, "-l", logFile, "-w", "-t", "60", "start"); err != nil {
		tail, _ := os.ReadFile(logFile)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return fmt.Errorf("pg_ctl start: %w\n%s", err, tail)
	}
	return nil
}

// URL returns a libpq URL for database db as the superuser.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&port=%d&sslmode=disable", db, c.SocketDir, c.Port)
}

// Stop shuts the server down immediately and removes its directory when
// Start created it.
func (c *Cluster) Stop() error {
	err := c.run(context.Background(), "pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-m", "immediate", "-w", "stop")
	c.cleanup()
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w", err)
	}
	return nil
}

func (c *Cluster) cleanup() {
	if c.tempDir {
		os.RemoveAll(c.Dir)
	}
}

func (c *Cluster) chown(path string) error {
	if c.owner == nil {
		return nil
	}
	uid, _ := strconv.Atoi(c.owner.Uid)
	gid, _ := strconv.Atoi(c.owner.Gid)
	if err := os.Chown(path, uid, gid); err != nil {
		return fmt.Errorf("chown %s to postgres: %w", path, err)
	}
	return nil
}

// run executes a server binary, as the postgres user when we are root.
func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = c.Dir
	if c.owner != nil {
		uid, _ := strconv.Atoi(c.owner.Uid)
		gid, _ := strconv.Atoi(c.owner.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Env = append(os.Environ(), "HOME="+c.Dir)
	}
	// pg_ctl start leaves the server running with our stdout as its stdout
	// unless -l is given; with -l, Wait returns as soon as pg_ctl exits.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(out.String()))
	}
	return nil
}
