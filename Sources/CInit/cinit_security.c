// Identity and confinement: user/groups from the image, capabilities, no_new_privs, seccomp.
#include "cinit_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <grp.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int cinit_has_cap(const struct cinit_conf *c, int cap) {
    for (int i = 0; i < c->ncaps; i++) if (c->caps[i] == cap) return 1;
    return 0;
}

static int all_digits(const char *s) {
    if (!*s) return 0;
    for (; *s; s++) if (*s < '0' || *s > '9') return 0;
    return 1;
}

/// Resolves "user[:group]" (names or numbers) against the container's /etc/passwd and
/// /etc/group, as Docker does; supplementary groups are the groups that list the user.
/// Appends `g` to the supplementary groups once (at most 64).
static void add_group(gid_t *groups, int *ngroups, gid_t g) {
    for (int i = 0; i < *ngroups; i++) if (groups[i] == g) return;
    if (*ngroups < 64) groups[(*ngroups)++] = g;
}

void cinit_resolve_user(const struct cinit_conf *c, uid_t *uid, gid_t *gid, gid_t *groups, int *ngroups,
                        char *home, size_t homelen) {
    char spec[256] = "0";
    if (c->user && *c->user) snprintf(spec, sizeof spec, "%s", c->user);
    char *group = strchr(spec, ':');
    if (group) *group++ = 0;
    *uid = 0; *gid = 0; *ngroups = 0;
    snprintf(home, homelen, "/");
    char uname[256] = "";
    int found = 0;
    FILE *f = fopen("/etc/passwd", "re");
    if (f) {
        char line[1024];
        while (fgets(line, sizeof line, f)) {
            char *fields[7] = {0};
            int n = 0;
            char *save = NULL;
            line[strcspn(line, "\n")] = 0;
            // strsep keeps empty fields (the password field is often empty).
            char *p = line;
            while (n < 7 && (fields[n] = strsep(&p, ":")) != NULL) n++;
            (void)save;
            if (n < 6) continue;
            if (strcmp(fields[0], spec) == 0 || (all_digits(spec) && strcmp(fields[2], spec) == 0)) {
                *uid = (uid_t)strtoul(fields[2], NULL, 10);
                *gid = (gid_t)strtoul(fields[3], NULL, 10);
                snprintf(home, homelen, "%s", fields[5]);
                snprintf(uname, sizeof uname, "%s", fields[0]);
                found = 1;
                break;
            }
        }
        fclose(f);
    }
    if (!found) {
        if (!all_digits(spec)) cinit_die(125, "unable to find user %s: no matching entries in passwd file", spec);
        *uid = (uid_t)strtoul(spec, NULL, 10);
        *gid = 0;
    }
    f = fopen("/etc/group", "re");
    int group_found = group == NULL;
    int added[32] = {0};
    if (f) {
        char line[4096];
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = 0;
            char *p = line;
            char *name = strsep(&p, ":");
            strsep(&p, ":");
            char *gidtxt = strsep(&p, ":");
            char *members = p;
            if (!name || !gidtxt) continue;
            if (group && (strcmp(name, group) == 0 || (all_digits(group) && strcmp(gidtxt, group) == 0))) {
                *gid = (gid_t)strtoul(gidtxt, NULL, 10);
                group_found = 1;
            }
            for (int i = 0; i < c->ngroup_adds; i++) {
                if (added[i]) continue;
                if (strcmp(name, c->group_adds[i]) == 0 || (all_digits(c->group_adds[i]) && strcmp(gidtxt, c->group_adds[i]) == 0)) {
                    add_group(groups, ngroups, (gid_t)strtoul(gidtxt, NULL, 10));
                    added[i] = 1;
                }
            }
            if (uname[0] && members && *ngroups < 64) {
                char *m;
                while ((m = strsep(&members, ",")) != NULL)
                    if (strcmp(m, uname) == 0) { add_group(groups, ngroups, (gid_t)strtoul(gidtxt, NULL, 10)); break; }
            }
        }
        fclose(f);
    }
    if (!group_found) {
        if (!all_digits(group)) cinit_die(125, "unable to find group %s: no matching entries in group file", group);
        *gid = (gid_t)strtoul(group, NULL, 10);
    }
    for (int i = 0; i < c->ngroup_adds; i++) {
        if (added[i]) continue;
        if (!all_digits(c->group_adds[i])) cinit_die(125, "unable to find group %s: no matching entries in group file", c->group_adds[i]);
        add_group(groups, ngroups, (gid_t)strtoul(c->group_adds[i], NULL, 10));
    }
}

