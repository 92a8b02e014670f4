// The few calls Swift cannot make safely or at all: clone into namespaces and exec without
// running Swift in the child, and syscalls glibc does not wrap.
#ifndef CSHIM_H
#define CSHIM_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// How cshim_spawn prepares the child between clone and exec (async-signal-safe steps only).
struct cshim_spawn_attr {
    /// CLONE_NEW* flags for the child (0 for none). CLONE_VM|CLONE_VFORK|SIGCHLD are added.
    unsigned long clone_flags;
    /// The child's fd i becomes a duplicate of fd_map[i]; -1 leaves fd i closed.
    const int *fd_map;
    int fd_map_len;
    /// Call setsid() in the child.
    int new_session;
    /// After setsid, make this child fd (an index into fd_map) the controlling terminal; -1: none.
    int controlling_tty;
    /// chdir here before exec (NULL: keep).
    const char *cwd;
    /// PR_SET_PDEATHSIG for the child (0: none): sent when the thread that spawned it exits
    /// (so that thread must outlive the child). `parent_pid` is the spawner's pid (getpid()):
    /// when it died before the prctl took hold, the child kills itself with the same signal
    /// (0: no such check, when /proc is another pid namespace's: cshim_proc_shows_own_pid).
    int parent_death_signal;
    pid_t parent_pid;
};

/// True when /proc/self/stat shows getpid() (the mounted /proc is our pid namespace's).
int cshim_proc_shows_own_pid(void);

/// Clones a child into new namespaces with CLONE_VM|CLONE_VFORK and execs `path`. Every fd of
/// the child past fd_map_len is marked close-on-exec, so nothing of the parent leaks. Returns the
/// child's pid (in the caller's pid namespace), or -1 with errno set; when the exec itself fails
/// the child exits 127 and `*exec_errno` holds its errno (else 0).
pid_t cshim_spawn(const char *path, char *const argv[], char *const envp[],
                  const struct cshim_spawn_attr *attr, int *exec_errno);

/// A user namespace for cshim_spawn_userns: its maps, and the container root the parent builds
/// with the namespace's idmap (the container cannot: idmapping a host file system needs
/// CAP_SYS_ADMIN in the host's user namespace).
struct cshim_userns {
    /// /proc/PID/uid_map and gid_map text ("CONTAINER HOST SIZE\n" lines).
    const char *uid_map;
    const char *gid_map;
    /// Host ids of the container's root (owner of an ephemeral upper dir).
    unsigned root_uid, root_gid;
    /// Overlay lower dirs, top-most first, each idmapped; nlowers 0 with `rootfs`: that dir
    /// itself, idmapped (--rootfs); neither: no root is built.
    const char *const *lowers;
    int nlowers;
    /// Upper and work dirs (owned by the container's root); NULL upper: a tmpfs of their own.
    const char *upper, *work;
    const char *rootfs;
    /// The fd_map index where the detached root mount lands in the child (-1: none).
    int rootfs_fd_index;
    /// Bind sources, opened by the parent as detached mounts (recursive; idmapped where
    /// bind_idmap[i]): the container's root cannot reach the state root's paths. Bind i lands
    /// at fd_map index bind_fd_base + i (the caller's fd_map covers it).
    const char *const *binds;
    const int *bind_idmap;
    int nbinds;
    int bind_fd_base;
};

/// cshim_spawn into a new user namespace (attr->clone_flags gets CLONE_NEWUSER): the parent
/// writes the id maps and builds the root mount while the child waits (CLONE_VM without
/// CLONE_VFORK, so the parent runs meanwhile; it returns only once the child exec'd or died);
/// the child then becomes the namespace's root (setresgid/setgroups/setresuid 0 after its
/// chdir, so a cwd only host root may enter still works) and execs. On a failure before the
/// exec: -1, errno, and `err` says which step.
pid_t cshim_spawn_userns(const char *path, char *const argv[], char *const envp[],
                         const struct cshim_spawn_attr *attr, const struct cshim_userns *userns,
                         int *exec_errno, char *err, size_t errlen);

/// Namespace clone flags (glibc exposes them only under _GNU_SOURCE).
enum {
    CSHIM_CLONE_NEWNS = 0x00020000,
    CSHIM_CLONE_NEWCGROUP = 0x02000000,
    CSHIM_CLONE_NEWUTS = 0x04000000,
    CSHIM_CLONE_NEWIPC = 0x08000000,
    CSHIM_CLONE_NEWUSER = 0x10000000,
    CSHIM_CLONE_NEWPID = 0x20000000,
    CSHIM_CLONE_NEWNET = 0x40000000,
};

