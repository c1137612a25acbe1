// Shared between the nsexec constructor's modes (nsexec.c: enter,
// init.c: init).
#ifndef NSCOPE_NSEXEC_H
#define NSCOPE_NSEXEC_H

// NSEXEC_EXIT_FAILURE is the exit code when the helper failed before the
// command ran (nsexec.ExitFailure on the Go side).
#define NSEXEC_EXIT_FAILURE 125

// nsexec_init runs the init of "nscope run"; it never returns.
void nsexec_init(int argc, char **argv) __attribute__((noreturn));

#endif
