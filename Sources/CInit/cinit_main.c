// cnc-init: `run` becomes the container's PID 1; `exec` joins a running container.
#define _GNU_SOURCE
#include "cinit.h"
#include "cinit_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void mkdir_p(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') { *p = 0; mkdir(buf, 0755); *p = '/'; }
    }
    mkdir(buf, 0755);
}

static void enter_workdir(const struct cinit_conf *c) {
    if (!c->cwd || !*c->cwd) return;
    if (chdir(c->cwd) < 0) {
        mkdir_p(c->cwd);
        if (chdir(c->cwd) < 0) cinit_die(125, "chdir to %s: %s", c->cwd, strerror(errno));
    }
}

/// Becomes the workload after identity, rlimits, capabilities and seccomp; never returns.
static void trace(const char *what);
static void become_workload(const struct cinit_conf *c, int resolve_user) {
    uid_t uid = 0; gid_t gid = 0; gid_t groups[64]; int ngroups = 0; char home[4096] = "/";
    if (resolve_user) cinit_resolve_user(c, &uid, &gid, groups, &ngroups, home, sizeof home);
    trace("user resolved");
    // A missing working directory is made while still root (as Docker does: root-owned, 0755),
    // so an image whose WORKDIR no layer created runs under a non-root USER too.
    if (c->cwd && *c->cwd && access(c->cwd, F_OK) != 0) mkdir_p(c->cwd);
    cinit_apply_identity(c, uid, gid, groups, ngroups);
    trace("identity");
    enter_workdir(c);
    cinit_apply_seccomp(c);
    trace("seccomp");
    cinit_exec_workload(c, home);
}

static volatile pid_t forward_to = -1;
static void forward(int sig) { if (forward_to > 0) kill(forward_to, sig); }

/// tini-like: forward signals to the child, reap every zombie, exit with the child's status.
static int supervise(pid_t child) {
    forward_to = child;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    for (int s = 1; s < 32; s++) {
        if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD) continue;
        sigaction(s, &sa, NULL);
    }
    for (;;) {
        int status;
        pid_t p = waitpid(-1, &status, 0);
        if (p < 0) {
            if (errno == EINTR) continue;
            return 0;
        }
        if (p == child) {
            if (WIFEXITED(status)) return WEXITSTATUS(status);
            return 128 + WTERMSIG(status);
        }
    }
}

#include <time.h>
static void trace(const char *what) {
    if (!getenv("CNC_TRACE")) return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    // Monotonic milliseconds (mod 100 s), comparable with the CLI's "@" stamps.
    dprintf(2, "trace init @%.2f: %s\n", (double)(ts.tv_sec % 100) * 1000 + ts.tv_nsec / 1e6, what);
}

#include <net/if.h>
#include <sys/socket.h>
/// A new network namespace starts with lo down; Docker's containers (even --network none)
/// have 127.0.0.1.
static void loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) cinit_die(125, "socket: %s", strerror(errno));
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) cinit_die(125, "get lo flags: %s", strerror(errno));
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) cinit_die(125, "bring lo up: %s", strerror(errno));
    close(s);
}

#include <poll.h>
/// Copies our stdin to the container's terminal and its output to our stdout until the child
/// exits, then returns its status like supervise().
static int relay_and_supervise(pid_t child, int master) {
    forward_to = child;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    for (int s = 1; s < 32; s++) {
        if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD || s == SIGWINCH) continue;
        sigaction(s, &sa, NULL);
    }
    int in_open = 1;
    char buf[16384];
    for (;;) {
        int status;
        pid_t p = waitpid(child, &status, WNOHANG);
        struct pollfd fds[2] = { { master, POLLIN, 0 }, { 0, POLLIN, 0 } };
        int r = poll(fds, in_open ? 2 : 1, p == child ? 0 : 100);
        if (r > 0 && (fds[0].revents & (POLLIN | POLLHUP))) {
            ssize_t n = read(master, buf, sizeof buf);
            if (n > 0) { ssize_t w = write(1, buf, (size_t)n); (void)w; }
            else if (p == child) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        } else if (p == child) {
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (in_open && r > 0 && (fds[1].revents & (POLLIN | POLLHUP))) {
            ssize_t n = read(0, buf, sizeof buf);
            if (n > 0) { ssize_t w = write(master, buf, (size_t)n); (void)w; } else in_open = 0;
        }
    }
}

