package main

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/nscope/nscope/inspect"
)

func TestNSMoreUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"content without json", []string{"ns", "--content"}, "--content goes with --json"},
		{"nesting without tree", []string{"ns", "--nesting"}, "--nesting goes with --tree"},
		{"format without tree", []string{"ns", "--format", "svg"}, "--format goes with --tree"},
		{"unknown format", []string{"ns", "--tree", "--format", "png"}, `--format "png": want text, dot or svg`},
		{"around without a diagram", []string{"ns", "--tree", "--around", "1"}, "--around goes with --format dot or svg"},
		{"around not a number", []string{"ns", "--tree", "--format", "svg", "--around", "x;rm"}, `--around: "x;rm": want a PID`},
		{"around bad type", []string{"ns", "--tree", "--format", "svg", "--around", "bogus:[4026531836]"}, `unknown namespace type "bogus"`},
		{"around nothing there", fixtureArgs("ns", "--tree", "--format", "svg", "--around", "4000000000"), "no namespace 4000000000 on this host"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runInspectCLI(t, tc.args...)
			var usage *usageError
			if !errors.As(err, &usage) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("nscope %s: error %v, want a usage error mentioning %q", strings.Join(tc.args, " "), err, tc.want)
			}
		})
	}
}

// TestNSDiagramOnFixture draws the fixture host: the SVG must be
// well-formed XML with a node per namespace of the default types, and
// Graphviz must accept the DOT.
func TestNSDiagramOnFixture(t *testing.T) {
	svg, _, err := runInspectCLI(t, fixtureArgs("ns", "--tree", "--format", "svg")...)
	if err != nil {
		t.Fatal(err)
	}
	nodes := svgNodes(t, svg)
	list, _, err := runInspectCLI(t, fixtureArgs("ns", "--json", "--type", "user,pid,net")...)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Namespaces []jsonNS }
	if err := json.Unmarshal([]byte(list), &doc); err != nil {
		t.Fatal(err)
	}
	for _, n := range doc.Namespaces {
		if !hasNodeFor(nodes, n.ID.Ino) {
			t.Errorf("the SVG has no node for %s %d", n.Type, n.ID.Ino)
		}
	}
	if _, err := exec.LookPath("dot"); err != nil {
		t.Skip("needs Graphviz's dot (make deps installs graphviz as root)")
	}
	dot, _, err := runInspectCLI(t, fixtureArgs("ns", "--tree", "--format", "dot", "--type", "pid")...)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dot", "-Tsvg")
	cmd.Stdin = strings.NewReader(dot)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("dot -Tsvg: %v\n%.300s", err, out)
	}
}

// svgNodes returns the IDs of the node groups of an SVG, failing on
// malformed XML.
func svgNodes(t *testing.T, svg string) map[string]bool {
	t.Helper()
	var doc struct {
		Groups []struct {
			Groups []struct {
				Class string `xml:"class,attr"`
				ID    string `xml:"id,attr"`
				From  string `xml:"data-from,attr"`
				To    string `xml:"data-to,attr"`
			} `xml:"g"`
		} `xml:"g"`
	}
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
		t.Fatalf("SVG: %v\n%.300s", err, svg)
	}
	out := map[string]bool{}
	for _, g := range doc.Groups {
		for _, n := range g.Groups {
			switch {
			case strings.HasPrefix(n.Class, "node "):
				out[n.ID] = true
			case strings.HasPrefix(n.Class, "edge "):
				out[strings.TrimPrefix(n.Class, "edge ")+" "+n.From+" "+n.To] = true
			}
		}
	}
	return out
}

func hasNodeFor(nodes map[string]bool, ino uint64) bool {
	for id := range nodes {
		if strings.HasPrefix(id, "ns-") && strings.HasSuffix(id, fmt.Sprintf("-%d", ino)) {
			return true
		}
	}
	return false
}

// TestNSDiagramLiveVeth joins two named network namespaces with a veth
// pair and checks the SVG of the neighbourhood of one draws the veth edge
// to the other, found through the namespaces' own netlink.
func TestNSDiagramLiveVeth(t *testing.T) {
	needRootCLI(t)
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip (iproute2)")
	}
	var ids [2]inspect.NSID
	for i, name := range []string{fmt.Sprintf("nscope-dg%d-a", syscall.Getpid()), fmt.Sprintf("nscope-dg%d-b", syscall.Getpid())} {
		if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add: %v %s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "delete", name).Run() })
		var st syscall.Stat_t
		if err := syscall.Stat("/run/netns/"+name, &st); err != nil {
			t.Fatal(err)
		}
		ids[i] = inspect.NSID{Dev: st.Dev, Ino: st.Ino}
		if i == 1 {
			a := fmt.Sprintf("nscope-dg%d-a", syscall.Getpid())
			if out, err := exec.Command("ip", "-n", a, "link", "add", "d0", "type", "veth", "peer", "name", "d1", "netns", name).CombinedOutput(); err != nil {
				t.Fatalf("ip link add: %v %s", err, out)
			}
		}
	}
	svg, _, err := runInspectCLI(t, "ns", "--tree", "--format", "svg", "--around", fmt.Sprintf("net:[%d]", ids[0].Ino))
	if err != nil {
		t.Fatal(err)
	}
	nodes := svgNodes(t, svg)
	a, b := fmt.Sprintf("ns-%d-%d", ids[0].Dev, ids[0].Ino), fmt.Sprintf("ns-%d-%d", ids[1].Dev, ids[1].Ino)
	if !nodes[a] || !nodes[b] || !(nodes["veth "+a+" "+b] || nodes["veth "+b+" "+a]) {
		t.Errorf("the SVG around %s lacks the veth to %s: %v", a, b, nodes)
	}
	if !strings.Contains(svg, "d0 ↔ d1") && !strings.Contains(svg, "d1 ↔ d0") {
		t.Error("the veth edge does not name the interfaces")
	}
}
