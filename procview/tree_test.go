package procview

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// render draws rows as the TUI's name column does: guides, a marker for
// collapsed items, the item and "(ctx)" for context rows.
func render(rows []Row) string {
	var b strings.Builder
	for i := range rows {
		r := &rows[i]
		b.WriteString(r.TreePrefix(0))
		switch {
		case r.HasChildren && !r.Expanded:
			b.WriteString("+")
		}
		switch {
		case r.Namespace != nil:
			fmt.Fprintf(&b, "%s %s", r.Namespace.Type, r.Namespace.ID)
		case r.Process != nil:
			fmt.Fprintf(&b, "%s %d", r.Process.Comm, r.Process.PID)
		case r.Cgroup != nil:
			b.WriteString(r.Cgroup.Path)
		}
		if r.Context {
			b.WriteString(" (ctx)")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestNamespaceRows(t *testing.T) {
	ix := NewIndex(testHost(t, t0, 1), nil)
	tests := []struct {
		name string
		opt  TreeOptions
		want string
	}{
		{
			name: "tree: user namespaces own the rest, pid namespaces nest",
			opt:  TreeOptions{Sort: SortName},
			want: `user 4026531837
├─user 4026532400
│ └─pid 4026532401
├─mnt 4026531841
├─mnt 4026532199
├─pid 4026531836
│ └─pid 4026532201
├─net 4026531840
├─net 4026532204
└─net 4026532300
`,
		},
		{
			name: "filter by holder name keeps ancestors as context",
			opt:  TreeOptions{Sort: SortName, Filter: ParseFilter("blue")},
			want: `user 4026531837 (ctx)
└─net 4026532300
`,
		},
		{
			name: "filter by PID finds the namespaces of that process",
			opt:  TreeOptions{Sort: SortName, Filter: ParseFilter("202")},
			want: `user 4026531837
├─mnt 4026532199
├─pid 4026531836 (ctx)
│ └─pid 4026532201
└─net 4026532204
`,
		},
		{
			name: "filter by namespace ID tail",
			opt:  TreeOptions{Sort: SortName, Filter: ParseFilter("net:[4026532204]")},
			want: `user 4026531837 (ctx)
└─net 4026532204
`,
		},
		{
			name: "collapsed user namespace hides what it owns",
			opt:  TreeOptions{Sort: SortName, Expansion: Expansion{NamespaceKey(userCtr): false}},
			want: `user 4026531837
├─+user 4026532400
├─mnt 4026531841
├─mnt 4026532199
├─pid 4026531836
│ └─pid 4026532201
├─net 4026531840
├─net 4026532204
└─net 4026532300
`,
		},
		{
			name: "flat by name",
			opt:  TreeOptions{Flat: true, Sort: SortName, Filter: ParseFilter("net")},
			want: `net 4026531840
net 4026532204
net 4026532300
`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, render(ix.NamespaceRows(tc.opt))); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProcessRows(t *testing.T) {
	prev := testHost(t, t0, 1_000_000)
	cur := testHost(t, t0.Add(2*time.Second), 2_000_000)
	ix := NewIndex(cur, ComputeRates(prev, cur))
	tests := []struct {
		name string
		opt  TreeOptions
		want string
	}{
		{
			name: "tree by PID, kernel threads collapsed",
			opt:  TreeOptions{Sort: SortPID},
			want: `init 1
├─dockerd 100
│ └─nginx 201
│   └─nginx 202
└─bwrap 300
+kthreadd 2
`,
		},
		{
			name: "opened kthreadd",
			opt:  TreeOptions{Sort: SortPID, Expansion: Expansion{ProcessKey(cur.Process(2)): true}},
			want: `init 1
├─dockerd 100
│ └─nginx 201
│   └─nginx 202
└─bwrap 300
kthreadd 2
└─kworker/0:1 3
`,
		},
		{
			name: "tree by CPU orders siblings and roots",
			opt:  TreeOptions{Sort: SortCPU},
			want: `+kthreadd 2
init 1
├─bwrap 300
└─dockerd 100
  └─nginx 201
    └─nginx 202
`,
		},
		{
			name: "filter opens collapsed items and keeps context",
			opt:  TreeOptions{Sort: SortPID, Filter: ParseFilter("kworker"), Expansion: Expansion{}},
			want: `kthreadd 2 (ctx)
└─kworker/0:1 3
`,
		},
		{
			name: "filter by container name",
			opt:  TreeOptions{Sort: SortPID, Filter: ParseFilter("docker:3f4e")},
			want: `init 1 (ctx)
└─dockerd 100 (ctx)
  └─nginx 201
    └─nginx 202
`,
		},
		{
			name: "flat by CPU",
			opt:  TreeOptions{Flat: true, Sort: SortCPU},
			want: "nginx 202\nbwrap 300\nnginx 201\nkworker/0:1 3\nkthreadd 2\ndockerd 100\ninit 1\n",
		},
		{
			name: "flat by memory",
			opt:  TreeOptions{Flat: true, Sort: SortMemory, Filter: ParseFilter("nginx")},
			want: "nginx 202\nnginx 201\n",
		},
		{
			name: "filter by inner PID",
			opt:  TreeOptions{Flat: true, Filter: ParseFilter("2")},
			want: "kthreadd 2\nnginx 202\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, render(ix.ProcessRows(tc.opt))); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCgroupRows(t *testing.T) {
	prev := testHost(t, t0, 1_000_000)
	cur := testHost(t, t0.Add(2*time.Second), 2_000_000)
	ix := NewIndex(cur, ComputeRates(prev, cur))
	scope := "/system.slice/docker-" + dockerID + ".scope"
	tests := []struct {
		name string
		opt  TreeOptions
		want string
	}{
		{
			name: "tree by name",
			opt:  TreeOptions{Sort: SortName},
			want: "/\n├─/init.scope\n├─/system.slice\n│ ├─" + scope + "\n│ └─/system.slice/docker.service\n└─/user.slice\n",
		},
		{
			name: "tree by CPU",
			opt:  TreeOptions{Sort: SortCPU},
			want: "/\n├─/system.slice\n│ ├─" + scope + "\n│ └─/system.slice/docker.service\n├─/init.scope\n└─/user.slice\n",
		},
		{
			name: "filter by member PID",
			opt:  TreeOptions{Filter: ParseFilter("100")},
			want: "/ (ctx)\n└─/system.slice (ctx)\n  └─/system.slice/docker.service\n",
		},
		{
			name: "flat by memory",
			opt:  TreeOptions{Flat: true, Sort: SortMemory, Filter: ParseFilter("slice")},
			want: scope + "\n/system.slice\n/system.slice/docker.service\n/user.slice\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, render(ix.CgroupRows(tc.opt))); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTreePrefixDepthLimit(t *testing.T) {
	rows := []Row{{Depth: 0}, {Depth: 1}, {Depth: 2}, {Depth: 3}, {Depth: 4}, {Depth: 1}}
	setGuides(rows)
	var got []string
	for i := range rows {
		got = append(got, rows[i].TreePrefix(2))
	}
	want := []string{"", "├─", "│ └─", "  └─", "  └─", "└─"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("prefixes (-want +got):\n%s", diff)
	}
}

func TestAncestors(t *testing.T) {
	ix := NewIndex(testHost(t, t0, 1), nil)
	scope := "/system.slice/docker-" + dockerID + ".scope"
	tests := []struct {
		name string
		key  Key
		want []string
	}{
		{"process", ProcessKey(ix.Snap.Process(202)), []string{"pid:201", "pid:100", "pid:1"}},
		{"nested pid ns", NamespaceKey(pidNest), []string{"ns:4026532400", "ns:4026531837"}},
		{"cgroup", CgroupKey(ix.Snap.Cgroup(0, scope)), []string{"cg:0:/system.slice", "cg:0:/"}},
		{"root", CgroupKey(ix.Snap.Cgroup(0, "/")), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, k := range ix.Ancestors(tc.key) {
				got = append(got, k.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Ancestors(%s) (-want +got):\n%s", tc.key, diff)
			}
		})
	}
}

func TestKeepRowsRedrawsGuides(t *testing.T) {
	// a ─┬ b ── c
	//    └ d
	rows := []Row{{Depth: 0}, {Depth: 1}, {Depth: 2}, {Depth: 1}}
	setGuides(rows)
	if rows[1].Last || !rows[3].Last {
		t.Fatalf("setup: b last=%v, d last=%v", rows[1].Last, rows[3].Last)
	}
	// Dropping d makes b the last child and removes the guide through c.
	kept := KeepRows(rows, func(r *Row) bool { return r != &rows[3] })
	if len(kept) != 3 || !kept[1].Last || kept[2].TreePrefix(0) != "  └─" {
		t.Errorf("after dropping d: b last=%v, c prefix %q; want true and \"  └─\"", kept[1].Last, kept[2].TreePrefix(0))
	}
}
