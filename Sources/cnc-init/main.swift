// cnc-init: the first process of every container and the `cnc exec` helper. Glibc only and
// statically linked, so it runs inside any rootfs and starts in about a millisecond. Its logic
// is C (the CInit target): mounts, pivot_root, capabilities and seccomp are syscalls, and
// nothing may start threads before the workload's exec.
import CInit
import Glibc

exit(cinit_main(CommandLine.argc, CommandLine.unsafeArgv))
