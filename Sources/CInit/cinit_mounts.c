// The container's file system: overlay root, /proc, /sys, /dev, volumes, masks, pivot_root.
#include "cinit_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

enum { MUST_EXIST, MAKE_DIR, MAKE_FILE };

static int openat2_in_root(int rootfd, const char *path, int flags) {
    struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC), .mode = 0,
                            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/// Opens `path` (absolute inside the container) as O_PATH, resolving every symlink inside
/// `rootfd` so a hostile image cannot point a mount target at the host. Creates what is
/// missing when asked. Returns the fd or -1.
static int open_in_root(int rootfd, const char *path, int mode) {
    while (*path == '/') path++;
    if (!*path) return fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
    int fd = openat2_in_root(rootfd, path, O_PATH);
    if (fd >= 0 || errno != ENOENT || mode == MUST_EXIST) return fd;
    // Walk component by component, creating directories (and the last as a file if asked).
    char buf[4096];
    if (strlen(path) >= sizeof buf) { errno = ENAMETOOLONG; return -1; }
    strcpy(buf, path);
    int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
    char *p = buf;
    while (p && *p) {
        char *slash = strchr(p, '/');
        if (slash) *slash = 0;
        int last = !slash || !slash[1];
        int next = openat2_in_root(cur, p, O_PATH);
        if (next < 0 && errno == ENOENT) {
            if (last && mode == MAKE_FILE) {
                int f = openat(cur, p, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (f >= 0) close(f);
            } else {
                mkdirat(cur, p, 0755);
            }
            next = openat2_in_root(cur, p, O_PATH);
        }
        close(cur);
        if (next < 0) return -1;
        cur = next;
        p = slash ? slash + 1 : NULL;
        while (p && *p == '/') p++;
    }
    return cur;
}

static const char *fdpath(int fd, char *buf) {
    snprintf(buf, 64, "/proc/self/fd/%d", fd);
    return buf;
}

static void mount_at(int rootfd, const char *dst, int mode, const char *src, const char *type,
                     unsigned long flags, const char *data) {
    int fd = open_in_root(rootfd, dst, mode);
    if (fd < 0) cinit_die(125, "open mount target %s in the container: %s", dst, strerror(errno));
    char p[64];
    if (mount(src, fdpath(fd, p), type, flags, data) < 0)
        cinit_die(125, "mount %s (%s) on %s: %s", src ? src : "none", type ? type : "bind", dst, strerror(errno));
    close(fd);
}

static void remount_ro(int rootfd, const char *dst, unsigned long extra) {
    int fd = open_in_root(rootfd, dst, MUST_EXIST);
    if (fd < 0) return;
    char p[64];
    if (mount(NULL, fdpath(fd, p), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | extra, NULL) < 0)
        cinit_die(125, "remount %s read-only: %s", dst, strerror(errno));
    close(fd);
}

static void bind_volume(int rootfd, const struct cinit_bind *b) {
    if (strncmp(b->src, "fd:", 3) == 0) {
        // In a user namespace: the parent's detached copy of the source (idmapped for :idmap).
        int src = atoi(b->src + 3);
        struct stat st;
        if (fstat(src, &st) < 0) cinit_die(125, "bind source %s: %s", b->src, strerror(errno));
        int dst = open_in_root(rootfd, b->dst, S_ISDIR(st.st_mode) ? MAKE_DIR : MAKE_FILE);
        if (dst < 0) cinit_die(125, "open bind target %s in the container: %s", b->dst, strerror(errno));
        if (syscall(SYS_move_mount, src, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
            cinit_die(125, "bind on %s: %s", b->dst, strerror(errno));
        close(src);
        close(dst);
        if (strstr(b->opts, "ro")) remount_ro(rootfd, b->dst, 0);
        return;
    }
    int src = open(b->src, O_PATH | O_CLOEXEC);
    if (src < 0) cinit_die(125, "open bind source %s: %s", b->src, strerror(errno));
    struct stat st;
    if (fstat(src, &st) < 0) cinit_die(125, "stat %s: %s", b->src, strerror(errno));
    int dst = open_in_root(rootfd, b->dst, S_ISDIR(st.st_mode) ? MAKE_DIR : MAKE_FILE);
    if (dst < 0) cinit_die(125, "open bind target %s in the container: %s", b->dst, strerror(errno));
    char ps[64], pd[64];
    if (mount(fdpath(src, ps), fdpath(dst, pd), NULL, MS_BIND | MS_REC, NULL) < 0)
        cinit_die(125, "bind %s on %s: %s", b->src, b->dst, strerror(errno));
    close(src);
    if (strstr(b->opts, "ro")) {
        // Re-open: the target fd points at the dentry under the new mount's covered one.
        close(dst);
        remount_ro(rootfd, b->dst, 0);
    } else {
        close(dst);
    }
}

int cinit_proc_sys_fd = -1;
/// The new root between cinit_setup_rootfs and cinit_enter_rootfs.
static int saved_rootfd = -1;
static char saved_target[4200];
static int bind_cgroups(const struct cinit_conf *c, int tolerant);

/// `--device`: the host's node, made at its path in the container (replacing what is there).
static void make_device(int rootfd, const struct cinit_device *d) {
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", d->path);
    char *slash = strrchr(parent, '/');
    if (!slash || !slash[1]) cinit_die(125, "device path %s has no file name", d->path);
    const char *name = d->path + (slash - parent) + 1;
    if (slash == parent) parent[1] = 0; else *slash = 0;
    int dir = open_in_root(rootfd, parent, MAKE_DIR);
    char p[64];
    int dirfd = dir < 0 ? -1 : open(fdpath(dir, p), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (dirfd < 0) cinit_die(125, "open %s for device %s: %s", parent, d->path, strerror(errno));
    close(dir);
    unlinkat(dirfd, name, 0);
    mode_t old = umask(0);
    int r = mknodat(dirfd, name, (mode_t)d->mode, makedev(d->major, d->minor));
    umask(old);
    if (r < 0) cinit_die(125, "mknod %s (%u:%u): %s", d->path, d->major, d->minor, strerror(errno));
    if (fchownat(dirfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0) cinit_die(125, "chown %s: %s", d->path, strerror(errno));
    close(dirfd);
}

/// True when this process's user namespace is not the host's (rootless cnc: every container is
/// in the user's namespace even without --userns): no device node can be made there.
static int in_child_userns(void) {
    char buf[128] = "";
    int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 1;
    buf[n] = 0;
    unsigned long inside, outside, count;
    return sscanf(buf, "%lu %lu %lu", &inside, &outside, &count) != 3 || inside != 0 || outside != 0 || count != 4294967295UL;
}

static void make_dev(int rootfd, long long shm_size, int shm_host, int userns) {
    if (!userns) userns = in_child_userns();
    mount_at(rootfd, "/dev", MAKE_DIR, "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
    int dev = open_in_root(rootfd, "/dev", MUST_EXIST);
    if (dev < 0) cinit_die(125, "open /dev: %s", strerror(errno));
    int devfd = openat(dev, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    close(dev);
    if (devfd < 0) cinit_die(125, "open /dev: %s", strerror(errno));
    static const struct { const char *name; int major, minor; } nodes[] = {
        {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
    };
    mode_t old = umask(0);
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        if (userns) {
            // No device nodes in a user namespace: the host's, bound (runc's and podman's way).
            char host[64], p[64];
            snprintf(host, sizeof host, "/dev/%s", nodes[i].name);
            int f = openat(devfd, nodes[i].name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
            if (f < 0 || mount(host, fdpath(f, p), NULL, MS_BIND, NULL) < 0)
                cinit_die(125, "bind %s: %s", host, strerror(errno));
            close(f);
        } else if (mknodat(devfd, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0)
            cinit_die(125, "mknod /dev/%s: %s", nodes[i].name, strerror(errno));
    }
    umask(old);
    static const struct { const char *target, *name; } links[] = {
        {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"}, {"/proc/kcore", "core"},
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) symlinkat(links[i].target, devfd, links[i].name);
    mkdirat(devfd, "pts", 0755);
    mkdirat(devfd, "shm", 01777);
    mkdirat(devfd, "mqueue", 0755);
    close(devfd);
    mount_at(rootfd, "/dev/pts", MAKE_DIR, "devpts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
    if (shm_host) {
        mount_at(rootfd, "/dev/shm", MAKE_DIR, "/dev/shm", NULL, MS_BIND | MS_REC, NULL);
    } else {
        char shm[64];
        snprintf(shm, sizeof shm, "mode=1777,size=%lld", shm_size > 0 ? shm_size : 64LL << 20);
        mount_at(rootfd, "/dev/shm", MAKE_DIR, "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm);
    }
    mount_at(rootfd, "/dev/mqueue", MAKE_DIR, "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

static void mask_path(int rootfd, const char *path) {
    int fd = open_in_root(rootfd, path, MUST_EXIST);
    if (fd < 0) return;  // Not there: nothing to hide.
    struct stat st;
    char p[64];
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (mount("tmpfs", fdpath(fd, p), "tmpfs", MS_RDONLY, "size=0") < 0)
            cinit_die(125, "mask %s: %s", path, strerror(errno));
    } else if (mount("/dev/null", fdpath(fd, p), NULL, MS_BIND, NULL) < 0) {
        cinit_die(125, "mask %s: %s", path, strerror(errno));
    }
    close(fd);
}

/// Hands `fd` to the process at the other end of the unix socket `sock` (SCM_RIGHTS).
static int send_fd(int sock, int fd) {
    char byte = 'T';
    struct iovec iov = { &byte, 1 };
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    memset(&u, 0, sizeof u);
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    ssize_t n;
    do { n = sendmsg(sock, &m, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

/// `-t`, as runc does it: the terminal comes from the container's own devpts, so the workload
/// sees /dev/pts/0 (ttyname(), `tty`, ps); its slave becomes stdin/out/err and /dev/console,
/// and the master goes to the monitor through the console socket (fd CINIT_CONSOLE_FD).
static void make_console(int rootfd) {
    char p[64], ps[64];
    int ptmx = open_in_root(rootfd, "/dev/pts/ptmx", MUST_EXIST);
    int master = ptmx < 0 ? -1 : open(fdpath(ptmx, p), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) cinit_die(125, "open the container's /dev/pts/ptmx: %s", strerror(errno));
    close(ptmx);
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0) cinit_die(125, "unlock the container's terminal: %s", strerror(errno));
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) cinit_die(125, "open the container's terminal: %s", strerror(errno));
    int console = open_in_root(rootfd, "/dev/console", MAKE_FILE);
    if (console < 0 || mount(fdpath(slave, ps), fdpath(console, p), NULL, MS_BIND, NULL) < 0)
        cinit_die(125, "bind the terminal on /dev/console: %s", strerror(errno));
    close(console);
    if (send_fd(CINIT_CONSOLE_FD, master) < 0) cinit_die(125, "hand the terminal to the monitor: %s", strerror(errno));
    close(master);
    close(CINIT_CONSOLE_FD);
    if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
        cinit_die(125, "make the terminal stdio: %s", strerror(errno));
    close(slave);
}

int cinit_setup_rootfs(const struct cinit_conf *c) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) cinit_die(125, "make / private: %s", strerror(errno));
    if (!c->rootfs) cinit_die(125, "no rootfs in the configuration");
    const char *target = c->rootfs;
    char upper[4200], work[4200], merged[4200];
    if (c->rootfs_fd >= 0) {
        // Relative to our cwd, the container's directory (its parents may be closed to us).
        target = "rootfs";
        if (syscall(SYS_move_mount, c->rootfs_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
            cinit_die(125, "move the container's root to %s: %s", target, strerror(errno));
        close(c->rootfs_fd);
    } else if (c->tmp_upper) {
        // Ephemeral containers (--rm) keep their writes on a tmpfs of their own mount namespace:
        // nothing to create or delete on the host's disk.
        if (mount("tmpfs", c->rootfs, "tmpfs", MS_NOSUID, "mode=0755") < 0)
            cinit_die(125, "mount tmpfs on %s: %s", c->rootfs, strerror(errno));
        snprintf(upper, sizeof upper, "%s/upper", c->rootfs);
        snprintf(work, sizeof work, "%s/work", c->rootfs);
        snprintf(merged, sizeof merged, "%s/merged", c->rootfs);
        if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0 || mkdir(merged, 0755) < 0)
            cinit_die(125, "prepare the ephemeral upper dir: %s", strerror(errno));
        target = merged;
    }
    if (c->rootfs_fd >= 0) {
        // Mounted above.
    } else if (c->nlowers > 0) {
        char opts[16384];
        size_t n = (size_t)snprintf(opts, sizeof opts, "lowerdir=");
        for (int i = 0; i < c->nlowers; i++)
            n += (size_t)snprintf(opts + n, sizeof opts - n, "%s%s", i ? ":" : "", c->lowers[i]);
        if (c->tmp_upper)
            n += (size_t)snprintf(opts + n, sizeof opts - n, ",upperdir=%s,workdir=%s", upper, work);
        else if (c->upper && c->work)
            n += (size_t)snprintf(opts + n, sizeof opts - n, ",upperdir=%s,workdir=%s", c->upper, c->work);
        if (n >= sizeof opts) cinit_die(125, "overlay options too long (%d layers)", c->nlowers);
        // volatile: the upper fs is not synced when the mount goes (a kernel before 5.10 refuses
        // the option: mounted without it then).
        int vol = c->volatile_upper && !c->tmp_upper && c->upper && c->work && n + 10 < sizeof opts;
        if (vol) memcpy(opts + n, ",volatile", 10);
        if (mount("overlay", target, "overlay", 0, opts) < 0) {
            int e = errno;
            if (vol) opts[n] = 0;
            if (!vol || e != EINVAL || mount("overlay", target, "overlay", 0, opts) < 0)
                cinit_die(125, "mount overlay on %s: %s", target, strerror(vol && e == EINVAL ? errno : e));
        }
    } else if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0) {
        cinit_die(125, "bind rootfs %s: %s", target, strerror(errno));
    }
    int rootfd = open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) cinit_die(125, "open rootfs %s: %s", c->rootfs, strerror(errno));

    mount_at(rootfd, "/proc", MAKE_DIR, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    if (c->netns == NULL || 1) {
        // sysfs of a network namespace we do not own is refused; fall back to a read-only bind.
        int fd = open_in_root(rootfd, "/sys", MAKE_DIR);
        char p[64];
        if (fd < 0) cinit_die(125, "open /sys: %s", strerror(errno));
        if (mount("sysfs", fdpath(fd, p), "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | (c->privileged ? 0 : MS_RDONLY), NULL) < 0) {
            if (mount("/sys", p, NULL, MS_BIND | MS_REC, NULL) < 0) cinit_die(125, "mount /sys: %s", strerror(errno));
            close(fd);
            remount_ro(rootfd, "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC);
        } else {
            close(fd);
        }
    }
    if (c->ncgroup_binds > 0 && !c->cgroup_unified) {
        // v1: a tmpfs of one directory per hierarchy; the binds come once we are in them.
        mount_at(rootfd, "/sys/fs/cgroup", MUST_EXIST, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
        int cg = open_in_root(rootfd, "/sys/fs/cgroup", MUST_EXIST);
        char p[64];
        int cgdir = cg < 0 ? -1 : open(fdpath(cg, p), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (cgdir < 0) cinit_die(125, "open /sys/fs/cgroup: %s", strerror(errno));
        close(cg);
        for (int i = 0; i < c->ncgroup_binds; i++)
            if (mkdirat(cgdir, c->cgroup_binds[i].value, 0755) < 0) cinit_die(125, "mkdir /sys/fs/cgroup/%s: %s", c->cgroup_binds[i].value, strerror(errno));
        for (int i = 0; i < c->ncgroup_links; i++)
            if (symlinkat(c->cgroup_links[i].value, cgdir, c->cgroup_links[i].key) < 0)
                cinit_die(125, "symlink /sys/fs/cgroup/%s: %s", c->cgroup_links[i].key, strerror(errno));
        close(cgdir);
    }
    make_dev(rootfd, c->shm_size, c->shm_host, c->userns);
    for (int i = 0; i < c->ndevices; i++) make_device(rootfd, &c->devices[i]);
    if (c->nsysctls > 0) {
        cinit_proc_sys_fd = open_in_root(rootfd, "/proc/sys", MUST_EXIST);
        if (cinit_proc_sys_fd < 0) cinit_die(125, "open /proc/sys: %s", strerror(errno));
    }
    if (c->tty) make_console(rootfd);
    for (int i = 0; i < c->nbinds; i++) bind_volume(rootfd, &c->binds[i]);
    for (int i = 0; i < c->ntmpfs; i++)
        mount_at(rootfd, c->tmpfs[i].dst, MAKE_DIR, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, c->tmpfs[i].opts);
    for (int i = 0; i < c->nmasks; i++) mask_path(rootfd, c->masks[i]);
    for (int i = 0; i < c->nropaths; i++) {
        int fd = open_in_root(rootfd, c->ropaths[i], MUST_EXIST);
        if (fd < 0) continue;
        char p[64];
        if (mount(fdpath(fd, p), p, NULL, MS_BIND | MS_REC, NULL) < 0) cinit_die(125, "bind %s: %s", c->ropaths[i], strerror(errno));
        close(fd);
        remount_ro(rootfd, c->ropaths[i], MS_NOSUID | MS_NODEV | MS_NOEXEC);
    }
    saved_rootfd = rootfd;
    snprintf(saved_target, sizeof saved_target, "%s", target);
    // The container's cgroups usually exist by now (made before init, or by the parent's second
    // thread meanwhile): bind them now, off the path after release, and enter the root too if
    // none is missing. Whatever is missing waits for release (cinit_enter_rootfs).
    if (bind_cgroups(c, 1) == 0) cinit_enter_rootfs(c);
    return 0;
}

static int cgroups_bound[32];

/// Binds each not yet bound cgroup directory read-only at /sys/fs/cgroup; with `tolerant`, a
/// directory not made yet is left for later. Returns how many are still missing.
static int bind_cgroups(const struct cinit_conf *c, int tolerant) {
    int missing = 0;
    for (int i = 0; i < c->ncgroup_binds; i++) {
        if (cgroups_bound[i]) continue;
        char dst[4200], p[64];
        if (c->cgroup_unified) snprintf(dst, sizeof dst, "/sys/fs/cgroup");
        else snprintf(dst, sizeof dst, "/sys/fs/cgroup/%s", c->cgroup_binds[i].value);
        if (tolerant && access(c->cgroup_binds[i].key, F_OK) < 0) { missing++; continue; }
        int fd = open_in_root(saved_rootfd, dst, MUST_EXIST);
        if (fd < 0 || mount(c->cgroup_binds[i].key, fdpath(fd, p), NULL, MS_BIND, NULL) < 0)
            cinit_die(125, "bind %s on %s: %s", c->cgroup_binds[i].key, dst, strerror(errno));
        close(fd);
        cgroups_bound[i] = 1;
    }
    if (missing == 0 && c->ncgroup_binds > 0 && !c->privileged) {
        // The tmpfs and every bind below it read-only in one call (one remount each otherwise).
        int fd = open_in_root(saved_rootfd, "/sys/fs/cgroup", MUST_EXIST);
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
        if (fd < 0 || syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
            cinit_die(125, "make /sys/fs/cgroup read-only: %s", strerror(errno));
        close(fd);
    }
    return missing;
}

void cinit_enter_rootfs(const struct cinit_conf *c) {
    if (saved_rootfd < 0) return;  // entered already, before release
    int rootfd = saved_rootfd;
    const char *target = saved_target;
    bind_cgroups(c, 0);
    close(rootfd);
    saved_rootfd = -1;

    // In a user namespace the host's binary is out of the container root's reach anyway (it
    // is a host id without privilege there), and the locked host mounts may refuse a remount.
    if (!c->userns) cinit_guard_own_binary(NULL);
    if (chdir(target) < 0) cinit_die(125, "chdir %s: %s", target, strerror(errno));
    if (syscall(SYS_pivot_root, ".", ".") < 0) cinit_die(125, "pivot_root %s: %s", c->rootfs, strerror(errno));
    if (umount2(".", MNT_DETACH) < 0) cinit_die(125, "detach the old root: %s", strerror(errno));
    if (chdir("/") < 0) cinit_die(125, "chdir /: %s", strerror(errno));
    if (c->readonly && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
        cinit_die(125, "remount / read-only: %s", strerror(errno));
}

/// CVE-2019-5736: a workload must never be able to write this binary through /proc/<pid>/exe.
/// In our private mount namespace, the mount our executable was loaded from becomes read-only
/// (the host's mount is untouched), so even a re-opened /proc/self/exe refuses writes.
int cinit_guard_own_binary(const char *by_path) {
    struct statx stx;
    if (statx(AT_FDCWD, "/proc/self/exe", 0, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
        cinit_die(125, "statx /proc/self/exe: %s", strerror(errno));
    size_t best = 0;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f) cinit_die(125, "open /proc/self/mountinfo: %s", strerror(errno));
    char line[8192];
    char mp[4096] = "";
    while (fgets(line, sizeof line, f)) {
        unsigned long long id;
        char point[4096];
        if (sscanf(line, "%llu %*u %*s %*s %4095s", &id, point) != 2) continue;
        size_t plen = strlen(point);
        // By path: the longest mount point that prefixes the binary's path (the mount ids of a
        // namespace we unshared after exec differ from the one the binary was loaded from).
        int matches = by_path ? (strncmp(by_path, point, plen) == 0 && (plen == 1 || by_path[plen] == '/') && plen >= best)
                              : id == stx.stx_mnt_id;
        if (matches) {
            best = plen;
            // Undo mountinfo's octal escapes (\040 for space).
            size_t o = 0;
            for (size_t i = 0; point[i] && o < sizeof mp - 1; i++) {
                if (point[i] == '\\' && point[i + 1] && point[i + 2] && point[i + 3]) {
                    mp[o++] = (char)((point[i + 1] - '0') * 64 + (point[i + 2] - '0') * 8 + (point[i + 3] - '0'));
                    i += 3;
                } else {
                    mp[o++] = point[i];
                }
            }
            mp[o] = 0;
            if (!by_path) break;
        }
    }
    fclose(f);
    if (!mp[0]) cinit_die(125, "cannot find the mount of /proc/self/exe");
    struct statfs_flags { int dummy; };
    if (mount(NULL, mp, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0 &&
        mount(NULL, mp, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
        cinit_die(125, "remount %s read-only: %s", mp, strerror(errno));
    return 0;
}

/// `cnc-init mount CONF`: the stopped container's root (its overlay) mounted in a private mount
/// namespace of this process, for `cnc cp` to reach through /proc/<pid>/root. Holds until stdin
/// closes; the mount dies with the namespace.
/// `readonly` (`cnc-init mount-ro CONF`, for `cnc export`): the upper dir becomes the top-most
/// lower of a read-only overlay instead: no workdir, so it does not contend with the running
/// container's own mount of the same upper dir, and whiteouts and opaque directories still
/// hide what they hide.
int cinit_hold_rootfs(const struct cinit_conf *c, int readonly) {
    if (unshare(CLONE_NEWNS) < 0) cinit_die(125, "unshare mount namespace: %s", strerror(errno));
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) cinit_die(125, "make / private: %s", strerror(errno));
    if (!c->rootfs || c->nlowers == 0) cinit_die(125, "no rootfs in the configuration");
    char opts[16384];
    size_t n = (size_t)snprintf(opts, sizeof opts, "lowerdir=");
    if (readonly && c->upper) n += (size_t)snprintf(opts + n, sizeof opts - n, "%s:", c->upper);
    for (int i = 0; i < c->nlowers; i++) n += (size_t)snprintf(opts + n, sizeof opts - n, "%s%s", i ? ":" : "", c->lowers[i]);
    if (!readonly && c->upper && c->work) n += (size_t)snprintf(opts + n, sizeof opts - n, ",upperdir=%s,workdir=%s", c->upper, c->work);
    if (n >= sizeof opts) cinit_die(125, "overlay options too long");
    if (mount("overlay", c->rootfs, "overlay", readonly ? MS_RDONLY : 0, opts) < 0) cinit_die(125, "mount overlay on %s: %s", c->rootfs, strerror(errno));
    if (write(1, "ready\n", 6) != 6) return 125;
    char b;
    while (read(0, &b, 1) > 0) {}
    return 0;
}
