package control

import "fmt"

// RawFiles returns the file names the change was given through SetFile:
// Editor.Plan refuses those of the other cgroup version by name. A
// change sent to another host carries them beside its values.
func (l Limits) RawFiles() []string { return append([]string(nil), l.rawFiles...) }

// WithRawFiles returns l with the raw file names of a change received
// from elsewhere (see RawFiles); a name that is not on the allowlist is
// refused.
func (l Limits) WithRawFiles(files []string) (Limits, error) {
	for _, f := range files {
		if fileVersion(f) < 0 {
			return Limits{}, fmt.Errorf("%s: not a file nscope writes: %w", f, ErrNotAllowed)
		}
	}
	l.rawFiles = append([]string(nil), files...)
	return l, nil
}
