package syncer

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// Mirrors are isolated: a mirror whose batches fail on their own (a key
// that is not unique, a dropped table, a write the API refuses) is parked.
// A parked mirror is left out of the change stream, which goes on for the
// others and consumes the outbox entries of all; its failure stays in
// sync_log where `syncd status` shows it; and it is tried again alone, as a
// full resync from one snapshot, with backoff, until that succeeds.

// parking is why and until when a mirror is parked.
type parking struct {
	err  error
	next time.Time
	wait time.Duration
}

// The backoff of a parked mirror's retries.
const (
	parkFirstWait = 2 * time.Second
	parkMaxWait   = 2 * time.Minute
)

// isParked reports whether the mirror is parked.
func (s *Syncer) isParked(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.parked[name] != nil
}

// unparked returns the mirrors not parked, in config order.
func (s *Syncer) unparked() []*mirror {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*mirror
	for _, m := range s.mirrors {
		if s.parked[m.Name] == nil {
			out = append(out, m)
		}
	}
	return out
}

// Parked returns the parked mirrors and why each is parked.
func (s *Syncer) Parked() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.parked))
	for name, p := range s.parked {
		out[name] = p.err.Error()
	}
	return out
}

// park parks m (again) after err, doubling its wait.
func (s *Syncer) park(m *mirror, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.parked[m.Name]
	if p == nil {
		p = &parking{wait: parkFirstWait / 2}
		s.parked[m.Name] = p
	}
	p.err, p.wait = err, min(2*p.wait, parkMaxWait)
	p.next = s.opts.Now().Add(p.wait)
	s.log.Warn("mirror parked: its batches fail on their own; the others go on", zap.String("mirror", m.Name),
		zap.Error(err), zap.Duration("retry_in", p.wait))
}

// unpark takes m back into the change stream.
func (s *Syncer) unpark(m *mirror) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.parked[m.Name] != nil {
		delete(s.parked, m.Name)
		// Its table may have been created again under a new oid.
		s.tableOID = nil
		s.log.Info("mirror back in the change stream", zap.String("mirror", m.Name))
	}
}

// isolate runs each of the mirrors a failed batch concerned alone and
// parks those that fail. It reports whether any was parked while another
// succeeded: when every one fails alone too, the fault is not a mirror's
// (the database or the spreadsheet is down) and the caller backs off as a
// whole instead. With fewer than two mirrors there is nothing to isolate.
func (s *Syncer) isolate(ctx context.Context, tried []*mirror) bool {
	if len(tried) < 2 {
		return false
	}
	var failed []*mirror
	var errs []error
	for _, m := range tried {
		if _, _, err := s.drainReplanning(ctx, m); err != nil {
			if ctx.Err() != nil {
				return false
			}
			failed, errs = append(failed, m), append(errs, err)
		}
	}
	if len(failed) == len(tried) {
		return false
	}
	for i, m := range failed {
		s.park(m, errs[i])
	}
	return len(failed) > 0
}

// retryParked tries each parked mirror whose wait is over, alone, as a
// full resync; one that succeeds is back in the change stream.
func (s *Syncer) retryParked(ctx context.Context) {
	now := s.opts.Now()
	s.mu.Lock()
	var due []*mirror
	for _, m := range s.mirrors {
		if p := s.parked[m.Name]; p != nil && !now.Before(p.next) {
			due = append(due, m)
		}
	}
	s.mu.Unlock()
	for _, m := range due {
		if _, _, err := s.drainReplanning(ctx, m); err != nil {
			if ctx.Err() == nil {
				s.park(m, err)
			}
			continue
		}
		s.unpark(m)
	}
}
