#define _GNU_SOURCE
#include "cshim.h"
#include "cshim_rootless.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct spawn_args {
    const char *path;
    char *const *argv;
    char *const *envp;
    const struct cshim_spawn_attr *attr;
    volatile int exec_errno;
    /// cshim_spawn_userns: the child end of the socket the parent sends the root mount on (and
    /// releases the child with), the write end of the exec-report pipe, and the settings.
    int userns_sock, report_fd;
    const struct cshim_userns *userns;
};

#define CSHIM_MAX_MOUNT_FDS 64
static int recv_fds(int sock, int *fds, int *n);
static int recv_one(int sock, char *byte, int *fd);

// /proc/self/stat's start, NUL-terminated, into buf; -1 when unreadable. Async-signal-safe.
static int read_self_stat(char *buf, size_t len) {
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    return 0;
}

// The parent pid in /proc/self/stat (the field after the state, past the last ')'); -1 when
// unreadable. Async-signal-safe: for spawn_child.
static pid_t parent_of_self(void) {
    char buf[1024];
    if (read_self_stat(buf, sizeof buf) < 0) return -1;
    char *p = NULL;
    for (char *q = buf; *q; q++) if (*q == ')') p = q;
    if (!p || p[1] != ' ' || !p[2] || p[3] != ' ') return -1;
    pid_t ppid = 0;
    for (p += 4; *p >= '0' && *p <= '9'; p++) ppid = ppid * 10 + (*p - '0');
    return ppid;
}

int cshim_proc_shows_own_pid(void) {
    char buf[64];
    if (read_self_stat(buf, sizeof buf) < 0) return 0;
    pid_t pid = 0;
    for (char *p = buf; *p >= '0' && *p <= '9'; p++) pid = pid * 10 + (*p - '0');
    return pid == getpid();
}

// Runs in the child, on its own stack, sharing the parent's memory (CLONE_VM) while the parent
// is suspended (CLONE_VFORK). Only async-signal-safe calls; no allocation, no locks.
static int spawn_child(void *opaque) {
    struct spawn_args *a = opaque;
    const struct cshim_spawn_attr *attr = a->attr;
    int n = attr ? attr->fd_map_len : 0;
    int received[CSHIM_MAX_MOUNT_FDS], nreceived = 0, report = -1;
    if (a->userns) {
        // Out of the way of the fd map, then wait for the parent's go (and mounts).
        report = fcntl(a->report_fd, F_DUPFD_CLOEXEC, n > 3 ? n : 3);
        if (report < 0 || recv_fds(a->userns_sock, received, &nreceived) < 0) goto fail;
        for (int i = 0; i < nreceived; i++) {
            if (received[i] < n) {
                received[i] = fcntl(received[i], F_DUPFD_CLOEXEC, n);
                if (received[i] < 0) goto fail;
            }
        }
        close(a->userns_sock);
    }

    if (attr && n > 0) {
        // Move sources that sit in the target range out of the way first.
        int moved[n];
        for (int i = 0; i < n; i++) {
            int src = attr->fd_map[i];
            if (a->userns) {
                // Received in order: the root (if any), then the binds.
                const struct cshim_userns *u = a->userns;
                int has_root = u->rootfs_fd_index >= 0 && (u->nlowers > 0 || u->rootfs);
                int k = -1;
                if (has_root && i == u->rootfs_fd_index) k = 0;
                else if (i >= u->bind_fd_base && i < u->bind_fd_base + u->nbinds) k = has_root + i - u->bind_fd_base;
                if (k >= 0) src = k < nreceived ? received[k] : -1;
            }
            moved[i] = src;
            if (src >= 0 && src < n && src != i) {
                moved[i] = fcntl(src, F_DUPFD_CLOEXEC, n);
                if (moved[i] < 0) goto fail;
            }
        }
        for (int i = 0; i < n; i++) {
            int src = moved[i];
            if (src < 0) { close(i); continue; }
            if (src == i) {
                int fl = fcntl(i, F_GETFD);
                if (fl < 0 || fcntl(i, F_SETFD, fl & ~FD_CLOEXEC) < 0) goto fail;
            } else if (dup2(src, i) < 0) {
                goto fail;
            }
        }
    }
    // Nothing of the parent beyond the mapped fds survives exec (CVE-2024-21626 class).
    if (syscall(SYS_close_range, (unsigned)n, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
        for (int fd = n; fd < 65536; fd++) {
            int fl = fcntl(fd, F_GETFD);
            if (fl >= 0) fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
        }
    }
    if (attr && attr->new_session && setsid() < 0) goto fail;
    if (attr && attr->controlling_tty >= 0 && ioctl(attr->controlling_tty, TIOCSCTTY, 0) < 0) goto fail;
    if (attr && attr->cwd && chdir(attr->cwd) < 0) goto fail;
    // Raw syscalls: glibc's wrappers would broadcast the change to the parent's threads.
    if (a->userns && (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setgroups, 0, NULL) < 0 ||
                      syscall(SYS_setresuid, 0, 0, 0) < 0)) goto fail;

    if (attr && attr->parent_death_signal > 0) {
        if (prctl(PR_SET_PDEATHSIG, attr->parent_death_signal, 0, 0, 0) < 0) goto fail;
        // The spawner may have died before the prctl (then nothing signals us): reparenting
        // changes the parent. getppid() is 0 in a new pid namespace, so /proc (still the
        // spawner's) says who the parent is.
        if (attr->parent_pid > 0 && parent_of_self() != attr->parent_pid) {
            syscall(SYS_kill, (pid_t)syscall(SYS_getpid), attr->parent_death_signal);
            _exit(128 + attr->parent_death_signal);
        }
    }

    // The parent may block signals in its threads; the workload starts with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    execve(a->path, a->argv, a->envp);
fail:
    a->exec_errno = errno;
    if (a->userns) {
        int e = errno;
        ssize_t w = report >= 0 ? write(report, &e, sizeof e) : -1;
        (void)w;
    }
    _exit(127);
}

