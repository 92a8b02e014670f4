/// `--sdnotify=container`: what of a container's sd_notify datagram goes on to the unit's
/// $NOTIFY_SOCKET. The monitor is the unit's main process (the CLI said MAINPID=<monitor>
/// first), so its messages count; the container's own MAINPID would name a pid of another
/// namespace and is dropped, as are file-descriptor store requests (no descriptors are passed
/// on). conmon passes READY=1 and WATCHDOG=1 only; the state lines systemd documents for a
/// service (STATUS=, RELOADING=1, STOPPING=1, ERRNO=, EXTEND_TIMEOUT_USEC=, ...) go on as well.
public enum NotifyRelay {
    /// The container's socket, relative to the container's directory, and where it appears
    /// inside the container (podman's path).
    public static let hostDirectory = "notify"
    public static let socketName = "notify.sock"
    public static let containerDirectory = "/run/notify"
    public static var containerSocket: String { containerDirectory + "/" + socketName }

    /// The variables a container may set on its unit.
    public static let forwarded: Set<String> = [
        "READY", "STATUS", "RELOADING", "STOPPING", "ERRNO", "BUSERROR", "WATCHDOG", "WATCHDOG_USEC",
        "EXTEND_TIMEOUT_USEC", "MONOTONIC_USEC",
    ]

    /// The lines of `datagram` to pass on ("VAR=value\n" each), or nil when none is.
    public static func forwardable(_ datagram: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        for line in datagram.split(separator: UInt8(ascii: "\n")) {
            guard let eq = line.firstIndex(of: UInt8(ascii: "=")),
                  forwarded.contains(String(decoding: line[line.startIndex..<eq], as: UTF8.self)) else { continue }
            out += line
            out.append(UInt8(ascii: "\n"))
        }
        return out.isEmpty ? nil : out
    }
}
