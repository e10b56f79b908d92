package slacktest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when a goroutine is left behind:
// the fake's connections, pings and ack timers must end with Close, and
// slack-go's client with its context.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
