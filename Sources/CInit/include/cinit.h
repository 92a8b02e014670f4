// cnc-init's logic in C: it runs between namespace creation and the workload's exec, where
// only syscalls matter (mounts, pivot_root, capabilities, seccomp) and nothing may allocate
// behind our back or start threads.
#ifndef CINIT_H
#define CINIT_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// `cnc-init run CONF` (the container's PID 1) or `cnc-init exec CONF` (the `cnc exec` helper).
/// Returns only on failure, with the exit status to use.
int cinit_main(int argc, char **argv);

/// Writes the BPF program of the default seccomp profile for a capability set (numbers) to
/// `fd`, so containers load it without compiling it again. Returns 0 or a negative errno.
int cinit_seccomp_export(const int *caps, int ncaps, int fd);

/// The names the default profile allows without conditions for a capability set (Docker's
/// list plus the capability-gated ones), for the OCI view of the profile. Returns how many
/// of at most `max` were stored in `out` (static strings).
int cinit_seccomp_allowed(const int *caps, int ncaps, const char **out, int max);

/// Compiles a profile in OCI form (NUL-separated tokens: "default" ACTION ERRNO, then any of
/// "arch" NAME and "rule" ACTION ERRNO NARGS {INDEX VALUE VALUE2 OP}*NARGS NNAMES NAME*NNAMES;
/// ERRNO -1 for the action's default) and writes its BPF program to `fd`. Returns 0, or a
/// negative errno with the reason in `err`.
int cinit_seccomp_export_spec(const char *spec, size_t len, int fd, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