static int run_container(const char *conf_path) {
    struct cinit_conf c;
    trace("start");
    // fd 3: sync (the parent writes one byte once we are in our cgroups); fd 4: errors.
    cinit_error_fd = 4;
    fcntl(4, F_SETFD, FD_CLOEXEC);
    fcntl(3, F_SETFD, FD_CLOEXEC);
    cinit_conf_load(conf_path, &c);
    if (c.netns) {
        int fd = open(c.netns, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) cinit_die(125, "join network namespace %s: %s", c.netns, strerror(errno));
        close(fd);
    }
    if (c.loopback) loopback_up();
    cinit_setup_rootfs(&c);
    trace("rootfs ready");
    if (c.hostname && sethostname(c.hostname, strlen(c.hostname)) < 0)
        cinit_die(125, "sethostname %s: %s", c.hostname, strerror(errno));
    // The rootfs work above overlaps with the parent moving us into our cgroups (a v1
    // migration waits for an RCU grace period, ~10 ms); nothing of the workload runs before
    // the parent says we are in them (and the network is attached).
    char go;
    ssize_t n;
    do { n = read(3, &go, 1); } while (n < 0 && errno == EINTR);
    if (n != 1) _exit(125);  // The parent gave up; say nothing.
    close(3);
    trace("released");
    // A private cgroup namespace is rooted where we now are: our own cgroup.
    if (c.cgroupns && unshare(CLONE_NEWCGROUP) < 0) cinit_die(125, "unshare the cgroup namespace: %s", strerror(errno));
    cinit_enter_rootfs(&c);
    trace("in root");
    // Sysctls now that the network is attached (net.ipv4.conf.eth0.* needs eth0), through
    // the /proc/sys opened before it was made read-only.
    for (int i = 0; i < c.nsysctls; i++) {
        char rel[512];
        size_t k = 0;
        for (const char *p = c.sysctls[i].key; *p && k < sizeof rel - 1; p++) rel[k++] = *p == '.' ? '/' : *p;
        rel[k] = 0;
        int fd = openat(cinit_proc_sys_fd, rel, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        size_t len = strlen(c.sysctls[i].value);
        if (fd < 0 || write(fd, c.sysctls[i].value, len) != (ssize_t)len)
            cinit_die(125, "sysctl %s=%s: %s", c.sysctls[i].key, c.sysctls[i].value, strerror(errno));
        close(fd);
    }
    if (cinit_proc_sys_fd >= 0) { close(cinit_proc_sys_fd); cinit_proc_sys_fd = -1; }
    if (c.has_oom_score_adj) {
        char v[16];
        int n = snprintf(v, sizeof v, "%d", c.oom_score_adj);
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, v, (size_t)n) != n) cinit_die(125, "oom_score_adj %d: %s", c.oom_score_adj, strerror(errno));
        close(fd);
    }
    // The terminal becomes the controlling one of the session the monitor started us in;
    // with --init, of the workload's own session instead.
    if (c.tty && !c.init && ioctl(0, TIOCSCTTY, 0) < 0) cinit_die(125, "set the controlling terminal: %s", strerror(errno));
    if (c.init) {
        pid_t child = fork();
        if (child < 0) cinit_die(125, "fork: %s", strerror(errno));
        if (child == 0) {
            if (c.tty) { setsid(); ioctl(0, TIOCSCTTY, 0); }
            become_workload(&c, 1);
        }
        close(4);
        cinit_error_fd = -1;
        _exit(supervise(child));
    }
    become_workload(&c, 1);
    return 125;
}

/// CVE-2019-5736 for exec: the helper was loaded from the host's mount, so it re-executes
/// itself through a read-only copy of that mount in a private mount namespace; from then on
/// /proc/<pid>/exe refuses writes.
static void reexec_guarded(char **argv) {
    cinit_error_fd = 3;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) cinit_die(125, "readlink /proc/self/exe: %s", strerror(errno));
    self[n] = 0;
    if (unshare(CLONE_NEWNS) < 0) cinit_die(125, "unshare mount namespace: %s", strerror(errno));
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) cinit_die(125, "make / private: %s", strerror(errno));
    cinit_guard_own_binary(self);
    char *args[] = { argv[0], "exec-guarded", argv[2], NULL };
    execv(self, args);
    cinit_die(125, "re-exec %s: %s", self, strerror(errno));
}

