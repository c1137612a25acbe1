package diagram

import (
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

var update = flag.Bool("update", false, "rewrite the golden SVG files under testdata/")

func id(ino uint64) inspect.NSID { return inspect.NSID{Dev: 4, Ino: ino} }

// Namespaces of the lab host: the teacher's two levels of
// unshare --user --map-root-user --pid --fork, a pid namespace with many
// processes, and two network namespaces joined by a veth pair, one of
// them named (by whoever ran "ip netns add") with hostile text.
var (
	userHost, pidHost, netHost      = id(4026531837), id(4026531836), id(4026531840)
	userOuter, pidOuter, userInner  = id(4026532500), id(4026532501), id(4026532510)
	pidInner, pidBusy, netA, netB   = id(4026532511), id(4026532520), id(4026532600), id(4026532601)
	hostileName                     = "b</text><script>x</script>\x1b[31m\u202eevil\"\\n"
	labTime                         = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	maxProcessesInTest, busyMembers = 3, 5
)

func labHost(t *testing.T) *inspect.Snapshot {
	t.Helper()
	host := inspect.NSSet{}
	host[inspect.UserNS], host[inspect.PIDNS], host[inspect.NetNS] = userHost, pidHost, netHost
	outer, inner, busy := host, host, host
	outer[inspect.UserNS], outer[inspect.PIDNS] = userOuter, pidOuter
	inner[inspect.UserNS], inner[inspect.PIDNS] = userInner, pidInner
	busy[inspect.PIDNS], busy[inspect.NetNS] = pidBusy, netA
	proc := func(pid, ppid int, comm string, nspid []int, ns inspect.NSSet) inspect.Process {
		return inspect.Process{PID: pid, PPID: ppid, Comm: comm, NSpid: nspid, NS: ns, StartTime: labTime, State: "S"}
	}
	procs := []inspect.Process{
		proc(1, 0, "init", []int{1}, host),
		proc(500, 1, "unshare", []int{500}, func() inspect.NSSet { s := host; s[inspect.UserNS] = userOuter; return s }()),
		proc(501, 500, "unshare", []int{501, 1}, outer),
		proc(502, 501, "sleep", []int{502, 2, 1}, inner),
		proc(700, 1, "sh", []int{700, 1}, busy),
	}
	busyPIDs := []int{700}
	for i := 1; i < busyMembers; i++ {
		procs = append(procs, proc(700+i, 700, "worker\x07", []int{700 + i, 1 + i}, busy))
		busyPIDs = append(busyPIDs, 700+i)
	}
	snap := &inspect.Snapshot{
		SchemaVersion: inspect.SchemaVersion,
		Time:          labTime,
		Host:          inspect.Host{Hostname: "lab", Root: true, InitNS: host},
		CgroupMode:    inspect.CgroupUnified,
		Processes:     procs,
		Namespaces: []inspect.Namespace{
			{ID: userHost, Type: inspect.UserNS, Initial: true, OwnerUID: 0, Members: []int{1, 700}},
			{ID: userOuter, Type: inspect.UserNS, Owner: userHost, Parent: userHost, OwnerUID: 1000, Level: 1, Members: []int{500, 501}},
			{ID: userInner, Type: inspect.UserNS, Owner: userOuter, Parent: userOuter, OwnerUID: 1000, Level: 2, Members: []int{502}},
			{ID: pidHost, Type: inspect.PIDNS, Owner: userHost, Initial: true, OwnerUID: -1, Members: []int{1, 500}},
			{ID: pidOuter, Type: inspect.PIDNS, Owner: userOuter, Parent: pidHost, Level: 1, OwnerUID: -1, Members: []int{501}},
			{ID: pidInner, Type: inspect.PIDNS, Owner: userInner, Parent: pidOuter, Level: 2, OwnerUID: -1, Members: []int{502}},
			{ID: pidBusy, Type: inspect.PIDNS, Owner: userHost, Parent: pidHost, Level: 1, OwnerUID: -1, Members: busyPIDs},
			{ID: netHost, Type: inspect.NetNS, Owner: userHost, Initial: true, OwnerUID: -1, Members: []int{1, 500, 501, 502}},
			{ID: netA, Type: inspect.NetNS, Owner: userHost, OwnerUID: -1, Members: busyPIDs},
			{ID: netB, Type: inspect.NetNS, Owner: userHost, OwnerUID: -1, Holders: []inspect.Holder{{Kind: inspect.HeldByNamedNetns, Name: hostileName, Path: "/run/netns/x"}}},
		},
	}
	var buf bytes.Buffer
	if err := snap.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	out, err := inspect.Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// JSON cannot carry invalid UTF-8; a live scan can.
	out.Process(702).Comm = "worker\xff"
	return out
}

// labVeth is the veth pair between netA and netB, as VethLinks makes it
// from what each namespace's content says.
func labVeth() []VethLink {
	return VethLinks(map[inspect.NSID]*inspect.NetContent{
		netA: {Interfaces: []inspect.NetInterface{{Index: 2, Name: "va0", Kind: "veth", Peer: &inspect.VethPeer{Index: 5, Name: "vb0", NetNS: netB}}}},
		netB: {Interfaces: []inspect.NetInterface{{Index: 5, Name: "vb0", Kind: "veth", Peer: &inspect.VethPeer{Index: 2, Name: "va0", NetNS: netA}}}},
	})
}

func TestVethLinksOncePerPair(t *testing.T) {
	want := []VethLink{{A: netA, B: netB, AName: "va0", BName: "vb0"}}
	if diff := cmp.Diff(want, labVeth()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestBuildMatchesTheSnapshot checks every node and edge against the
// snapshot's parents, owners and members.
func TestBuildMatchesTheSnapshot(t *testing.T) {
	snap := labHost(t)
	g, err := Build(snap, Options{Veth: labVeth(), MaxProcesses: maxProcessesInTest})
	if err != nil {
		t.Fatal(err)
	}
	var nodes []string
	parents := map[string]string{}
	for _, n := range g.Nodes {
		nodes = append(nodes, n.ID)
		parents[n.ID] = n.Parent
	}
	wantNodes := []string{}
	for _, n := range snap.Namespaces {
		if slices.Contains(DefaultTypes, n.Type) {
			wantNodes = append(wantNodes, nsNodeID(n.ID))
		}
	}
	for _, pid := range []int{501, 502, 700, 701, 702} {
		wantNodes = append(wantNodes, procNodeID(pid))
	}
	wantNodes = append(wantNodes, "more-4-4026532520")
	sort.Strings(nodes)
	sort.Strings(wantNodes)
	if diff := cmp.Diff(wantNodes, nodes); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	for _, n := range snap.Namespaces {
		want := ""
		if p := procview.NestingParent(snap, &n); p != nil {
			want = nsNodeID(p.ID)
		}
		if got := parents[nsNodeID(n.ID)]; got != want {
			t.Errorf("%s %s drawn under %q, want %q", n.Type, n.ID, got, want)
		}
	}
	wantEdges := []string{
		"nests ns-4-4026531837 ns-4-4026532500", "nests ns-4-4026532500 ns-4-4026532510",
		"nests ns-4-4026531836 ns-4-4026532501", "nests ns-4-4026532501 ns-4-4026532511", "nests ns-4-4026531836 ns-4-4026532520",
		// Ownership and nesting part for the two pid namespaces of the lab.
		"owns ns-4-4026532500 ns-4-4026532501", "owns ns-4-4026532510 ns-4-4026532511",
		"owns ns-4-4026531837 ns-4-4026531840", "owns ns-4-4026531837 ns-4-4026532600", "owns ns-4-4026531837 ns-4-4026532601",
		"member ns-4-4026532501 proc-501", "member ns-4-4026532511 proc-502",
		"member ns-4-4026532520 proc-700", "member ns-4-4026532520 proc-701", "member ns-4-4026532520 proc-702", "member ns-4-4026532520 more-4-4026532520",
		"veth ns-4-4026532600 ns-4-4026532601",
	}
	var edges []string
	for _, e := range g.Edges {
		edges = append(edges, string(e.Kind)+" "+e.From+" "+e.To)
	}
	sort.Strings(edges)
	sort.Strings(wantEdges)
	if diff := cmp.Diff(wantEdges, edges); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
}

func TestAround(t *testing.T) {
	snap := labHost(t)
	tests := []struct {
		name string
		key  procview.Key
		want []string
	}{
		{"inner pid namespace: its chain, its process and its owner's chain", procview.NamespaceKey(pidInner),
			[]string{"ns-4-4026531836", "ns-4-4026531837", "ns-4-4026532500", "ns-4-4026532501", "ns-4-4026532510", "ns-4-4026532511", "proc-502"}},
		{"a named netns: its owner and its veth peer", procview.NamespaceKey(netB),
			[]string{"ns-4-4026531837", "ns-4-4026532600", "ns-4-4026532601"}},
		{"a host process: drawn under the host pid namespace, with its other namespaces", procview.Key{Kind: procview.KindProcess, PID: 1},
			[]string{"ns-4-4026531836", "ns-4-4026531837", "ns-4-4026531840", "proc-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Build(snap, Options{Veth: labVeth(), Around: &tc.key})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			focus := 0
			for _, n := range g.Nodes {
				got = append(got, n.ID)
				if n.Focus {
					focus++
				}
			}
			sort.Strings(got)
			if diff := cmp.Diff(tc.want, got); diff != "" || focus != 1 {
				t.Errorf("nodes (-want +got):\n%s\n%d focused", diff, focus)
			}
		})
	}
	if _, err := Build(snap, Options{Around: &procview.Key{Kind: procview.KindCgroup}}); err == nil {
		t.Error("a cgroup neighbourhood was drawn")
	}
}

// svgDoc is what the structure test reads back from an SVG.
type svgDoc struct {
	Groups []svgGroup `xml:"g"`
}

type svgGroup struct {
	Class  string     `xml:"class,attr"`
	ID     string     `xml:"id,attr"`
	From   string     `xml:"data-from,attr"`
	To     string     `xml:"data-to,attr"`
	Kind   string     `xml:"data-kind,attr"`
	Groups []svgGroup `xml:"g"`
	Text   []string   `xml:"text>tspan"`
}

// checkSVG parses the SVG with encoding/xml (failing on any malformed
// XML) and compares its nodes and edges with the graph's.
func checkSVG(t *testing.T, g *Graph, svg string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
	}
	var doc svgDoc
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
		t.Fatal(err)
	}
	var nodes, edges []string
	for _, top := range doc.Groups {
		for _, g := range top.Groups {
			switch {
			case strings.HasPrefix(g.Class, "node "):
				nodes = append(nodes, g.ID+" "+strings.TrimPrefix(g.Class, "node ")+" "+strings.Join(g.Text, "|"))
			case strings.HasPrefix(g.Class, "edge "):
				edges = append(edges, g.Kind+" "+g.From+" "+g.To)
			}
		}
	}
	var wantNodes, wantEdges []string
	for _, n := range g.Nodes {
		lines := make([]string, len(n.Lines))
		for i, l := range n.Lines {
			lines[i] = visible(l)
		}
		wantNodes = append(wantNodes, n.ID+" "+n.Kind+" "+strings.Join(lines, "|"))
	}
	for _, e := range g.Edges {
		wantEdges = append(wantEdges, string(e.Kind)+" "+e.From+" "+e.To)
	}
	if diff := cmp.Diff(wantNodes, nodes); diff != "" {
		t.Errorf("SVG nodes (-graph +svg):\n%s", diff)
	}
	if diff := cmp.Diff(wantEdges, edges); diff != "" {
		t.Errorf("SVG edges (-graph +svg):\n%s", diff)
	}
}

// checkDOT lays the DOT out with Graphviz's dot, which fails on any
// syntax error, and checks every node ID made it into dot's output.
func checkDOT(t *testing.T, g *Graph, dot string) {
	t.Helper()
	if _, err := exec.LookPath("dot"); err != nil {
		t.Skip("needs Graphviz's dot (make deps installs graphviz as root)")
	}
	cmd := exec.Command("dot", "-Tsvg")
	cmd.Stdin = strings.NewReader(dot)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("dot -Tsvg: %v\n%s\n%s", err, stderr.String(), dot)
	}
	// dot writes each node as <g class="node ..."><title>ID</title>.
	var laid struct {
		Graph struct {
			Groups []struct {
				Class string `xml:"class,attr"`
				Title string `xml:"title"`
			} `xml:"g"`
		} `xml:"g"`
	}
	dec := xml.NewDecoder(&out)
	dec.Strict = false // dot's output names an external DTD
	if err := dec.Decode(&laid); err != nil {
		t.Fatalf("dot's SVG: %v", err)
	}
	var got, want []string
	for _, n := range laid.Graph.Groups {
		if strings.HasPrefix(n.Class, "node") {
			got = append(got, n.Title)
		}
	}
	for _, n := range g.Nodes {
		want = append(want, n.ID)
	}
	sort.Strings(got)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nodes dot laid out (-graph +dot):\n%s", diff)
	}
}