pid_t cshim_spawn(const char *path, char *const argv[], char *const envp[],
                  const struct cshim_spawn_attr *attr, int *exec_errno) {
    const size_t stack_size = 256 * 1024;
    void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return -1;

    struct spawn_args a = { path, argv, envp, attr, 0, -1, -1, NULL };
    unsigned long flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
    if (attr) flags |= attr->clone_flags;

    // Block all signals across clone so no handler runs on the child's side of shared memory.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = clone(spawn_child, (char *)stack + stack_size, (int)flags, &a);
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    munmap(stack, stack_size);

    if (exec_errno) *exec_errno = a.exec_errno;
    errno = saved;
    return pid;
}

int cshim_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int cshim_setns(int fd, int nstype) { return setns(fd, nstype); }

int cshim_unshare(int flags) { return unshare(flags); }

int cshim_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
}

int cshim_set_no_new_privs(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }

int cshim_set_dumpable(int dumpable) { return prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0); }

int cshim_set_pdeathsig(int sig) { return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0); }

int cshim_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int cshim_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int cshim_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

int cshim_memfd_create(const char *name) {
    return (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
}

int cshim_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int cshim_mkstemp_cloexec(char *template_path) { return mkostemp(template_path, O_CLOEXEC); }

#include <sys/signalfd.h>
int cshim_signalfd_sigchld(void) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGCHLD);
    sigaddset(&s, SIGUSR1);  // "look at your directory again" (stop during a restart backoff)
    sigaddset(&s, SIGWINCH); // the attached terminal was resized (forwarded by the CLI)
    if (sigprocmask(SIG_BLOCK, &s, NULL) < 0) return -1;
    return signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK);
}


#include <sys/eventfd.h>
int cshim_eventfd(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

#include <stdlib.h>
#include <termios.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdio.h>
int cshim_socketpair_cloexec(int fds[2]) { return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds); }

int cshim_recv_fd(int sock) {
    char byte;
    int fd;
    if (recv_one(sock, &byte, &fd) < 0) return -1;
    if (fd < 0) { errno = EBADMSG; return -1; }
    return fd;
}

