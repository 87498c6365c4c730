package store

import (
	"context"
	"fmt"
	"time"

	"github.com/syncd/syncd/catalog"
)

// Daemon is one row of syncd.daemons: an instance's last heartbeat.
type Daemon struct {
	Instance    string
	PID         int
	Host        string
	Role        string // leader, standby or stopped
	Version     string
	StartedAt   time.Time
	HeartbeatAt time.Time // on write: ignored, the database's now()
	// Details is a JSON object (e.g. the listen address); nil is NULL.
	Details []byte
}

// Heartbeat upserts d's row with the database's clock as its heartbeat.
func Heartbeat(ctx context.Context, q catalog.Querier, d Daemon) error {
	_, err := q.Exec(ctx, `INSERT INTO syncd.daemons (instance, pid, host, role, version, started_at, heartbeat_at, details)
	VALUES ($1, $2, $3, $4, $5, $6, now(), $7)
	ON CONFLICT (instance) DO UPDATE SET pid = EXCLUDED.pid, host = EXCLUDED.host, role = EXCLUDED.role,
		version = EXCLUDED.version, started_at = EXCLUDED.started_at, heartbeat_at = now(), details = EXCLUDED.details`,
		d.Instance, d.PID, d.Host, d.Role, d.Version, d.StartedAt, d.Details)
	if err != nil {
		return fmt.Errorf("heartbeat of %s: %w", d.Instance, err)
	}
	return nil
}

// PruneDaemons deletes the rows of instances silent for longer than age,
// so renamed or retired daemons do not clutter `syncd status` for ever.
func PruneDaemons(ctx context.Context, q catalog.Querier, age time.Duration) error {
	if _, err := q.Exec(ctx, "DELETE FROM syncd.daemons WHERE heartbeat_at < now() - $1::interval", age); err != nil {
		return fmt.Errorf("prune old daemon rows: %w", err)
	}
	return nil
}

// MarkStopped records a clean exit of instance (process pid), so status
// says "stopped" rather than "stale".
func MarkStopped(ctx context.Context, q catalog.Querier, instance string, pid int) error {
	if _, err := q.Exec(ctx, `UPDATE syncd.daemons SET role = 'stopped', heartbeat_at = now()
		WHERE instance = $1 AND pid = $2`, instance, pid); err != nil {
		return fmt.Errorf("record the stop of %s: %w", instance, err)
	}
	return nil
}

// RecentDaemons returns the instances that heartbeat after since, freshest
// first.
func RecentDaemons(ctx context.Context, q catalog.Querier, since time.Time) ([]Daemon, error) {
	rows, err := q.Query(ctx, `SELECT instance, pid, host, role, coalesce(version, ''), started_at, heartbeat_at
		FROM syncd.daemons WHERE heartbeat_at > $1 ORDER BY heartbeat_at DESC`, since)
	if err != nil {
		return nil, fmt.Errorf("read syncd.daemons: %w", err)
	}
	defer rows.Close()
	var out []Daemon
	for rows.Next() {
		var d Daemon
		if err := rows.Scan(&d.Instance, &d.PID, &d.Host, &d.Role, &d.Version, &d.StartedAt, &d.HeartbeatAt); err != nil {
			return nil, fmt.Errorf("read syncd.daemons: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read syncd.daemons: %w", err)
	}
	return out, nil
}
