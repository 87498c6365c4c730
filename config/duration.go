package config

import "time"

func parseDuration(s string) (time.Duration, error) { return time.ParseDuration(s) }

// PollEvery returns reconcile.poll_interval as a duration (validated at load).
func (c *Config) PollEvery() time.Duration {
	d, _ := parseDuration(c.Reconcile.PollInterval)
	return d
}