static int exec_in_container(const char *conf_path) {
    struct cinit_conf c;
    cinit_error_fd = 3;
    fcntl(3, F_SETFD, FD_CLOEXEC);
    cinit_conf_load(conf_path, &c);
    if (c.target_pid <= 0) cinit_die(125, "no target pid");
    char pidtxt[32];
    snprintf(pidtxt, sizeof pidtxt, "%d", getpid());
    for (int i = 0; i < c.ncgroup_procs; i++) {
        int fd = open(c.cgroup_procs[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, pidtxt, strlen(pidtxt)) < 0)
            cinit_die(125, "join cgroup %s: %s", c.cgroup_procs[i], strerror(errno));
        close(fd);
    }
    // A user namespace of its own (--userns) is entered first: the others belong to it.
    int userns_fd = -1;
    {
        char p[64];
        struct stat mine, theirs;
        snprintf(p, sizeof p, "/proc/%d/ns/user", c.target_pid);
        if (stat(p, &theirs) == 0 && stat("/proc/self/ns/user", &mine) == 0 && mine.st_ino != theirs.st_ino) {
            userns_fd = open(p, O_RDONLY | O_CLOEXEC);
            if (userns_fd < 0) cinit_die(125, "open %s: %s", p, strerror(errno));
        }
    }
    // Open every namespace before entering any (entering mnt changes what /proc shows).
    static const struct { const char *name; int flag; } kinds[] = {
        {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET}, {"pid", CLONE_NEWPID},
        {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS},
    };
    int fds[6];
    for (int i = 0; i < 6; i++) {
        char p[64];
        snprintf(p, sizeof p, "/proc/%d/ns/%s", c.target_pid, kinds[i].name);
        fds[i] = open(p, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) cinit_die(125, "open %s: %s", p, strerror(errno));
    }
    int in_userns = userns_fd >= 0;
    if (in_userns) {
        if (setns(userns_fd, CLONE_NEWUSER) < 0) cinit_die(125, "join user namespace of pid %d: %s", c.target_pid, strerror(errno));
        close(userns_fd);
    }
    for (int i = 0; i < 6; i++) {
        // One we share already (the host's cgroup namespace) needs no entering, and from inside
        // a user namespace (the container's own, or rootless cnc's) it could not be entered.
        char mine[64];
        struct stat a, b;
        snprintf(mine, sizeof mine, "/proc/self/ns/%s", kinds[i].name);
        if (fstat(fds[i], &a) == 0 && stat(mine, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
            close(fds[i]);
            continue;
        }
        if (setns(fds[i], kinds[i].flag) < 0) cinit_die(125, "join %s namespace of pid %d: %s", kinds[i].name, c.target_pid, strerror(errno));
        close(fds[i]);
    }
    // CVE-2024-21626: the working directory is the container's, never a host one.
    if (chdir("/") < 0) cinit_die(125, "chdir /: %s", strerror(errno));
    // exec -t: the terminal comes from the container's own devpts (so ttyname() works inside),
    // and this process relays between it and the caller's terminal.
    int master = -1;
    char slave[128] = "";
    if (c.tty) {
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, slave, sizeof slave) != 0)
            cinit_die(125, "allocate a terminal in the container: %s", strerror(errno));
        struct winsize ws;
        if (ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
    }
    pid_t child = fork();
    if (child < 0) cinit_die(125, "fork: %s", strerror(errno));
    if (child == 0) {
        if (c.tty) {
            setsid();
            int s = open(slave, O_RDWR);
            if (s < 0) cinit_die(125, "open %s: %s", slave, strerror(errno));
            ioctl(s, TIOCSCTTY, 0);
            dup2(s, 0); dup2(s, 1); dup2(s, 2);
            if (s > 2) close(s);
        }
        become_workload(&c, 1);
    }
    close(3);
    cinit_error_fd = -1;
    if (master >= 0) return relay_and_supervise(child, master);
    return supervise(child);
}

int cinit_main(int argc, char **argv) {
    // Nobody inside may open our /proc/<pid>/exe or ptrace us before we exec.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (argc >= 3 && strcmp(argv[1], "run") == 0) return run_container(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "exec") == 0) reexec_guarded(argv);
    if (argc >= 3 && (strcmp(argv[1], "mount") == 0 || strcmp(argv[1], "mount-ro") == 0)) {
        struct cinit_conf c;
        cinit_error_fd = 2;
        cinit_conf_load(argv[2], &c);
        _exit(cinit_hold_rootfs(&c, strcmp(argv[1], "mount-ro") == 0));
    }
    if (argc >= 3 && strcmp(argv[1], "exec-guarded") == 0) _exit(exec_in_container(argv[2]));
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) { printf("cnc-init (cnc)\n"); return 0; }
    dprintf(2, "usage: cnc-init run CONFIG | cnc-init exec CONFIG\n");
    return 125;
}
