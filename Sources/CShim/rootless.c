// Rootless cnc's namespaces: see cshim_rootless.h.
#define _GNU_SOURCE
#include "cshim_rootless.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAUSE_NAME "cnc-pause"
#define MAX_RANGES 16

static int fail(char *err, size_t len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

static ssize_t read_file(const char *path, char *buf, size_t len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t n = 0;
    while (n + 1 < len) {
        ssize_t r = read(fd, buf + n, len - 1 - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    return (ssize_t)n;
}

int cshim_subid_ranges(const char *text, const char *name, uid_t uid, unsigned long out[][2], int max) {
    char id[32];
    snprintf(id, sizeof id, "%u", (unsigned)uid);
    int found = 0;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        if (n < sizeof buf && line[0] != '#') {
            memcpy(buf, line, n);
            buf[n] = 0;
            char *owner = buf, *start = strchr(buf, ':');
            char *count = start ? strchr(start + 1, ':') : NULL;
            if (count) {
                *start++ = 0;
                *count++ = 0;
                char *e1, *e2;
                errno = 0;
                unsigned long s = strtoul(start, &e1, 10), c = strtoul(count, &e2, 10);
                int ok = errno == 0 && *start && *count && *e1 == 0 && (*e2 == 0 || *e2 == '\r') && c > 0;
                if (ok && ((name && strcmp(owner, name) == 0) || strcmp(owner, id) == 0)) {
                    if (found < max) { out[found][0] = s; out[found][1] = c; }
                    found++;
                }
            }
        }
        line = end ? end + 1 : NULL;
    }
    return found;
}

/// The user's name from /etc/passwd (no NSS: the front is a static executable).
static int user_name(uid_t uid, char *name, size_t len) {
    static char text[1 << 20];
    if (read_file("/etc/passwd", text, sizeof text) < 0) return -1;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *c3 = c2 ? strchr(c2 + 1, ':') : NULL;
        if (!c3) continue;
        *c1 = 0;
        *c3 = 0;
        if (strtoul(c2 + 1, NULL, 10) == uid && c2[1] != 0) {
            snprintf(name, len, "%s", line);
            return 0;
        }
    }
    return -1;
}

/// The mapping tool on $PATH (glibc's default path when unset), as podman's exec.LookPath finds it.
static int find_tool(const char *tool, char *out, size_t len) {
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s", path ? path : "/bin:/usr/bin");
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, len, "%s/%s", d, tool);
        if (access(out, X_OK) == 0) return 0;
    }
    return -1;
}