/// pipe2(fds, O_CLOEXEC).
int cshim_pipe_cloexec(int fds[2]);
/// mkostemp(template, O_CLOEXEC).
int cshim_mkstemp_cloexec(char *template_path);

int cshim_pivot_root(const char *new_root, const char *put_old);
int cshim_setns(int fd, int nstype);
int cshim_unshare(int flags);
/// close_range(2); with flags = CLOSE_RANGE_CLOEXEC (4) marks instead of closing.
int cshim_close_range(unsigned int first, unsigned int last, unsigned int flags);
int cshim_set_no_new_privs(void);
int cshim_set_dumpable(int dumpable);
int cshim_set_pdeathsig(int sig);
int cshim_set_child_subreaper(void);
/// pidfd_open(2) (close-on-exec) and pidfd_send_signal(2): signal a process by a handle that
/// cannot come to mean another process when its pid is reused.
int cshim_pidfd_open(pid_t pid);
int cshim_pidfd_send_signal(int pidfd, int sig);
/// memfd_create(2) with MFD_CLOEXEC|MFD_ALLOW_SEALING.
int cshim_memfd_create(const char *name);

/// A connected AF_UNIX stream socket pair, both ends close-on-exec.
int cshim_socketpair_cloexec(int fds[2]);
/// Receives one file descriptor (SCM_RIGHTS, close-on-exec) sent with one byte; -1 and errno
/// (EPIPE when the peer closed without sending) otherwise.
int cshim_recv_fd(int sock);
/// Puts a terminal in raw mode, remembering its settings for cshim_tty_restore.
int cshim_tty_raw(int fd);
void cshim_tty_restore(void);
/// Copies the window size of terminal `from` to `to`.
int cshim_tty_copy_size(int from, int to);
/// The window size of terminal `fd`; -1 when it is not a terminal.
int cshim_tty_get_size(int fd, unsigned short *rows, unsigned short *cols);
int cshim_tty_set_size(int fd, unsigned short rows, unsigned short cols);

/// A listening AF_UNIX SOCK_SEQPACKET socket bound at `path` (non-blocking, close-on-exec), for
/// `cnc attach`. A path longer than sun_path is reached through /proc/self/fd of its
/// directory (conmon's way). -1 and errno.
int cshim_listen_seqpacket(const char *path);
/// A nonblocking datagram socket bound to `path` (long paths as above); -1 with errno.
int cshim_bind_dgram(const char *path);
/// A close-on-exec SOCK_SEQPACKET connection to `path` (same path rule); -1 and errno.
int cshim_connect_seqpacket(const char *path);
/// A close-on-exec SOCK_STREAM connection to `path` (same path rule); -1 and errno.
int cshim_connect_stream(const char *path);
/// accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC.
int cshim_accept_nonblocking(int listener);

/// Docker's sig-proxy: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1/2 and SIGWINCH delivered to this
/// process are sent to `pid` instead. Call with 0 first to catch (and hold) them while the
/// container starts; the held ones are delivered when called with the pid.
int cshim_forward_signals(pid_t pid);
/// The first of SIGINT, SIGTERM, SIGHUP, SIGQUIT held by cshim_forward_signals(0), else 0 (still held).
int cshim_forward_held_interrupt(void);
/// The first of SIGINT, SIGTERM, SIGHUP, SIGQUIT received (forwarded or held) since the last
/// cshim_forward_reset_interrupted, else 0.
int cshim_forward_interrupted(void);
void cshim_forward_reset_interrupted(void);
/// Forgets the stop signals held, so cshim_stop_forwarding_signals does not raise them (the
/// caller reports the interruption itself).
void cshim_forward_drop_held_interrupts(void);
/// Restores the default dispositions cshim_forward_signals replaced and raises the signals it held.
int cshim_stop_forwarding_signals(void);
/// `-t` in the foreground: SIGWINCH (the caller's terminal was resized) is passed on to `pid`
/// (the container's monitor, which gives the container's terminal the new size).
int cshim_forward_window_changes(pid_t pid);

/// Blocks SIGCHLD and SIGUSR1 and returns a non-blocking, close-on-exec signalfd for them.
int cshim_signalfd_sigchld(void);

/// A non-blocking, close-on-exec eventfd (cgroup v1 memory.oom_control notifications).
int cshim_eventfd(void);

/// statfs(2)'s f_type of the file system holding `path` (TMPFS_MAGIC, EXT4_SUPER_MAGIC, ...);
/// -1 when it cannot be examined.
long cshim_fs_type(const char *path);

#ifdef __cplusplus
}
#endif
#endif
