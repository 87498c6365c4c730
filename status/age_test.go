package status

import (
	"testing"
	"time"
)

func TestAgeUsesTheLargestWholeUnit(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-5 * time.Second, "0s"}, {300 * time.Millisecond, "0s"}, {3 * time.Second, "3s"},
		{59 * time.Second, "59s"}, {90 * time.Second, "1m"}, {2*time.Hour + 59*time.Minute, "2h"},
		{47 * time.Hour, "47h"}, {72 * time.Hour, "3d"},
	} {
		if got := Age(tc.d); got != tc.want {
			t.Errorf("Age(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