/// Bounding set, then uid/gid, then the capability sets Docker gives: the configured list for
/// root, nothing effective for other users; ambient empty.
void cinit_apply_identity(const struct cinit_conf *c, uid_t uid, gid_t gid, const gid_t *groups, int ngroups) {
    for (int i = 0; i < c->nrlimits; i++) {
        struct rlimit rl = { c->rlimits[i].soft, c->rlimits[i].hard };
        if (setrlimit(c->rlimits[i].resource, &rl) < 0) cinit_die(125, "setrlimit %d: %s", c->rlimits[i].resource, strerror(errno));
    }
    for (int cap = 0; cap < 64; cap++) {
        if (cinit_has_cap(c, cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) cinit_die(125, "drop capability %d: %s", cap, strerror(errno));
    }
    if (setgroups((size_t)ngroups, groups) < 0) cinit_die(125, "setgroups: %s", strerror(errno));
    if (setresgid(gid, gid, gid) < 0) cinit_die(125, "setgid %u: %s", gid, strerror(errno));
    if (setresuid(uid, uid, uid) < 0) cinit_die(125, "setuid %u: %s", uid, strerror(errno));
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    for (int i = 0; i < c->ncaps; i++) {
        int cap = c->caps[i];
        // --privileged means every capability this host lets us hold, not one more.
        if (c->privileged && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1) continue;
        if (uid == 0) {
            data[cap / 32].inheritable |= 1u << (cap % 32);
            data[cap / 32].effective |= 1u << (cap % 32);
            data[cap / 32].permitted |= 1u << (cap % 32);
        }
    }
    if (syscall(SYS_capset, &hdr, data) < 0) cinit_die(125, "capset: %s", strerror(errno));
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (c->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) cinit_die(125, "no_new_privs: %s", strerror(errno));
}

// Docker's default allow-list (moby profiles/seccomp/default.json), unconditional part.
static const char *const allowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset", "chdir", "chmod",
    "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
    "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
    "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
    "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
    "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
    "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl",
    "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
    "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
    "futex_time64", "futex_waitv", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid",
    "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
    "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
    "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid",
    "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32",
    "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel",
    "ioctl", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get",
    "ioprio_set", "io_setup", "io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc",
    "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32",
    "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek",
    "lsetxattr", "lstat", "lstat64", "madvise", "membarrier", "memfd_create", "memfd_secret", "mincore",
    "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect",
    "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
    "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
    "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat",
    "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free",
    "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
    "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead",
    "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
    "remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq",
    "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
    "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
    "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
    "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
    "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop",
    "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
    "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32",
    "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
    "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid", "setsockopt",
    "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt",
    "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall",
    "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync",
    "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
    "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
    "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64",
    "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime",
    "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
    "writev",
    // kernel >= 4.8: ptrace is safe to allow; x86 specifics.
    "process_vm_readv", "process_vm_writev", "ptrace", "arch_prctl", "modify_ldt", NULL,
};

