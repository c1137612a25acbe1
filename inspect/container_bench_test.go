package inspect

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect/runtimes"
)

// benchContainers is how many docker containers the benchmarks' state
// tree holds: a busy container host.
const benchContainers = 300

// writeContainerTree writes the state docker, containerd and runc keep
// for n containers (copies of the captured fixture under new IDs: five
// files each) under a new directory, with old modification times as on
// a host whose containers have been running a while.
func writeContainerTree(tb testing.TB, n int) string {
	tb.Helper()
	const fixtureID = "9f3aebb03d665703f164b971e69668febc58715038e34290e86398759bba7017"
	src := filepath.Join("runtimes", "testdata", "host")
	files := []string{
		"var/lib/docker/containers/ID/config.v2.json",
		"var/lib/docker/containers/ID/hostconfig.json",
		"run/docker/runtime-runc/moby/ID/state.json",
		"run/containerd/io.containerd.runtime.v2.task/moby/ID/config.json",
		"run/containerd/io.containerd.runtime.v2.task/moby/ID/init.pid",
	}
	dir := tb.TempDir()
	old := time.Now().Add(-time.Hour)
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(src, replaceID(f, fixtureID)))
		if err != nil {
			tb.Fatal(err)
		}
		for i := range n {
			id := fmt.Sprintf("%016x%016x%016x%016x", i+1, i+1, i+1, i+1)
			path := filepath.Join(dir, replaceID(f, id))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				tb.Fatal(err)
			}
			if err := os.WriteFile(path, bytes.ReplaceAll(data, []byte(fixtureID), []byte(id)), 0o644); err != nil {
				tb.Fatal(err)
			}
			for d := path; d != dir; d = filepath.Dir(d) {
				if err := os.Chtimes(d, old, old); err != nil {
					tb.Fatal(err)
				}
			}
		}
	}
	return dir
}

func replaceID(path, id string) string {
	return string(bytes.ReplaceAll([]byte(path), []byte("/ID/"), []byte("/"+id+"/")))
}

// BenchmarkDiscoverContainers measures reading 300 containers' state:
// cold (every file read and parsed, as on nscope's first scan) and warm
// (what every refresh after it costs: a stat per file).
func BenchmarkDiscoverContainers(b *testing.B) {
	dir := writeContainerTree(b, benchContainers)
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res := runtimes.NewDiscoverer(dir).Discover()
			if len(res.Records) != benchContainers {
				b.Fatalf("%d containers", len(res.Records))
			}
		}
	})
	b.Run("warm", func(b *testing.B) {
		d := runtimes.NewDiscoverer(dir)
		d.Discover()
		b.ReportAllocs()
		cpu0, n := cpuTime(), 0
		for b.Loop() {
			res := d.Discover()
			if len(res.Records) != benchContainers || res.Reads != 0 {
				b.Fatalf("%d containers, %d files read", len(res.Records), res.Reads)
			}
			n++
		}
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(n), "cpu-ms/op")
		b.ReportMetric(float64(d.Discover().Stats), "stats/op")
	})
}

// BenchmarkScanContainers measures a full scan of this host with 300
// containers' state to discover and match (their processes are not
// running: the match still looks for each), against the same scan with
// discovery off. The difference is what discovery adds to a refresh.
func BenchmarkScanContainers(b *testing.B) {
	dir := writeContainerTree(b, benchContainers)
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		opts []Option
	}{
		{"off", []Option{WithContainers(false)}},
		{"300", []Option{ContainerRoot(dir)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := New(bc.opts...)
			if _, err := s.Scan(ctx); err != nil { // the cold read is not a refresh
				b.Fatal(err)
			}
			// CPU time besides wall time: the machine the benchmarks run on
			// may be shared, and discovery runs beside the /proc walk.
			cpu0 := cpuTime()
			n := 0
			for b.Loop() {
				snap, err := s.Scan(ctx)
				if err != nil {
					b.Fatal(err)
				}
				n++
				b.ReportMetric(float64(len(snap.Containers)), "containers")
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(n), "cpu-ms/op")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAttachContainers measures matching 300 running containers to
// a snapshot: their inits, cgroups, processes and namespaces.
func BenchmarkAttachContainers(b *testing.B) {
	s := New()
	for b.Loop() {
		b.StopTimer()
		snap, res := manyContainersHost(benchContainers)
		b.StartTimer()
		s.attachContainers(snap, res, &unreadableCounter{})
		if len(snap.Containers) != benchContainers {
			b.Fatalf("%d containers", len(snap.Containers))
		}
	}
}

// manyContainersHost is a hand-built host with n running docker
// containers of three processes each, beside 1,000 host processes.
func manyContainersHost(n int) (*Snapshot, runtimes.Result) {
	hb := newHostBuilder()
	hb.proc(1, 0, 1, "/sbin/init", "/", nil)
	for i := range 1000 {
		hb.proc(10+i, 1, uint64(10+i), "worker", "/system.slice/app.service", nil)
	}
	var res runtimes.Result
	for i := range n {
		id := fmt.Sprintf("%064x", i+1)
		pid := 5000 + 10*i
		ns := map[NSType]uint64{MntNS: uint64(1000*i + 101), PIDNS: uint64(1000*i + 102), NetNS: uint64(1000*i + 103)}
		hb.proc(pid-1, 1, uint64(pid), "containerd-shim-runc-v2", "/", nil)
		hb.proc(pid, pid-1, uint64(pid), "nginx", "/docker/"+id, ns, 1)
		hb.proc(pid+1, pid, uint64(pid), "nginx", "/docker/"+id, ns, 2)
		hb.proc(pid+2, pid, uint64(pid), "nginx", "/docker/"+id, ns, 3)
		res.Records = append(res.Records, runtimes.Record{Runtime: runtimes.Docker, ID: id, Name: fmt.Sprintf("web-%d", i), State: "running", PID: pid})
	}
	return hb.finish(), res
}
