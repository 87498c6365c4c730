package pgtest

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Freezer dials connections that it can freeze into a half-open state: the
// client's writes vanish and closing leaves the server's end open, as when a
// network path dies silently. Tests of the listener and the leader election
// use it to prove that a dead connection is noticed and its server session
// (with its locks) cleaned up. The zero value is ready to use.
type Freezer struct {
	mu    sync.Mutex
	conns []*freezableConn
}

type freezableConn struct {
	net.Conn
	frozen atomic.Bool
}

func (c *freezableConn) Write(b []byte) (int, error) {
	if c.frozen.Load() {
		return len(b), nil
	}
	return c.Conn.Write(b)
}

func (c *freezableConn) Close() error {
	if c.frozen.Load() {
		return nil // the server keeps its end; closed at cleanup
	}
	return c.Conn.Close()
}

// Connect returns a connect function for url whose connections the Freezer
// can freeze. Every connection is really closed when the test ends.
func (f *Freezer) Connect(t testing.TB, url string) func(context.Context) (*pgx.Conn, error) {
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, c := range f.conns {
			c.Conn.Close()
		}
	})
	return func(ctx context.Context) (*pgx.Conn, error) {
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			return nil, err
		}
		cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			c := &freezableConn{Conn: nc}
			f.mu.Lock()
			f.conns = append(f.conns, c)
			f.mu.Unlock()
			return c, nil
		}
		return pgx.ConnectConfig(ctx, cfg)
	}
}

// FreezeLast freezes the most recently dialled connection.
func (f *Freezer) FreezeLast() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conns[len(f.conns)-1].frozen.Store(true)
}