static struct termios saved_termios;
static int saved_termios_fd = -1;
int cshim_tty_raw(int fd) {
    struct termios t;
    if (tcgetattr(fd, &t) < 0) return -1;
    saved_termios = t;
    saved_termios_fd = fd;
    cfmakeraw(&t);
    return tcsetattr(fd, TCSANOW, &t);
}
void cshim_tty_restore(void) {
    if (saved_termios_fd >= 0) tcsetattr(saved_termios_fd, TCSANOW, &saved_termios);
}
int cshim_tty_copy_size(int from, int to) {
    struct winsize ws;
    if (ioctl(from, TIOCGWINSZ, &ws) < 0) return -1;
    return ioctl(to, TIOCSWINSZ, &ws);
}

int cshim_tty_get_size(int fd, unsigned short *rows, unsigned short *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) < 0) return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

int cshim_tty_set_size(int fd, unsigned short rows, unsigned short cols) {
    struct winsize ws = { .ws_row = rows, .ws_col = cols };
    return ioctl(fd, TIOCSWINSZ, &ws);
}

/// Fills `sa` with `path`, or with /proc/self/fd/N/<name> (N: an O_PATH fd of the directory,
/// returned in *dirfd for the caller to close) when `path` does not fit.
static int unix_address(const char *path, struct sockaddr_un *sa, int *dirfd) {
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    *dirfd = -1;
    if (strlen(path) < sizeof sa->sun_path) { strcpy(sa->sun_path, path); return 0; }
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) { errno = ENAMETOOLONG; return -1; }
    char dir[4096];
    size_t len = (size_t)(slash - path);
    if (len >= sizeof dir) { errno = ENAMETOOLONG; return -1; }
    memcpy(dir, path, len);
    dir[len] = 0;
    *dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*dirfd < 0) return -1;
    int n = snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/%s", *dirfd, slash + 1);
    if (n < 0 || (size_t)n >= sizeof sa->sun_path) { close(*dirfd); *dirfd = -1; errno = ENAMETOOLONG; return -1; }
    return 0;
}

/// A nonblocking socket of `type` bound to `path` (a stale one there replaced); listening
/// when `backlog` > 0.
static int bound_unix(const char *path, int type, int backlog) {
    struct sockaddr_un sa;
    int dirfd;
    if (unix_address(path, &sa, &dirfd) < 0) return -1;
    int fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int r = fd < 0 ? -1 : 0;
    if (r == 0) { unlink(sa.sun_path); r = bind(fd, (struct sockaddr *)&sa, sizeof sa); }
    if (r == 0 && backlog > 0) r = listen(fd, backlog);
    int e = errno;
    if (dirfd >= 0) close(dirfd);
    if (r < 0) { if (fd >= 0) close(fd); errno = e; return -1; }
    return fd;
}

int cshim_listen_seqpacket(const char *path) { return bound_unix(path, SOCK_SEQPACKET, 16); }

int cshim_bind_dgram(const char *path) { return bound_unix(path, SOCK_DGRAM, 0); }

static int connect_unix(const char *path, int type) {
    struct sockaddr_un sa;
    int dirfd;
    if (unix_address(path, &sa, &dirfd) < 0) return -1;
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    int r = fd < 0 ? -1 : 0;
    if (r == 0) { do { r = connect(fd, (struct sockaddr *)&sa, sizeof sa); } while (r < 0 && errno == EINTR); }
    int e = errno;
    if (dirfd >= 0) close(dirfd);
    if (r < 0) { if (fd >= 0) close(fd); errno = e; return -1; }
    return fd;
}

int cshim_connect_seqpacket(const char *path) { return connect_unix(path, SOCK_SEQPACKET); }
int cshim_connect_stream(const char *path) { return connect_unix(path, SOCK_STREAM); }