func TestDOTAndSVG(t *testing.T) {
	g, err := Build(labHost(t), Options{Veth: labVeth(), MaxProcesses: maxProcessesInTest})
	if err != nil {
		t.Fatal(err)
	}
	svg, dot := g.SVG(), g.DOT()
	checkSVG(t, g, svg)
	// Host text cannot break out of its string or element.
	for _, bad := range []string{"\x1b", "\u202e", "\xff", "\x07"} {
		if strings.Contains(svg, bad) || strings.Contains(dot, bad) {
			t.Errorf("%q reached the SVG or DOT unescaped", bad)
		}
	}
	if strings.Contains(svg, "<script") {
		t.Error("a <script> element reached the SVG")
	}
	if !strings.Contains(svg, `netns b&lt;/text&gt;&lt;script&gt;x&lt;/script&gt;\x1b[31m\u202eevil&quot;\n`) || !strings.Contains(svg, `PID 702 worker\xff`) {
		t.Errorf("the hostile netns name is not shown escaped:\n%s", svg)
	}
	checkDOT(t, g, dot)
}

// TestGoldenSVG compares the SVG of the lab host and of the hybrid fixture
// host with the files under testdata/ (go test -update rewrites them).
func TestGoldenSVG(t *testing.T) {
	lab, err := Build(labHost(t), Options{Veth: labVeth(), MaxProcesses: maxProcessesInTest})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..", "testdata", "hybridhost")
	fixture, err := inspect.New(inspect.ProcRoot(filepath.Join(root, "proc")), inspect.SysRoot(filepath.Join(root, "sys")),
		inspect.RunRoot(filepath.Join(root, "run")), inspect.EtcRoot(filepath.Join(root, "etc"))).Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hybrid, err := Build(fixture, Options{Types: inspect.AllNSTypes})
	if err != nil {
		t.Fatal(err)
	}
	for name, g := range map[string]*Graph{"lab.svg": lab, "hybridhost.svg": hybrid} {
		t.Run(name, func(t *testing.T) {
			svg := g.SVG()
			checkSVG(t, g, svg)
			path := filepath.Join("testdata", name)
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(svg), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./procview/diagram -update writes it)", err)
			}
			if diff := cmp.Diff(string(want), svg); diff != "" {
				t.Errorf("SVG differs from %s (-want +got):\n%s", path, diff)
			}
			checkDOT(t, g, g.DOT())
		})
	}
}

func TestVisible(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "sleep", "sleep"},
		{"escape sequence", "a\x1b[2Jb", `a\x1b[2Jb`},
		{"bidi override", "a\u202eb", `a\u202eb`},
		{"invalid UTF-8", "a\xffb", `a\xffb`},
		{"C1 control", "a\u0085b", `a\x85b`},
		{"long", strings.Repeat("x", 60), strings.Repeat("x", 48) + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := visible(tc.in); got != tc.want {
				t.Errorf("visible(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if got := dotString(`a"b\n`); got != `"a\"b\\n"` {
		t.Errorf("dotString = %s", got)
	}
}