/// Runs `newuidmap PID 0 UID 1 1 START COUNT ...` (or newgidmap), as podman does.
static int run_map_tool(const char *tool, pid_t pid, unsigned long own, unsigned long ranges[][2], int n,
                        char *err, size_t len) {
    char path[PATH_MAX];
    if (find_tool(tool, path, sizeof path) < 0)
        return fail(err, len, "command required for rootless mode with multiple IDs: exec: \"%s\": executable file not found in $PATH", tool);
    char args[3 + 3 * (MAX_RANGES + 1)][24];
    char *argv[3 + 3 * (MAX_RANGES + 1) + 1];
    int a = 0;
    snprintf(args[a++], 24, "%s", tool);
    snprintf(args[a++], 24, "%d", (int)pid);
    snprintf(args[a++], 24, "0");
    snprintf(args[a++], 24, "%lu", own);
    snprintf(args[a++], 24, "1");
    unsigned long next = 1;
    for (int i = 0; i < n && i < MAX_RANGES; i++) {
        snprintf(args[a++], 24, "%lu", next);
        snprintf(args[a++], 24, "%lu", ranges[i][0]);
        snprintf(args[a++], 24, "%lu", ranges[i][1]);
        next += ranges[i][1];
    }
    for (int i = 0; i < a; i++) argv[i] = args[i];
    argv[a] = NULL;
    pid_t child = fork();
    if (child < 0) return fail(err, len, "cannot set up namespace using \"%s\": fork: %s", path, strerror(errno));
    if (child == 0) {
        execv(path, argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    struct stat st;
    const char *why = stat(path, &st) == 0 && !(st.st_mode & S_ISUID) ? "should have setuid or have filecaps setuid: " : "";
    return fail(err, len, "cannot set up namespace using \"%s\": %sexit status %d", path, why,
                WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/// The runtime directory: $XDG_RUNTIME_DIR/cnc when XDG_RUNTIME_DIR is ours, else /tmp/cnc-UID
/// (made 0700, and refused when someone else owns it).
static int runtime_dir(uid_t uid, char *out, size_t len, char *err, size_t errlen) {
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid) {
        snprintf(out, len, "%s/cnc", xdg);
    } else {
        snprintf(out, len, "/tmp/cnc-%u", (unsigned)uid);
    }
    if (mkdir(out, 0700) < 0 && errno != EEXIST) return fail(err, errlen, "cannot create %s: %s", out, strerror(errno));
    if (lstat(out, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & 077))
        return fail(err, errlen, "%s is not a directory of uid %u with mode 0700", out, (unsigned)uid);
    return 0;
}

/// Joins the namespaces of the pause process `pid` (ours, named cnc-pause), then becomes root in it.
static int join(pid_t pid, uid_t uid) {
    char p[64], comm[32];
    struct stat st;
    snprintf(p, sizeof p, "/proc/%d", (int)pid);
    if (pid <= 0 || stat(p, &st) < 0 || st.st_uid != uid) return -1;
    snprintf(p, sizeof p, "/proc/%d/comm", (int)pid);
    if (read_file(p, comm, sizeof comm) < 0 || strncmp(comm, PAUSE_NAME, strlen(PAUSE_NAME)) != 0) return -1;
    snprintf(p, sizeof p, "/proc/%d/ns/user", (int)pid);
    int user = open(p, O_RDONLY | O_CLOEXEC);
    snprintf(p, sizeof p, "/proc/%d/ns/mnt", (int)pid);
    int mnt = open(p, O_RDONLY | O_CLOEXEC);
    // setns(mnt) moves the working directory to the namespace's root: keep it by name (the
    // mount namespace is a copy of the host's, so the same path names the same directory).
    char cwd[PATH_MAX];
    int have_cwd = getcwd(cwd, sizeof cwd) != NULL;
    int r = -1;
    if (user >= 0 && mnt >= 0 && setns(user, CLONE_NEWUSER) == 0 && setns(mnt, CLONE_NEWNS) == 0 &&
        setresgid(0, 0, 0) == 0 && setresuid(0, 0, 0) == 0)
        r = 0;
    if (user >= 0) close(user);
    if (mnt >= 0) close(mnt);
    if (r == 0 && have_cwd && chdir(cwd) < 0) { int ignored = chdir("/"); (void)ignored; }
    return r;
}

static pid_t recorded_pid(const char *dir) {
    char p[PATH_MAX], text[32];
    snprintf(p, sizeof p, "%s/pause.pid", dir);
    if (read_file(p, text, sizeof text) <= 0) return -1;
    return (pid_t)strtol(text, NULL, 10);
}

/// The pause process: holds the namespaces, does nothing else, ends on SIGTERM/SIGINT.
static void pause_forever(void) {
    prctl(PR_SET_NAME, PAUSE_NAME, 0, 0, 0);
    setsid();
    int ignored = chdir("/");
    (void)ignored;
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; fd++) dup2(null, fd);
    closefrom(3);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    for (int i = 1; i < NSIG; i++)
        if (i != SIGTERM && i != SIGINT && i != SIGKILL && i != SIGSTOP) signal(i, SIG_IGN);
    int sig = 0;
    sigwait(&set, &sig);
    _exit(0);
}

/// Creates the namespaces (a child unshares, we map it, it becomes the pause process).
static int create(uid_t uid, gid_t gid, const char *dir, char *err, size_t len) {
    char name[256] = "";
    int have_name = user_name(uid, name, sizeof name) == 0;
    if (!have_name) snprintf(name, sizeof name, "%u", (unsigned)uid);
    static char text[1 << 20];
    unsigned long uids[MAX_RANGES][2], gids[MAX_RANGES][2];
    int nu = read_file("/etc/subuid", text, sizeof text) < 0 ? 0 : cshim_subid_ranges(text, have_name ? name : NULL, uid, uids, MAX_RANGES);
    if (nu == 0) return fail(err, len, "cannot set up namespace: no subuid ranges found for user %s in /etc/subuid", name);
    int ng = read_file("/etc/subgid", text, sizeof text) < 0 ? 0 : cshim_subid_ranges(text, have_name ? name : NULL, uid, gids, MAX_RANGES);
    if (ng == 0) return fail(err, len, "cannot set up namespace: no subgid ranges found for group %s in /etc/subgid", name);
    char tool[PATH_MAX];
    if (find_tool("newuidmap", tool, sizeof tool) < 0 || find_tool("newgidmap", tool, sizeof tool) < 0)
        return run_map_tool(find_tool("newuidmap", tool, sizeof tool) < 0 ? "newuidmap" : "newgidmap", 0, 0, NULL, 0, err, len);

    int up[2], down[2];
    if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0) return fail(err, len, "cannot set up namespace: pipe: %s", strerror(errno));
    pid_t child = fork();
    if (child < 0) return fail(err, len, "cannot set up namespace: fork: %s", strerror(errno));
    if (child == 0) {
        close(up[0]);
        close(down[1]);
        char status = unshare(CLONE_NEWUSER) == 0 ? 0 : (char)errno;
        if (write(up[1], &status, 1) != 1 || status) _exit(1);
        char go;
        if (read(down[0], &go, 1) != 1 || go) _exit(1);
        // Root of the new namespace, with a mount namespace of its own whose mounts receive the
        // host's but never send any back.
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) status = (char)errno;
        else if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) status = (char)errno;
        if (write(up[1], &status, 1) != 1 || status) _exit(1);
        close(up[1]);
        close(down[0]);
        pause_forever();
    }
    close(up[1]);
    close(down[0]);
    char status = 1, go = 0;
    int r = 0;
    if (read(up[0], &status, 1) != 1 || status) {
        r = fail(err, len, "cannot set up namespace: unshare(CLONE_NEWUSER): %s", strerror(status ? status : EIO));
    } else if (run_map_tool("newuidmap", child, uid, uids, nu, err, len) < 0 || run_map_tool("newgidmap", child, gid, gids, ng, err, len) < 0) {
        r = -1;
    } else {
        if (write(down[1], &go, 1) != 1 || read(up[0], &status, 1) != 1 || status)
            r = fail(err, len, "cannot set up namespace: mount namespace: %s", strerror(status ? status : EIO));
    }
    close(up[0]);
    close(down[1]);
    if (r < 0) {
        kill(child, SIGKILL);
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
        return -1;
    }
    char p[PATH_MAX], tmp[PATH_MAX], pidtext[32];
    snprintf(p, sizeof p, "%s/pause.pid", dir);
    snprintf(tmp, sizeof tmp, "%s/pause.pid.tmp", dir);
    int n = snprintf(pidtext, sizeof pidtext, "%d\n", (int)child);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, pidtext, (size_t)n) != n || fsync(fd) < 0 || close(fd) < 0 || rename(tmp, p) < 0) {
        kill(child, SIGKILL);
        return fail(err, len, "cannot record the pause process in %s: %s", p, strerror(errno));
    }
    if (join(child, uid) < 0) return fail(err, len, "cannot join the rootless namespaces of pid %d: %s", (int)child, strerror(errno));
    return 0;
}

