package conflicts_test

import (
	"testing"

	"github.com/syncd/syncd/internal/testworld"
)

// TestConflictsNeedNothingOfTheEngine keeps the conflicts room a room of its own:
// neither package conflicts nor its tests may reach package syncer, so the
// tab and the resolutions work through the ports they are given (a
// spreadsheet, the mirrors, the codec) and a change inside the engine
// cannot break `syncd conflicts`.
func TestConflictsNeedNothingOfTheEngine(t *testing.T) {
	testworld.NoDeps(t, "github.com/syncd/syncd/syncer")
}
