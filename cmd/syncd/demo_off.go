//go:build !demo

package main

import (
	"context"
	"errors"
)

// demoSummary is the demo's line in syncd's usage.
const demoSummary = "not in this build (make demo builds it): throwaway Postgres + Sheets emulator + example data"

// errNoDemo is `syncd demo` in the release build, which leaves the Sheets
// emulator and the throwaway cluster out of the binary.
var errNoDemo = errors.New("this syncd was built without the demo; build it with `make demo` (go build -tags demo)")

func (m *Main) demo(_ context.Context, args []string) error {
	if _, err := m.parseDemoFlags(args); err != nil {
		return err
	}
	return withCode(exitUsage, errNoDemo)
}
