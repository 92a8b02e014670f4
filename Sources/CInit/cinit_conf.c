#include "cinit_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

int cinit_error_fd = -1;

void cinit_die(int status, const char *fmt, ...) {
    char msg[2048];
    int n = snprintf(msg, sizeof msg, "%d\n", status);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    if (cinit_error_fd >= 0) {
        ssize_t w = write(cinit_error_fd, msg, strlen(msg));
        (void)w;
    } else {
        dprintf(2, "cnc-init: %s\n", msg + n);
    }
    _exit(status);
}

static int rlimit_resource(const char *name) {
    static const struct { const char *n; int r; } t[] = {
        {"core", RLIMIT_CORE}, {"cpu", RLIMIT_CPU}, {"data", RLIMIT_DATA}, {"fsize", RLIMIT_FSIZE},
        {"locks", RLIMIT_LOCKS}, {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE},
        {"nice", RLIMIT_NICE}, {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC}, {"rss", RLIMIT_RSS},
        {"rtprio", RLIMIT_RTPRIO}, {"rttime", RLIMIT_RTTIME}, {"sigpending", RLIMIT_SIGPENDING},
        {"stack", RLIMIT_STACK}, {"as", RLIMIT_AS},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) if (strcmp(t[i].n, name) == 0) return t[i].r;
    return -1;
}

// A whole file from an open descriptor, NUL-terminated, kept for the process's life.
static char *read_whole(int fd, const char *path, size_t *size) {
    struct stat st;
    if (fstat(fd, &st) < 0) cinit_die(125, "stat %s: %s", path, strerror(errno));
    *size = (size_t)st.st_size;
    char *buf = malloc(*size + 1);
    if (!buf) cinit_die(125, "out of memory");
    size_t off = 0;
    while (off < *size) {
        ssize_t n = read(fd, buf + off, *size - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) cinit_die(125, "read %s: %s", path, n < 0 ? strerror(errno) : "short file");
        off += (size_t)n;
    }
    close(fd);
    buf[*size] = 0;
    return buf;
}

// The sealed variables (`envfile`): NUL-separated "env" "K=V" pairs on a tmpfs, kept in
// memory for the process's life like the configuration itself. Gone after a reboot (tmpfs).
static void load_env_file(const char *path, struct cinit_conf *c) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        cinit_die(125, "the container's secrets (%s) are gone: %s; they are kept on a tmpfs only, so after a reboot re-create the container (cncapply apply)",
                  path, strerror(errno));
    size_t size;
    char *buf = read_whole(fd, path, &size);
    // Tokens alternate: "env", then the entry.
    for (size_t i = 0, start = 0, nth = 0; i < size; i++) {
        if (buf[i] != 0) continue;
        if (nth++ % 2 == 1) {
            if (c->nenv >= CINIT_MAX) cinit_die(125, "%s: too many variables", path);
            c->env[c->nenv++] = buf + start;
        }
        start = i + 1;
    }
}

// The whole file stays in memory for the process's life; entries point into it.
int cinit_conf_load(const char *path, struct cinit_conf *c) {
    memset(c, 0, sizeof *c);
    c->target_pid = -1;
    c->rootfs_fd = -1;
    c->seccomp_bpf_fd = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) cinit_die(125, "open %s: %s", path, strerror(errno));
    size_t size;
    char *buf = read_whole(fd, path, &size);
    // Every token, however many (a --privileged container lists each host device).
    size_t count = 0;
    for (size_t i = 0; i < size; i++) if (buf[i] == 0) count++;
    char **tok = malloc((count + 1) * sizeof *tok);
    if (!tok) cinit_die(125, "out of memory");
    int ntok = 0;
    for (size_t i = 0, start = 0; i < size; i++) {
        if (buf[i] == 0) { tok[ntok++] = buf + start; start = i + 1; }
    }