int cshim_accept_nonblocking(int listener) {
    return accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

static volatile pid_t forward_target = -1;
static volatile sig_atomic_t forward_pending[65];
static volatile sig_atomic_t forward_interrupted;
static void forward_signal(int sig) {
    if (forward_interrupted == 0 && (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT)) forward_interrupted = sig;
    if (forward_target > 0) kill(forward_target, sig); else if (sig > 0 && sig < 65) forward_pending[sig] = 1;
}
int cshim_forward_signals(pid_t pid) {
    forward_target = pid;
    if (pid > 0) {
        // Signals that arrived while the container was starting go to it now.
        for (int s = 1; s < 65; s++) if (forward_pending[s]) { forward_pending[s] = 0; kill(pid, s); }
        return 0;
    }
    struct sigaction sa;
    sa.sa_handler = forward_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
    sigset_t forwarded;
    sigemptyset(&forwarded);
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        if (sigaction(sigs[i], &sa, NULL) < 0) return -1;
        sigaddset(&forwarded, sigs[i]);
    }
    // A mask inherited from whoever started us (test harnesses, some shells' job control)
    // must not swallow what the user sends to the workload.
    return pthread_sigmask(SIG_UNBLOCK, &forwarded, NULL) == 0 ? 0 : -1;
}

int cshim_forward_held_interrupt(void) {
    // A stop request held while no container ran (a build between its RUN steps).
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) if (forward_pending[sigs[i]]) return sigs[i];
    return 0;
}

int cshim_forward_interrupted(void) { return forward_interrupted; }

void cshim_forward_reset_interrupted(void) { forward_interrupted = 0; }

void cshim_forward_drop_held_interrupts(void) {
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) forward_pending[sigs[i]] = 0;
}

int cshim_stop_forwarding_signals(void) {
    // Default dispositions back; what arrived while nothing ran (held) is delivered now, so a
    // Ctrl-C between two containers of a long-lived process (a build step in cncapply) still stops it.
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
    forward_target = 0;
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        if (signal(sigs[i], SIG_DFL) == SIG_ERR) return -1;
    }
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        if (forward_pending[sigs[i]]) { forward_pending[sigs[i]] = 0; raise(sigs[i]); }
    }
    return 0;
}

static volatile pid_t winch_target = -1;
static void forward_winch(int sig) { if (winch_target > 0) kill(winch_target, sig); }
int cshim_forward_window_changes(pid_t pid) {
    winch_target = pid;
    struct sigaction sa;
    sa.sa_handler = forward_winch;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGWINCH, &sa, NULL) < 0) return -1;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGWINCH);
    return pthread_sigmask(SIG_UNBLOCK, &s, NULL) == 0 ? 0 : -1;
}

#include <sys/vfs.h>
long cshim_fs_type(const char *path) {
    struct statfs s;
    if (statfs(path, &s) != 0) return -1;
    return (long)s.f_type;
}

// ---- cshim_spawn_userns ----------------------------------------------------------------------
#include <linux/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

/// One byte and at most one fd (SCM_RIGHTS, close-on-exec; *fd = -1 without one).
static int recv_one(int sock, char *byte, int *fd) {
    struct iovec iov = { byte, 1 };
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    ssize_t n;
    do { n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n <= 0) { if (n == 0) errno = EPIPE; return -1; }
    *fd = -1;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int)))
        memcpy(fd, CMSG_DATA(cm), sizeof *fd);
    return 0;
}

/// The child's wait for the parent's go: 'G' with the mounts (SCM_RIGHTS, close-on-exec).
/// Only async-signal-safe calls: it runs between clone and exec.
static int recv_fds(int sock, int *fds, int *count) {
    char byte = 0;
    struct iovec iov = { &byte, 1 };
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int) * CSHIM_MAX_MOUNT_FDS)]; } u;
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    ssize_t n;
    do { n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n != 1 || byte != 'G') { errno = ECANCELED; return -1; }
    *count = 0;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
        *count = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        memcpy(fds, CMSG_DATA(cm), sizeof(int) * (size_t)*count);
    }
    return 0;
}

static int send_go(int sock, const int *fds, int count) {
    char byte = 'G';
    struct iovec iov = { &byte, 1 };
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int) * CSHIM_MAX_MOUNT_FDS)]; } u;
    memset(&u, 0, sizeof u);
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (count > 0) {
        m.msg_control = u.buf;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)count);
    }
    ssize_t n;
    do { n = sendmsg(sock, &m, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)len ? 0 : -1;
}