int cshim_rootless_enter(char *err, size_t errlen) {
    if (geteuid() == 0) return 0;
    uid_t uid = geteuid();
    gid_t gid = getegid();
    char dir[PATH_MAX];
    if (runtime_dir(uid, dir, sizeof dir, err, errlen) < 0) return -1;
    if (join(recorded_pid(dir), uid) < 0) {
        char lockpath[PATH_MAX];
        snprintf(lockpath, sizeof lockpath, "%s/pause.lock", dir);
        int lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock < 0 || flock(lock, LOCK_EX) < 0) return fail(err, errlen, "cannot lock %s: %s", lockpath, strerror(errno));
        // Another command may have made them while we waited.
        int r = join(recorded_pid(dir), uid) == 0 ? 0 : create(uid, gid, dir, err, errlen);
        if (r < 0) {
            // A user who cannot have the namespaces (no subuid range, no newuidmap) keeps no
            // state of ours: the lock goes, and the directory if nothing else is in it.
            unlink(lockpath);
            rmdir(dir);
        }
        close(lock);
        if (r < 0) return -1;
    }
    char id[32];
    snprintf(id, sizeof id, "%u", (unsigned)uid);
    setenv(CSHIM_ROOTLESS_ENV, id, 1);
    setenv(CSHIM_ROOTLESS_RUNDIR_ENV, dir, 1);
    return 0;
}