#define NEED(k) do { if (i + (k) >= ntok) cinit_die(125, "config %s: %s needs %d values", path, key, k); } while (0)
#define ADD(arr, n, v) do { if ((n) >= CINIT_MAX) cinit_die(125, "config %s: too many %s", path, key); (arr)[(n)++] = (v); } while (0)
    for (int i = 0; i < ntok; i++) {
        const char *key = tok[i];
        if (!strcmp(key, "rootfs")) { NEED(1); c->rootfs = tok[++i]; }
        else if (!strcmp(key, "lower")) { NEED(1); ADD(c->lowers, c->nlowers, tok[++i]); }
        else if (!strcmp(key, "upper")) { NEED(1); c->upper = tok[++i]; }
        else if (!strcmp(key, "work")) { NEED(1); c->work = tok[++i]; }
        else if (!strcmp(key, "hostname")) { NEED(1); c->hostname = tok[++i]; }
        else if (!strcmp(key, "cwd")) { NEED(1); c->cwd = tok[++i]; }
        else if (!strcmp(key, "user")) { NEED(1); c->user = tok[++i]; }
        else if (!strcmp(key, "seccomp")) { NEED(1); c->seccomp = tok[++i]; }
        else if (!strcmp(key, "seccompbpf")) { NEED(1); c->seccomp_bpf = tok[++i]; }
        else if (!strcmp(key, "netns")) { NEED(1); c->netns = tok[++i]; }
        else if (!strcmp(key, "readonly")) { NEED(1); c->readonly = atoi(tok[++i]); }
        else if (!strcmp(key, "loopback")) { NEED(1); c->loopback = atoi(tok[++i]); }
        else if (!strcmp(key, "tmpupper")) { NEED(1); c->tmp_upper = atoi(tok[++i]); }
        else if (!strcmp(key, "volatile")) { NEED(1); c->volatile_upper = atoi(tok[++i]); }
        else if (!strcmp(key, "userns")) { NEED(1); c->userns = atoi(tok[++i]); }
        else if (!strcmp(key, "rootfsfd")) { NEED(1); c->rootfs_fd = atoi(tok[++i]); }
        else if (!strcmp(key, "seccompbpffd")) { NEED(1); c->seccomp_bpf_fd = atoi(tok[++i]); }
        else if (!strcmp(key, "tty")) { NEED(1); c->tty = atoi(tok[++i]); }
        else if (!strcmp(key, "init")) { NEED(1); c->init = atoi(tok[++i]); }
        else if (!strcmp(key, "nonewprivs")) { NEED(1); c->no_new_privs = atoi(tok[++i]); }
        else if (!strcmp(key, "target")) { NEED(1); c->target_pid = atoi(tok[++i]); }
        else if (!strcmp(key, "mask")) { NEED(1); ADD(c->masks, c->nmasks, tok[++i]); }
        else if (!strcmp(key, "ropath")) { NEED(1); ADD(c->ropaths, c->nropaths, tok[++i]); }
        else if (!strcmp(key, "env")) { NEED(1); ADD(c->env, c->nenv, tok[++i]); }
        else if (!strcmp(key, "arg")) { NEED(1); ADD(c->args, c->nargs, tok[++i]); }
        else if (!strcmp(key, "envfile")) { NEED(1); load_env_file(tok[++i], c); }
        else if (!strcmp(key, "cap")) {
            NEED(1);
            int cap = atoi(tok[++i]);
            if (c->ncaps < 64 && cap >= 0 && cap < 64) c->caps[c->ncaps++] = cap;
        }
        else if (!strcmp(key, "cgroupprocs")) {
            NEED(1);
            if (c->ncgroup_procs < 32) c->cgroup_procs[c->ncgroup_procs++] = tok[++i];
        }
        else if (!strcmp(key, "bind")) {
            NEED(3);
            if (c->nbinds >= CINIT_MAX) cinit_die(125, "too many binds");
            c->binds[c->nbinds++] = (struct cinit_bind){ tok[i + 1], tok[i + 2], tok[i + 3] };
            i += 3;
        }
        else if (!strcmp(key, "tmpfs")) {
            NEED(2);
            if (c->ntmpfs >= CINIT_MAX) cinit_die(125, "too many tmpfs");
            c->tmpfs[c->ntmpfs++] = (struct cinit_tmpfs){ tok[i + 1], tok[i + 2] };
            i += 2;
        }
        else if (!strcmp(key, "sysctl")) {
            NEED(2);
            if (c->nsysctls >= 64) cinit_die(125, "too many sysctls");
            c->sysctls[c->nsysctls++] = (struct cinit_sysctl){ tok[i + 1], tok[i + 2] };
            i += 2;
        }
        else if (!strcmp(key, "device")) {
            NEED(6);
            if (c->ndevices == c->devices_cap) {
                c->devices_cap = c->devices_cap ? c->devices_cap * 2 : 16;
                c->devices = realloc(c->devices, (size_t)c->devices_cap * sizeof *c->devices);
                if (!c->devices) cinit_die(125, "out of memory");
            }
            c->devices[c->ndevices++] = (struct cinit_device){ tok[i + 1], (unsigned)strtoul(tok[i + 2], NULL, 10),
                (unsigned)strtoul(tok[i + 3], NULL, 10), (unsigned)strtoul(tok[i + 4], NULL, 10),
                (unsigned)strtoul(tok[i + 5], NULL, 10), (unsigned)strtoul(tok[i + 6], NULL, 10) };
            i += 6;
        }
        else if (!strcmp(key, "cgroupbind")) {
            NEED(2);
            if (c->ncgroup_binds >= 32) cinit_die(125, "too many cgroup hierarchies");
            c->cgroup_binds[c->ncgroup_binds++] = (struct cinit_sysctl){ tok[i + 1], tok[i + 2] };
            i += 2;
        }
        else if (!strcmp(key, "cgrouplink")) {
            NEED(2);
            if (c->ncgroup_links >= 32) cinit_die(125, "too many cgroup links");
            c->cgroup_links[c->ncgroup_links++] = (struct cinit_sysctl){ tok[i + 1], tok[i + 2] };
            i += 2;
        }
        else if (!strcmp(key, "cgroupunified")) { NEED(1); c->cgroup_unified = atoi(tok[++i]); }
        else if (!strcmp(key, "cgroupns")) { NEED(1); c->cgroupns = atoi(tok[++i]); }
        else if (!strcmp(key, "privileged")) { NEED(1); c->privileged = atoi(tok[++i]); }
        else if (!strcmp(key, "shmhost")) { NEED(1); c->shm_host = atoi(tok[++i]); }
        else if (!strcmp(key, "groupadd")) {
            NEED(1);
            if (c->ngroup_adds >= 32) cinit_die(125, "too many --group-add groups (at most 32)");
            c->group_adds[c->ngroup_adds++] = tok[++i];
        }
        else if (!strcmp(key, "shmsize")) { NEED(1); c->shm_size = strtoll(tok[++i], NULL, 10); }
        else if (!strcmp(key, "oomscoreadj")) { NEED(1); c->oom_score_adj = atoi(tok[++i]); c->has_oom_score_adj = 1; }
        else if (!strcmp(key, "rlimit")) {
            NEED(3);
            int r = rlimit_resource(tok[i + 1]);
            if (r < 0) cinit_die(125, "unknown rlimit %s", tok[i + 1]);
            if (c->nrlimits < 32)
                c->rlimits[c->nrlimits++] = (struct cinit_rlimit){ r, strtoull(tok[i + 2], NULL, 10), strtoull(tok[i + 3], NULL, 10) };
            i += 3;
        }
        else cinit_die(125, "config %s: unknown key %s", path, key);
    }
    if (c->seccomp_bpf) {
        // Read now: after pivot_root (or setns) the state root is out of reach.
        // In a user namespace the state root is out of reach already: the parent opened it.
        int bfd = c->seccomp_bpf_fd >= 0 ? c->seccomp_bpf_fd : open(c->seccomp_bpf, O_RDONLY | O_CLOEXEC);
        struct stat bst;
        if (bfd >= 0 && fstat(bfd, &bst) == 0 && bst.st_size > 0 && bst.st_size <= 65536) {
            c->seccomp_bpf_data = malloc((size_t)bst.st_size);
            ssize_t got = c->seccomp_bpf_data ? read(bfd, c->seccomp_bpf_data, (size_t)bst.st_size) : -1;
            c->seccomp_bpf_len = got == bst.st_size ? (size_t)got : 0;
        }
        if (bfd >= 0) close(bfd);
    }
    c->env[c->nenv] = NULL;
    c->args[c->nargs] = NULL;
    return 0;
}
