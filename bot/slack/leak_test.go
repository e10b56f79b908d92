package slack

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when a goroutine is left behind:
// the adapter (slack-go's Socket Mode client, its workers), the poster
// and its pacer, and the fake Slack must all end when they are stopped.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
