package main

import (
	"testing"

	"github.com/nscope/nscope/internal/testutil"
)

// TestMain keeps the tests' journal entries out of the machine's journal.
func TestMain(m *testing.M) { testutil.RunIsolated(m) }
