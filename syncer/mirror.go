package syncer

import (
	"github.com/syncd/syncd"
)

// mirror is a resolved mirror as the engine works with it: the vocabulary's
// Mirror with the engine's own methods (reading rows, planning, merging).
type mirror struct{ *syncd.Mirror }
