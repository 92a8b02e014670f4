// libsystemd (Debian libsystemd-dev): sd-bus for the systemd cgroup driver (transient scopes
// over D-Bus). Only the non-variadic calls are used from Swift.
#include <systemd/sd-bus.h>
