#ifndef CINIT_INTERNAL_H
#define CINIT_INTERNAL_H
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/types.h>

#define CINIT_MAX 512
/// `run` with a tty: the unix socket the terminal's master is sent through.
#define CINIT_CONSOLE_FD 5

/// The parsed init configuration: a file of NUL-separated tokens, "key" then its fields.
struct cinit_bind { const char *src, *dst, *opts; };
struct cinit_tmpfs { const char *dst, *opts; };
struct cinit_rlimit { int resource; unsigned long long soft, hard; };
struct cinit_sysctl { const char *key, *value; };
struct cinit_device { const char *path; unsigned mode, major, minor, uid, gid; };

struct cinit_conf {
    const char *rootfs, *upper, *work, *hostname, *cwd, *user, *seccomp, *netns, *seccomp_bpf;
    const char *lowers[CINIT_MAX]; int nlowers;
    struct cinit_bind binds[CINIT_MAX]; int nbinds;
    struct cinit_tmpfs tmpfs[CINIT_MAX]; int ntmpfs;
    const char *masks[CINIT_MAX]; int nmasks;
    const char *ropaths[CINIT_MAX]; int nropaths;
    char *env[CINIT_MAX + 4]; int nenv;
    char *args[CINIT_MAX + 1]; int nargs;
    int caps[64]; int ncaps;
    struct cinit_rlimit rlimits[32]; int nrlimits;
    const char *cgroup_procs[32]; int ncgroup_procs;
    struct cinit_sysctl sysctls[64]; int nsysctls;
    /// /sys/fs/cgroup: host cgroup directories bound read-only (name "" on v2: the whole
    /// /sys/fs/cgroup), symlinks for co-mounted controllers, and a private cgroup namespace.
    struct cinit_sysctl cgroup_binds[32]; int ncgroup_binds;
    struct cinit_sysctl cgroup_links[32]; int ncgroup_links;
    int cgroup_unified, cgroupns;
    /// --privileged: /sys and /sys/fs/cgroup stay writable.
    int privileged;
    /// --ipc host: the host's /dev/shm instead of a tmpfs of the container's own.
    int shm_host;
    /// --group-add: more supplementary groups (names from the image's /etc/group, or gids).
    const char *group_adds[32]; int ngroup_adds;
    /// Allocated by cinit_conf_load (a --privileged container lists every host device).
    struct cinit_device *devices; int ndevices, devices_cap;
    /// /dev/shm's size in bytes (0: 64 MiB); oom_score_adj to set (has_oom_score_adj).
    long long shm_size;
    int oom_score_adj, has_oom_score_adj;
    int readonly, tty, init, no_new_privs, target_pid, tmp_upper, loopback;
    /// Mount the overlay with `volatile` (Linux 5.10+): no sync of the upper fs at unmount, for a
    /// container whose upper is discarded after a crash (a build's RUN step).
    int volatile_upper;
    /// In a user namespace of its own (--userns): no mknod, and the root comes ready-made from
    /// the parent as a detached mount at fd `rootfs_fd` (idmapped layers under an overlay).
    int userns, rootfs_fd, seccomp_bpf_fd;
    /// The cached seccomp program, read while the host's paths are still reachable.
    void *seccomp_bpf_data;
    size_t seccomp_bpf_len;
};

int cinit_conf_load(const char *path, struct cinit_conf *c);

/// Fails the container start: writes "<status>\n<message>" to the error fd and exits.
void cinit_die(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
/// The fd that reports setup errors to the parent (closed on exec, so EOF means success).
extern int cinit_error_fd;

int cinit_setup_rootfs(const struct cinit_conf *c);
/// After release (the container is in its cgroups): binds its cgroups at /sys/fs/cgroup, then
/// pivot_root into the container's root.
void cinit_enter_rootfs(const struct cinit_conf *c);
/// The container's /proc/sys, opened (O_PATH) before it is made read-only: sysctls are
/// written through it once the network is attached. -1 without sysctls.
extern int cinit_proc_sys_fd;
int cinit_guard_own_binary(const char *by_path);
int cinit_hold_rootfs(const struct cinit_conf *c, int readonly);
void cinit_resolve_user(const struct cinit_conf *c, uid_t *uid, gid_t *gid, gid_t *groups, int *ngroups, char *home, size_t homelen);
void cinit_apply_identity(const struct cinit_conf *c, uid_t uid, gid_t gid, const gid_t *groups, int ngroups);
void cinit_apply_seccomp(const struct cinit_conf *c);
void cinit_exec_workload(const struct cinit_conf *c, const char *home);
int cinit_has_cap(const struct cinit_conf *c, int cap);
#endif
