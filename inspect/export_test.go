package inspect

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
