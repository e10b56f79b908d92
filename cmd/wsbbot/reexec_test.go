package main

import (
	"os"
	"testing"
)

// asWsbbot is the variable that makes this test binary run as the wsbbot
// command (see TestMain), so a test can crash a real wsbbot process and a
// benchmark can measure one
// (its own CPU time and memory) apart from the lab it talks to.
const asWsbbot = "WSBBOT_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asWsbbot) == "1" {
		main()
	}
	os.Exit(m.Run())
}
