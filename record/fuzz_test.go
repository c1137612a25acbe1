package record

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
)

// tinyScene is a history of a host with two processes, a namespace and a
// cgroup: seeds small enough for the fuzzer to mutate and minimize fast.
func tinyScene(t testing.TB) []*inspect.Snapshot {
	ns := inspect.NSID{Dev: 4, Ino: 4026531840}
	s := &inspect.Snapshot{SchemaVersion: inspect.SchemaVersion, Time: time.Unix(1700000000, 0).UTC(),
		Hierarchies: []inspect.Hierarchy{{ID: 0, Version: 2, Mount: "/sys/fs/cgroup"}},
		Processes: []inspect.Process{{PID: 1, Comm: "init", State: "S", NSpid: []int{1}, Cgroups: []inspect.ProcCgroup{{Path: "/"}}},
			{PID: 2, PPID: 1, Comm: "sh", State: "R", NSpid: []int{2}}},
		Namespaces: []inspect.Namespace{{ID: ns, Type: inspect.NetNS, Members: []int{1, 2}}},
		Cgroups:    []inspect.Cgroup{{Path: "/", Procs: []int{1}, Usage: inspect.Usage{CPUUsageUS: i64(5)}}},
	}
	for i := range s.Processes {
		s.Processes[i].NS[inspect.NetNS] = ns
	}
	s.Reindex()
	out := []*inspect.Snapshot{s}
	for i := 1; i < 4; i++ {
		out = append(out, next(t, out[i-1], time.Second, func(s *inspect.Snapshot) {
			s.Processes[len(s.Processes)-1].UTimeUS += 10000
			s.Cgroups[0].Usage.CPUUsageUS = i64(int64(i * 1000))
			if i == 2 {
				s.Processes = s.Processes[:1]
				s.Namespaces[0].Members = []int{1}
			}
		}))
	}
	return out
}

// seedSegment returns the bytes of a small real segment and its index.
func seedSegment(f *testing.F) (seg, idx []byte) {
	dir := f.TempDir()
	record(f, dir, Options{FullEvery: 3 * time.Second}, tinyScene(f))
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	idxs, _ := filepath.Glob(filepath.Join(dir, "*"+indexExt))
	seg, err := os.ReadFile(segs[0])
	if err != nil {
		f.Fatal(err)
	}
	idx, err = os.ReadFile(idxs[0])
	if err != nil {
		f.Fatal(err)
	}
	return seg, idx
}

// FuzzSegment feeds arbitrary bytes to the reader as a segment: scanning,
// decoding every record it accepts and replaying the deltas must never
// panic, and memory stays bounded by the record caps.
func FuzzSegment(f *testing.F) {
	seg, _ := seedSegment(f)
	f.Add(seg)
	f.Add(seg[:len(seg)-7])
	f.Add(seg[:fileHeaderSize+headerSize+3])
	f.Add([]byte("NSCOPREC\x01\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if parseFileHeader(data) != nil {
			return
		}
		r := bytes.NewReader(data)
		ents, _ := scanRecords(r, int64(len(data)), fileHeaderSize, 0)
		var st *state
		for _, e := range ents {
			_, raw, err := readRecord(r, e, int64(len(data)))
			if err != nil {
				t.Fatalf("a record the scan accepted does not read: %v", err)
			}
			switch e.Kind {
			case KindMeta:
				_, _ = decodeMeta(raw)
			case KindFull:
				if snap, _, err := decodeFull(raw); err == nil {
					st = newState(snap)
				}
			case KindDelta:
				d, err := decodeDelta(raw)
				if err == nil && st != nil {
					if st.apply(d) != nil {
						st = nil
					}
				}
			}
			if st != nil {
				_ = st.snapshot()
			}
		}
	})
}

// FuzzIndex feeds arbitrary bytes to the index parser.
func FuzzIndex(f *testing.F) {
	seg, idx := seedSegment(f)
	f.Add(idx, int64(len(seg)))
	f.Add(idx[:len(idx)-5], int64(len(seg)))
	f.Add(idx, int64(100))
	f.Fuzz(func(t *testing.T, data []byte, segSize int64) {
		ents, _ := parseIndex(data, segSize)
		next := int64(fileHeaderSize)
		for _, e := range ents {
			if e.offset != next || e.offset+e.size > segSize {
				t.Fatalf("entry %+v accepted outside the segment or out of order", e)
			}
			next = e.offset + e.size
		}
	})
}
