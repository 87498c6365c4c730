package status_test

import (
	"testing"

	"github.com/syncd/syncd/internal/testworld"
)

// TestNeedsNothingOfTheEngine keeps the read model a room of its own:
// neither package status nor its tests may reach package syncer, so status
// reads only what the engine recorded (through store) and a change inside
// the engine cannot break `syncd status`.
func TestNeedsNothingOfTheEngine(t *testing.T) {
	testworld.NoDeps(t, "github.com/syncd/syncd/syncer")
}
