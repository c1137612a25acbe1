package inspect

import (
	"errors"

	"github.com/nscope/nscope/internal/testutil"
)

// ProcIterErr says why the last scan of s did not take stat and cmdline
// from the BPF process iterator, or nil when it did.
func ProcIterErr(s *Scanner) error {
	s.loadBPF()
	if s.bpfIters == nil {
		return s.bpfErr
	}
	s.bpfIters.mu.Lock()
	defer s.bpfIters.mu.Unlock()
	if s.bpfIters.procErr != nil {
		return s.bpfIters.procErr
	}
	return s.bpfIters.procReadErr
}

// ProcRecordsUsed is how many processes the last scan of s took from the
// process iterator.
func ProcRecordsUsed(s *Scanner) int { return int(s.fromRecords.Load()) }

// WithoutProcIter makes s scan as on kernels without sleepable iterators
// (5.8 to 5.17): the task iterators, and /proc for stat and cmdline.
func WithoutProcIter(s *Scanner) {
	s.loadBPF()
	if it := s.bpfIters; it != nil {
		it.mu.Lock()
		defer it.mu.Unlock()
		if it.procs != nil {
			_ = it.procs.Close()
			it.procs, it.procErr = nil, errors.New("turned off by a test")
		}
	}
}

// NewScanner is New, closed when the test ends.
var NewScanner = newScanner

// WaitFor is testutil.WaitFor, under the name the external BPF tests use.
var WaitFor = testutil.WaitFor
