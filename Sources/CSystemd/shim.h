// libsystemd (Debian libsystemd-dev): sd-bus for the systemd cgroup driver (transient scopes
// over D-Bus). Only the non-variadic calls are used from Swift.
#include <systemd/sd-bus.h>
// sd-journal: `cnc logs` reads a journald container's entries back.
#include <systemd/sd-journal.h>
