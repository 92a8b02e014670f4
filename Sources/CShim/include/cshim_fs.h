#ifndef CSHIM_FS_H
#define CSHIM_FS_H
#include <stdint.h>
#include <sys/types.h>
#include <sys/xattr.h>

/// O_PATH (glibc hides it without _GNU_SOURCE).
#define CSHIM_O_PATH 010000000

/// openat2(2) flags for resolution (linux/openat2.h), re-exported for Swift.
#define CSHIM_RESOLVE_NO_XDEV 0x01
#define CSHIM_RESOLVE_NO_MAGICLINKS 0x02
#define CSHIM_RESOLVE_NO_SYMLINKS 0x04
#define CSHIM_RESOLVE_BENEATH 0x08
#define CSHIM_RESOLVE_IN_ROOT 0x10

/// openat2(2) through syscall(2) (glibc has no wrapper), O_CLOEXEC always added; -1 and errno on failure.
int cshim_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);

/// makedev(3) (a macro, so Swift cannot call it).
dev_t cshim_makedev(unsigned int major, unsigned int minor);

/// Sets FS_TOPDIR_FL (chattr +T) on the directory open at `fd` unless it is set already.
/// 0 on success; -1 and errno otherwise (ENOTTY/EOPNOTSUPP where the file system has no such flag).
int cshim_mark_topdir(int fd);

/// 1 when FS_TOPDIR_FL is set on the file open at `fd`, 0 when not; -1 and errno where the file
/// system keeps no such flags.
int cshim_is_topdir(int fd);
#endif