// Syscalls allowed only with a capability (CAP number, names).
static const struct { int cap; const char *names[24]; } by_cap[] = {
    {21 /* SYS_ADMIN */, {"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
        "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl",
        "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2", "unshare", NULL}},
    {2 /* DAC_READ_SEARCH */, {"open_by_handle_at", NULL}},
    {22 /* SYS_BOOT */, {"reboot", NULL}},
    {18 /* SYS_CHROOT */, {"chroot", NULL}},
    {16 /* SYS_MODULE */, {"delete_module", "init_module", "finit_module", NULL}},
    {20 /* SYS_PACCT */, {"acct", NULL}},
    {19 /* SYS_PTRACE */, {"kcmp", "pidfd_getfd", "process_madvise", NULL}},
    {17 /* SYS_RAWIO */, {"iopl", "ioperm", NULL}},
    {25 /* SYS_TIME */, {"settimeofday", "stime", "clock_settime", "clock_settime64", NULL}},
    {26 /* SYS_TTY_CONFIG */, {"vhangup", NULL}},
    {23 /* SYS_NICE */, {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node", NULL}},
    {34 /* SYSLOG */, {"syslog", NULL}},
    {39 /* BPF */, {"bpf", NULL}},
    {38 /* PERFMON */, {"perf_event_open", NULL}},
};

static char profile_error[256];

static int allow(scmp_filter_ctx ctx, const char *name) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) return 0;
    int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    if (r < 0 && r != -EEXIST) { snprintf(profile_error, sizeof profile_error, "seccomp rule for %s: %s", name, strerror(-r)); return r; }
    return 0;
}

static scmp_filter_ctx build_profile(const struct cinit_conf *c);

/// Docker's default profile: EPERM for anything not listed. A precompiled BPF program
/// (`seccompbpf`, cached by the runtime per capability set) skips libseccomp's compile step,
/// which costs milliseconds per container.
void cinit_apply_seccomp(const struct cinit_conf *c) {
    if (c->seccomp && strcmp(c->seccomp, "unconfined") == 0) return;
    // A profile of the user's (--security-opt seccomp=FILE) exists only as its program: never
    // fall back to the default one in its place.
    int custom = c->seccomp && strcmp(c->seccomp, "custom") == 0;
    if (custom && c->seccomp_bpf_len == 0) cinit_die(125, "the container's seccomp profile %s is missing or damaged", c->seccomp_bpf ? c->seccomp_bpf : "(none)");
    if (c->seccomp_bpf_len > 0) {
        size_t n = c->seccomp_bpf_len;
        if (n % sizeof(struct sock_filter) == 0 && n / sizeof(struct sock_filter) <= BPF_MAXINSNS) {
            struct sock_fprog prog = { (unsigned short)(n / sizeof(struct sock_filter)), (struct sock_filter *)c->seccomp_bpf_data };
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) cinit_die(125, "no_new_privs: %s", strerror(errno));
            if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) cinit_die(125, "load the seccomp profile: %s", strerror(errno));
            return;
        }
        if (custom) cinit_die(125, "the container's seccomp profile %s is not a BPF program", c->seccomp_bpf);
    }
    scmp_filter_ctx ctx = build_profile(c);
    if (!ctx) cinit_die(125, "%s", profile_error);
    int r = seccomp_load(ctx);
    if (r < 0) cinit_die(125, "load the seccomp profile: %s", strerror(-r));
    seccomp_release(ctx);
}

int cinit_seccomp_allowed(const int *caps, int ncaps, const char **out, int max) {
    struct cinit_conf c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < ncaps && i < 64; i++) c.caps[c.ncaps++] = caps[i];
    int n = 0;
    for (int i = 0; allowed[i] && n < max; i++) out[n++] = allowed[i];
    for (size_t i = 0; i < sizeof by_cap / sizeof by_cap[0]; i++) {
        if (!cinit_has_cap(&c, by_cap[i].cap)) continue;
        for (int j = 0; by_cap[i].names[j] && n < max; j++) out[n++] = by_cap[i].names[j];
    }
    return n;
}

int cinit_seccomp_export(const int *caps, int ncaps, int fd) {
    struct cinit_conf c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < ncaps && i < 64; i++) c.caps[c.ncaps++] = caps[i];
    scmp_filter_ctx ctx = build_profile(&c);
    if (!ctx) return -1;
    int r = seccomp_export_bpf(ctx, fd);
    seccomp_release(ctx);
    return r;
}

