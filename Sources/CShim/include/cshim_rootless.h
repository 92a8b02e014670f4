// Rootless cnc: an unprivileged user's commands run inside one user namespace (mapped through
// newuidmap/newgidmap from /etc/subuid and /etc/subgid, the user's own id as root) and one mount
// namespace, both kept alive by a pause process, podman's design. C, because joining a user
// namespace needs a single-threaded process: it runs first thing in main, before any Swift
// concurrency (runc's nsenter has the same constraint with Go).
#ifndef CSHIM_ROOTLESS_H
#define CSHIM_ROOTLESS_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Set in the environment of every process that runs inside the rootless namespaces: the
/// user's host uid (so the state root, the limits and `cnc info` know they are rootless).
#define CSHIM_ROOTLESS_ENV "_CNC_ROOTLESS_UID"
/// The runtime directory the namespaces' pause pid lives in ($XDG_RUNTIME_DIR/cnc, else
/// /tmp/cnc-UID): the run root of the default rootless state root.
#define CSHIM_ROOTLESS_RUNDIR_ENV "_CNC_ROOTLESS_RUNDIR"

/// Enters the calling user's rootless namespaces: joins the ones the pause process recorded in
/// RUNDIR/pause.pid holds, else creates them (under RUNDIR/pause.lock). Afterwards the process
/// is uid/gid 0 of that user namespace, in the same working directory, with CSHIM_ROOTLESS_ENV
/// and CSHIM_ROOTLESS_RUNDIR_ENV set. Does nothing when euid is 0 (root, or inside already).
/// Returns 0, or -1 with a message (podman's words where it has them) in `err`.
int cshim_rootless_enter(char *err, size_t errlen);

/// Parses subordinate id ranges (/etc/subuid format: NAME-or-UID:START:COUNT per line) of the
/// user `name` / `uid` from `text`: up to `max` (start, count) pairs into `out`; returns how
/// many there are (only the first `max` are stored).
int cshim_subid_ranges(const char *text, const char *name, uid_t uid, unsigned long out[][2], int max);

#ifdef __cplusplus
}
#endif
#endif
