package events

// The BPF object is generated from bpf/procevents.bpf.c and committed, so
// building nscope needs no compiler; run `go generate ./inspect/events`
// after changing the C (needs clang and libbpf-dev).
//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -tags linux -target bpfel -type event -type exec_event -type rename_event -type uid_event -type attach_event procEvents bpf/procevents.bpf.c -- -O2 -g -Wall -Werror -I/usr/include/x86_64-linux-gnu
