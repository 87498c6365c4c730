package pglisten

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

func newTestListener(t *testing.T) *Listener {
	t.Helper()
	l, err := New(Options{
		Connect:      func(context.Context) (*pgx.Conn, error) { return nil, nil },
		Channel:      "c",
		DoorbellLock: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// pending returns the ring waiting in the channel, if any.
func pending(l *Listener) (v, ok bool) {
	select {
	case v := <-l.Ring():
		return v, true
	default:
		return false, false
	}
}

func TestRingCoalescesAndNeverDowngrades(t *testing.T) {
	cases := []struct {
		name  string
		rings []bool
		want  bool
	}{
		{"one false", []bool{false}, false},
		{"many false become one", []bool{false, false, false}, false},
		{"true is kept over a later false", []bool{true, false}, true},
		{"false is upgraded by a later true", []bool{false, true, false}, true},
	}
	for _, c := range cases {
		l := newTestListener(t)
		for _, r := range c.rings {
			l.ring(r)
		}
		if v, ok := pending(l); !ok || v != c.want {
			t.Errorf("%s: pending ring = %v (present %v), want %v", c.name, v, ok, c.want)
		}
		if v, ok := pending(l); ok {
			t.Errorf("%s: second pending ring %v, want one ring only", c.name, v)
		}
	}
}

// TestRingNeverBlocks rings from several goroutines while a consumer reads:
// with the race detector this also checks the upgrade path's locking. Any
// blocked ring would hang the test.
func TestRingNeverBlocks(t *testing.T) {
	l := newTestListener(t)
	done := make(chan struct{})
	var consumer sync.WaitGroup
	consumer.Add(1)
	sawTrue := false
	go func() {
		defer consumer.Done()
		for {
			select {
			case v := <-l.Ring():
				sawTrue = sawTrue || v
			case <-done:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10000 {
				l.ring((g+i)%7 == 0)
			}
		}()
	}
	wg.Wait()
	close(done)
	consumer.Wait()
	if v, ok := pending(l); ok {
		sawTrue = sawTrue || v
	}
	if !sawTrue {
		t.Fatal("no true ring reached the consumer")
	}
}

func TestIdleWithoutRunDoesNotBlock(t *testing.T) {
	l := newTestListener(t)
	for range 3 {
		l.Idle()
	}
	if l.Armed() {
		t.Fatal("armed without a connection")
	}
}