#define FAIL(...) do { int e_ = errno; snprintf(err, errlen, __VA_ARGS__); errno = e_; goto out; } while (0)

/// An idmapped detached copy of `path` (open_tree + mount_setattr MOUNT_ATTR_IDMAP).
static int idmapped_tree(const char *path, int userns_fd, unsigned flags) {
    int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | flags);
    if (fd < 0) return -1;
    struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (unsigned long long)userns_fd };
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (flags & AT_RECURSIVE), &attr, sizeof attr) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int fsconfig_str(int fs, const char *key, const char *value) {
    return (int)syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, key, value, 0);
}

/// The container's root as a detached mount: an overlay of idmapped lowers (the layers stay
/// shared and unchanged on disk) over an upper dir owned by the container's root, made in the
/// host's user namespace so the layers' trusted.overlay.* xattrs keep their meaning.
static int build_root(const struct cshim_userns *u, int userns_fd, char *err, size_t errlen) {
    int result = -1, fs = -1, tmp = -1;
    int lower_fds[512];
    int nl = 0;
    char upper[4200], work[4200], p[64];
    if (u->nlowers == 0) {
        result = idmapped_tree(u->rootfs, userns_fd, AT_RECURSIVE);
        if (result < 0) FAIL("idmap mount of %s", u->rootfs);
        return result;
    }
    if (u->nlowers > 512) { errno = E2BIG; FAIL("overlay of %d layers", u->nlowers); }
    if (u->upper) {
        snprintf(upper, sizeof upper, "%s", u->upper);
        snprintf(work, sizeof work, "%s", u->work ? u->work : "");
        if (chown(upper, u->root_uid, u->root_gid) < 0) FAIL("chown %s", upper);
    } else {
        // An ephemeral container's writes: a tmpfs of its own, gone with its last reference.
        int t = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
        if (t < 0) FAIL("fsopen tmpfs");
        if (fsconfig_str(t, "mode", "0755") < 0 || syscall(SYS_fsconfig, t, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
            close(t);
            FAIL("create the upper tmpfs");
        }
        tmp = (int)syscall(SYS_fsmount, t, FSMOUNT_CLOEXEC, 0);
        close(t);
        if (tmp < 0) FAIL("fsmount tmpfs");
        if (mkdirat(tmp, "upper", 0755) < 0 || mkdirat(tmp, "work", 0700) < 0 ||
            fchownat(tmp, "upper", u->root_uid, u->root_gid, 0) < 0) FAIL("prepare the upper dir");
        snprintf(upper, sizeof upper, "/proc/self/fd/%d/upper", tmp);
        snprintf(work, sizeof work, "/proc/self/fd/%d/work", tmp);
    }
    // Rootless cnc (inside the user's namespace) may not idmap the layers' file system (it
    // belongs to the host's user namespace): its layers are copies already owned as the
    // container's maps say (Runtime.shiftedLayers), mounted as they are.
    int plain = getenv(CSHIM_ROOTLESS_ENV) != NULL;
    for (; nl < u->nlowers; nl++) {
        lower_fds[nl] = plain ? (int)syscall(SYS_open_tree, AT_FDCWD, u->lowers[nl], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)
                              : idmapped_tree(u->lowers[nl], userns_fd, 0);
        if (lower_fds[nl] < 0) FAIL("%s of layer %s", plain ? "open_tree" : "idmap mount", u->lowers[nl]);
    }
    fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
    if (fs < 0) FAIL("fsopen overlay");
    for (int i = 0; i < nl; i++) {
        snprintf(p, sizeof p, "/proc/self/fd/%d", lower_fds[i]);
        if (fsconfig_str(fs, "lowerdir+", p) < 0) FAIL("overlay lowerdir+ %s", u->lowers[i]);
    }
    if (fsconfig_str(fs, "upperdir", upper) < 0) FAIL("overlay upperdir %s", upper);
    if (fsconfig_str(fs, "workdir", work) < 0) FAIL("overlay workdir %s", work);
    if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) FAIL("create the overlay");
    result = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
    if (result < 0) FAIL("fsmount overlay");
out:;
    int e = errno;
    for (int i = 0; i < nl; i++) close(lower_fds[i]);
    if (fs >= 0) close(fs);
    if (tmp >= 0) close(tmp);
    errno = e;
    return result;
}

