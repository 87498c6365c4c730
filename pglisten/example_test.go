package pglisten_test

import (
	"context"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/syncd/syncd/pglisten"
	"github.com/syncd/syncd/store"
)

// The consumer's loop: drain on every ring and on a poll fallback, drain
// until the outbox is empty, then call Idle so that the next write rings.
func Example() {
	ctx := context.Background()
	drain := func(context.Context) int { return 0 } // process one batch, return its size
	scheduleReconcile := func() {}

	l, err := pglisten.New(pglisten.Options{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.Connect(ctx, os.Getenv("DATABASE_URL")) // dedicated, never pooled
		},
		Channel:      store.NotifyChannel,
		DoorbellLock: store.DoorbellLock,
		Logger:       zap.NewExample(),
	})
	if err != nil {
		panic(err)
	}
	go l.Run(ctx)

	poll := time.NewTicker(10 * time.Second) // NOTIFY is only a hint
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case reconnected := <-l.Ring():
			if reconnected {
				scheduleReconcile() // wake-ups may have been lost
			}
		case <-poll.C:
		}
		for drain(ctx) > 0 {
		}
		l.Idle()
	}
}
