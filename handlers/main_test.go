package handlers_test

import (
	"github.com/handoff/handoff/internal/testkit"
)

// discardLogger writes nothing.
var discardLogger = testkit.Quiet
