package inspect

import (
	"errors"
	"strings"
	"testing"

	"github.com/nscope/nscope/inspect/runtimes"
)

// resolveHost is testHost plus two Kubernetes pods in namespace prod,
// each with an "api" container, and a podman container named like a
// docker one.
func resolveHost(t *testing.T) *Snapshot {
	snap, res := testHost(true)
	kube := func(id, name, pod, sandbox string, infra bool) runtimes.Record {
		return runtimes.Record{Runtime: runtimes.Containerd, RuntimeNamespace: "k8s.io", ID: id, Name: name, Infra: infra,
			Pod: &runtimes.Pod{Name: pod, Namespace: "prod", UID: "u-" + pod, ID: sandbox}}
	}
	res.Records = append(res.Records,
		kube("aaaa000000000000000000000000000000000000000000000000000000000001", "api-7f9", "api-7f9", "aaaa000000000000000000000000000000000000000000000000000000000001", true),
		kube("aaaa000000000000000000000000000000000000000000000000000000000002", "api", "api-7f9", "aaaa000000000000000000000000000000000000000000000000000000000001", false),
		kube("bbbb000000000000000000000000000000000000000000000000000000000001", "api-8a1", "api-8a1", "bbbb000000000000000000000000000000000000000000000000000000000001", true),
		kube("bbbb000000000000000000000000000000000000000000000000000000000002", "api", "api-8a1", "bbbb000000000000000000000000000000000000000000000000000000000001", false),
		kube("bbbb000000000000000000000000000000000000000000000000000000000003", "sidecar", "api-8a1", "bbbb000000000000000000000000000000000000000000000000000000000001", false),
		runtimes.Record{Runtime: runtimes.Podman, ID: "cccc000000000000000000000000000000000000000000000000000000000001", Name: "web"},
	)
	attachTest(t, snap, res)
	return snap
}

func TestResolveContainer(t *testing.T) {
	snap := resolveHost(t)
	tests := []struct {
		name      string
		query     string
		wantID    string // the container found
		wantAmbig int    // or this many candidates
		wantErr   string // or an error mentioning this
		unknown   bool
		bad       bool
	}{
		{name: "unique name", query: "db", wantID: memberID},
		{name: "name in two runtimes", query: "web", wantAmbig: 3},
		{name: "runtime and name", query: "docker:web", wantID: dockerID1},
		{name: "lxc name", query: "lxc:web", wantID: "web"},
		{name: "alias", query: "machine:box", wantID: "box"},
		{name: "ID prefix", query: "1111", wantID: dockerID1},
		{name: "whole ID", query: dockerID9, wantID: dockerID9},
		{name: "ambiguous ID prefix", query: "aaaa", wantAmbig: 2},
		{name: "a name is no prefix of another name", query: "hostn", unknown: true},
		{name: "runtime ID prefix", query: "podman:3333", wantID: memberID},
		{name: "kubernetes container", query: "pod/prod/api-8a1/api", wantID: "bbbb000000000000000000000000000000000000000000000000000000000002"},
		{name: "kubernetes pod with one app container", query: "pod/prod/api-7f9", wantID: "aaaa000000000000000000000000000000000000000000000000000000000002"},
		{name: "kubernetes pod with two", query: "pod/prod/api-8a1", wantAmbig: 2},
		{name: "same name in two pods", query: "api", wantAmbig: 2, wantErr: "pod/prod/api-7f9/api, pod/prod/api-8a1/api"},
		{name: "k8s runtime", query: "k8s:sidecar", wantID: "bbbb000000000000000000000000000000000000000000000000000000000003"},
		{name: "podman pod container", query: "pod/pod1/db", wantID: memberID},
		{name: "podman pod by ID prefix", query: "pod/5555/db", wantID: memberID},
		{name: "unknown pod", query: "pod/prod/nope", unknown: true},
		{name: "unknown", query: "zzz", unknown: true, wantErr: `no container "zzz" (looked at docker (1), and at cgroup paths)`},
		{name: "unknown runtime prefix is part of the name", query: "foo:bar", unknown: true},
		{name: "empty", query: "", bad: true},
		{name: "control character", query: "we\x1bb", bad: true, wantErr: `"we\x1bb"`},
		{name: "bidi override", query: "web\u202e", bad: true},
		{name: "pod with an empty part", query: "pod//x", bad: true},
		{name: "pod with too many parts", query: "pod/a/b/c/d", bad: true},
		{name: "too long", query: strings.Repeat("a", 600), bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := snap.ResolveContainer(tc.query)
			var amb *AmbiguousContainerError
			var unknown *UnknownContainerError
			switch {
			case tc.wantID != "":
				if err != nil || c.ID != tc.wantID {
					t.Fatalf("ResolveContainer(%q) = %v, %v; want ID %s", tc.query, c, err, tc.wantID)
				}
			case tc.wantAmbig > 0:
				if !errors.As(err, &amb) || len(amb.Candidates) != tc.wantAmbig {
					t.Fatalf("ResolveContainer(%q) = %v, %v; want %d candidates", tc.query, c, err, tc.wantAmbig)
				}
			case tc.unknown:
				if !errors.As(err, &unknown) {
					t.Fatalf("ResolveContainer(%q) = %v, %v; want unknown", tc.query, c, err)
				}
			case tc.bad:
				if !errors.Is(err, ErrBadContainerQuery) {
					t.Fatalf("ResolveContainer(%q) = %v, %v; want a bad query", tc.query, c, err)
				}
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %q does not mention %q", err, tc.wantErr)
			}
		})
	}
}

func TestResolvePodAndPods(t *testing.T) {
	snap := resolveHost(t)
	pods := snap.Pods()
	var names []string
	for _, p := range pods {
		names = append(names, p.Namespace+"/"+p.Name)
	}
	if got := strings.Join(names, " "); got != "/pod1 prod/api-7f9 prod/api-8a1" {
		t.Errorf("pods = %s", got)
	}
	p, err := snap.ResolvePod("pod/prod/api-8a1")
	if err != nil || len(p.Containers) != 3 || !p.Containers[0].Infra || p.UID != "u-api-8a1" {
		t.Errorf("ResolvePod = %+v, %v", p, err)
	}
	p, err = snap.ResolvePod("pod/pod1")
	if err != nil || p.ID != podmanPod || p.Cgroup != "/libpod_parent/"+podmanPod || len(p.Containers) != 2 {
		t.Errorf("ResolvePod(podman) = %+v, %v", p, err)
	}
	if _, err := snap.ResolvePod("pod/pod1/db"); !errors.Is(err, ErrBadContainerQuery) {
		t.Errorf("ResolvePod of a container: %v", err)
	}
	if _, err := snap.ResolvePod("web"); !errors.Is(err, ErrBadContainerQuery) {
		t.Errorf("ResolvePod without pod/: %v", err)
	}
}
