package pglisten_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/pglisten"
)

func TestFirstConnectRingsTrueAfterListen(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	pid := wait(t, b.sig.listening, "listening")
	expectRing(t, b.l, true)
	// The ring came after LISTEN: the server already lists the channel for
	// the listener's backend.
	var channels []string
	err := b.writer.QueryRow(context.Background(),
		`SELECT array_agg(query) FROM pg_stat_activity WHERE pid = $1`, int64(pid)).Scan(&channels)
	if err != nil {
		t.Fatal(err)
	}
	if len(channels) != 1 || !strings.HasPrefix(channels[0], "LISTEN ") {
		t.Fatalf("listener backend's last statement = %q, want LISTEN", channels)
	}
	if b.l.Armed() {
		t.Fatal("armed before Idle was called")
	}
	exec(t, b.writer, `NOTIFY syncd, 'probe'`)
	if n := wait(t, b.sig.notified, "probe notification"); n.Payload != "probe" {
		t.Fatalf("notification %+v, want the probe", n)
	}
	expectRing(t, b.l, false)
}

func TestArmedDoorbellRingsOnCommittedInsert(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	expectRing(t, b.l, true)
	b.arm(t)
	b.expectDoorbellRings(t, 1)
	// The next cycle works the same way.
	b.arm(t)
	b.expectDoorbellRings(t, 2)
}

func TestUnarmedWriteSendsNoNotification(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	expectRing(t, b.l, true)
	// Idle was never called after the ring: the consumer is busy.
	exec(t, b.writer, `INSERT INTO items VALUES (1, 'x')`)
	b.expectNoWriterNotification(t)
	if b.l.Armed() {
		t.Fatal("armed without Idle")
	}
	// Disarmed by a notification: writes are silent again.
	b.arm(t)
	b.expectDoorbellRings(t, 2)
	exec(t, b.writer, `INSERT INTO items VALUES (3, 'x')`)
	b.expectNoWriterNotification(t)
}

func TestIdleWaitsForWriterHoldingSharedLock(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	expectRing(t, b.l, true)
	ctx := context.Background()
	tx, err := b.writer.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// The doorbell is unarmed: the trigger takes the shared lock, holds it
	// until commit, and does not notify.
	if _, err := tx.Exec(ctx, `INSERT INTO items VALUES (1, 'x')`); err != nil {
		t.Fatal(err)
	}
	b.l.Idle()
	b.l.Idle() // Idle while a request is pending is harmless
	for range 3 {
		wait(t, b.sig.armBusy, "failed arming attempt")
	}
	if b.l.Armed() {
		t.Fatal("armed while a writer that saw the doorbell unarmed is still open")
	}
	expectNoRing(t, b.l)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	wait(t, b.sig.armed, "armed after the writer committed")
	expectRing(t, b.l, false)
	// That ring's drain sees the change the writer committed silently.
	if n := outboxCount(t, b.url); n != 1 {
		t.Fatalf("outbox holds %d changes after arming, want 1", n)
	}
	b.expectDoorbellRings(t, 2)
}

func TestArmTimeoutRingsWhileWritersStayBusy(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *pglisten.Options, _ string) { o.ArmTimeout = 50 * time.Millisecond })
	expectRing(t, b.l, true)
	ctx := context.Background()
	tx, err := b.writer.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO items VALUES (1, 'x')`); err != nil {
		t.Fatal(err)
	}
	b.l.Idle()
	expectRing(t, b.l, false)
	if b.l.Armed() {
		t.Fatal("armed while a writer holds the shared lock")
	}
	select {
	case <-b.sig.armBusy:
	default:
		t.Fatal("rang without a failed arming attempt")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	b.arm(t)
	b.expectDoorbellRings(t, 2)
}
