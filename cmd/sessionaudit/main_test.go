package main

import (
	"os"
	"testing"
)

// TestMain lets a test run the real command as a process: the test binary,
// started again with SESSIONAUDIT_TEST_MAIN=1, is sessionaudit.
func TestMain(m *testing.M) {
	if os.Getenv("SESSIONAUDIT_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}
