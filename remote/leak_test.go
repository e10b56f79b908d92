package remote

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when a goroutine is left behind
// after they finish (a run, a session or a fan-out that did not end).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