static scmp_filter_ctx build_profile(const struct cinit_conf *c) {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx) { snprintf(profile_error, sizeof profile_error, "seccomp_init failed"); return NULL; }
    // A binary tree of syscall numbers instead of a linear list: the same rules, but the kernel
    // runs (and, when the filter is loaded, emulates per syscall to build its allow cache)
    // log(n) comparisons, not n. Loading Docker's profile drops from ~720 to ~360 us here.
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    seccomp_arch_add(ctx, SCMP_ARCH_X86);
    seccomp_arch_add(ctx, SCMP_ARCH_X32);
    for (int i = 0; allowed[i]; i++) if (allow(ctx, allowed[i]) < 0) { seccomp_release(ctx); return NULL; }
    int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_NE, 40));
    static const unsigned long personas[] = {0, 8, 0x20000, 0x20008, 0xffffffff};
    for (size_t i = 0; r >= 0 && i < sizeof personas / sizeof personas[0]; i++)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_EQ, personas[i]));
    if (r < 0) { snprintf(profile_error, sizeof profile_error, "seccomp argument rules: %s", strerror(-r)); seccomp_release(ctx); return NULL; }
    for (size_t i = 0; i < sizeof by_cap / sizeof by_cap[0]; i++) {
        if (!cinit_has_cap(c, by_cap[i].cap)) continue;
        for (int j = 0; by_cap[i].names[j]; j++) if (allow(ctx, by_cap[i].names[j]) < 0) { seccomp_release(ctx); return NULL; }
    }
    if (!cinit_has_cap(c, 21)) {
        // clone without namespace flags; clone3 says ENOSYS so libcs fall back to clone.
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, 0x7E020000, 0));
        if (r >= 0) r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
        if (r < 0) { snprintf(profile_error, sizeof profile_error, "seccomp clone rules: %s", strerror(-r)); seccomp_release(ctx); return NULL; }
    }
    return ctx;
}

static const char *env_get(char *const *env, const char *key) {
    size_t k = strlen(key);
    for (int i = 0; env[i]; i++) if (strncmp(env[i], key, k) == 0 && env[i][k] == '=') return env[i] + k + 1;
    return NULL;
}

/// Execs argv[0], searched in the container's PATH like execvp. Failures exit 126 (cannot
/// execute) or 127 (not found), as Docker reports them.
void cinit_exec_workload(const struct cinit_conf *c, const char *home) {
    char *env[CINIT_MAX + 4];
    int n = 0;
    for (int i = 0; i < c->nenv; i++) env[n++] = c->env[i];
    static char homevar[4200];
    if (!env_get(c->env, "HOME")) { snprintf(homevar, sizeof homevar, "HOME=%s", home); env[n++] = homevar; }
    env[n] = NULL;
    if (c->nargs == 0) cinit_die(125, "no command specified");
    const char *cmd = c->args[0];
    if (strchr(cmd, '/')) {
        execve(cmd, c->args, env);
        int e = errno;
        // runc's words (Go's exec.LookPath, then execve), which docker passes on.
        if (e == ENOENT) cinit_die(127, "exec: \"%s\": stat %s: no such file or directory", cmd, cmd);
        if (e == EACCES) cinit_die(126, "exec: \"%s\": permission denied", cmd);
        char reason[128];
        snprintf(reason, sizeof reason, "%s", strerror(e));
        if (reason[0] >= 'A' && reason[0] <= 'Z') reason[0] = (char)(reason[0] - 'A' + 'a');
        cinit_die(126, "exec: \"%s\": %s", cmd, reason);
    }
    const char *path = env_get(env, "PATH");
    if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    int saw_eacces = 0;
    char full[4096];
    const char *p = path;
    while (*p) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        snprintf(full, sizeof full, "%.*s/%s", (int)len, len ? p : ".", cmd);
        execve(full, c->args, env);
        if (errno == EACCES) saw_eacces = 1;
        p += len;
        if (*p == ':') p++;
    }
    if (saw_eacces) cinit_die(126, "exec: \"%s\": permission denied", cmd);
    cinit_die(127, "exec: \"%s\": executable file not found in $PATH", cmd);
}