pid_t cshim_spawn_userns(const char *path, char *const argv[], char *const envp[],
                         const struct cshim_spawn_attr *attr, const struct cshim_userns *u,
                         int *exec_errno, char *err, size_t errlen) {
    const size_t stack_size = 256 * 1024;
    if (exec_errno) *exec_errno = 0;
    if (errlen) err[0] = 0;
    int sock[2] = { -1, -1 }, report[2] = { -1, -1 }, userns_fd = -1;
    int mounts[CSHIM_MAX_MOUNT_FDS], nmounts = 0;
    if (u->nbinds < 0 || u->nbinds > CSHIM_MAX_MOUNT_FDS - 1) { snprintf(err, errlen, "%d binds", u->nbinds); errno = E2BIG; return -1; }
    pid_t pid = -1;
    void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) { snprintf(err, errlen, "mmap"); return -1; }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) < 0 || pipe2(report, O_CLOEXEC) < 0) {
        int e = errno;
        snprintf(err, errlen, "socketpair");
        if (sock[0] >= 0) { close(sock[0]); close(sock[1]); }
        munmap(stack, stack_size);
        errno = e;
        return -1;
    }
    struct spawn_args a = { path, argv, envp, attr, 0, sock[1], report[1], u };
    // No CLONE_VFORK: the parent must run while the child waits for its maps.
    unsigned long flags = CLONE_VM | SIGCHLD | CLONE_NEWUSER | (attr ? attr->clone_flags : 0);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = clone(spawn_child, (char *)stack + stack_size, (int)flags, &a);
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(sock[1]);
    close(report[1]);
    errno = saved;
    if (pid < 0) { snprintf(err, errlen, "clone"); goto out; }
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/uid_map", pid);
    if (write_file(p, u->uid_map) < 0) FAIL("write %s", p);
    snprintf(p, sizeof p, "/proc/%d/gid_map", pid);
    if (write_file(p, u->gid_map) < 0) FAIL("write %s", p);
    snprintf(p, sizeof p, "/proc/%d/ns/user", pid);
    userns_fd = open(p, O_RDONLY | O_CLOEXEC);
    if (userns_fd < 0) FAIL("open %s", p);
    if (u->rootfs_fd_index >= 0 && (u->nlowers > 0 || u->rootfs)) {
        int root = build_root(u, userns_fd, err, errlen);
        if (root < 0) goto out;
        mounts[nmounts++] = root;
    }
    for (int i = 0; i < u->nbinds; i++) {
        int fd = u->bind_idmap && u->bind_idmap[i]
            ? idmapped_tree(u->binds[i], userns_fd, AT_RECURSIVE)
            : (int)syscall(SYS_open_tree, AT_FDCWD, u->binds[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (fd < 0) FAIL("%s of bind source %s", u->bind_idmap && u->bind_idmap[i] ? "idmap mount" : "open_tree", u->binds[i]);
        mounts[nmounts++] = fd;
    }
    if (send_go(sock[0], mounts, nmounts) < 0) FAIL("release the child");
    // EOF: the exec closed the child's end; an int: the errno of the step that failed.
    int e = 0;
    ssize_t n;
    do { n = read(report[0], &e, sizeof e); } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof e) {
        waitpid(pid, NULL, 0);
        if (exec_errno) *exec_errno = e;
    }
out:;
    int e2 = errno;
    if (err[0] && pid > 0) {
        // Killed while it waits for the go: nothing of it ran.
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        pid = -1;
    }
    for (int i = 0; i < nmounts; i++) close(mounts[i]);
    if (userns_fd >= 0) close(userns_fd);
    close(sock[0]);
    close(report[0]);
    munmap(stack, stack_size);
    errno = e2;
    return pid;
}
