#define _GNU_SOURCE
#include "cshim_fs.h"
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <errno.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct cshim_open_how { uint64_t flags; uint64_t mode; uint64_t resolve; };

int cshim_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct cshim_open_how how = { flags, mode, resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

dev_t cshim_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }
