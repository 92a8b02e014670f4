#define _GNU_SOURCE
#include "cshim_fs.h"
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <linux/fs.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct cshim_open_how { uint64_t flags; uint64_t mode; uint64_t resolve; };

int cshim_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    // Always close-on-exec: no descriptor of cnc's may reach a container (CVE-2024-21626 class).
    struct cshim_open_how how = { flags | O_CLOEXEC, (flags & O_CREAT) ? mode : 0, resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

dev_t cshim_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }

int cshim_mark_topdir(int fd) {
    // FS_IOC_GETFLAGS/SETFLAGS take an int, whatever their encoded size says (as chattr does).
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) return -1;
    if (flags & FS_TOPDIR_FL) return 0;
    flags |= FS_TOPDIR_FL;
    return ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

int cshim_is_topdir(int fd) {
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) return -1;
    return (flags & FS_TOPDIR_FL) ? 1 : 0;
}
