// Package bpf holds nscope's BPF iterator programs: C sources compiled
// with CO-RE (field offsets relocated to the running kernel's BTF when
// they load) and the Go loaders bpf2go generates for them. The objects
// are committed, so building nscope needs no compiler; after changing a
// .bpf.c file or records.h, run "make generate" (or go generate
// ./inspect/...) with clang, llvm-strip and libbpf's headers installed
// (Debian: clang llvm libbpf-dev), and commit the result.
// clang-version.txt names the compiler that built them: the same
// sources give the same bytes with the same clang, and
// TestGeneratedObjectsAreCurrent, where that clang is installed, fails
// when the committed files are not what the sources give.
//
// tasks.bpf.c has the task iterators (5.8+), procs.bpf.c the sleepable
// process iterator (5.18+), counters.bpf.c the counter refresh's task
// walk (6.7+) and iterator (5.14+); records.h declares what they write, and the Go
// types for it are generated from there; rss.h is C the last two share.
// vmlinux.h declares only the kernel types they use (see vmlinux.sh).
package bpf

//go:generate sh -c "clang --version | head -n 1 >clang-version.txt"
//go:generate go tool bpf2go -cc clang -target bpfel -go-package bpf -type task_record -type file_record -type css_record -type ns_slot -type task_limits -type task_flags Tasks tasks.bpf.c -- -Wall -Werror -mcpu=v3
//go:generate go tool bpf2go -cc clang -target bpfel -go-package bpf -type proc_thread_record -type proc_leader_record -type proc_kind -type proc_limits Procs procs.bpf.c -- -Wall -Werror -mcpu=v3
//go:generate go tool bpf2go -cc clang -target bpfel -go-package bpf -type counter_record -type counter_limits Counters counters.bpf.c -- -Wall -Werror -mcpu=v3
