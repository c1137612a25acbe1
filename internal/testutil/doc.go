// Package testutil holds what nscope's tests share: skipping without root
// or a tool, polling for a condition, starting processes that die with the
// test, test cgroups that are removed even when a test fails, and checks
// that a test leaked no file descriptors or goroutines.
//
// It imports nothing of nscope, so that the internal tests of every
// package (inspect, control, tui, ...) can use it.
package testutil
