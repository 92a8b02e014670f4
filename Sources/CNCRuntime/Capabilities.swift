import CNCCore

/// Linux capability names and Docker's default set.
public enum Capabilities {
    public static let all: [String] = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE",
    ]

    public static let dockerDefaults: [String] = [
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP",
        "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
    ]

    /// "cap_net_admin", "NET_ADMIN", "CAP_NET_ADMIN" -> "NET_ADMIN".
    public static func normalize(_ name: String) throws -> String {
        var n = name.uppercased()
        if n.hasPrefix("CAP_") { n = String(n.dropFirst(4)) }
        guard n == "ALL" || all.contains(n) else { throw CNCError(.invalidArgument, "unknown capability \"\(name)\"") }
        return n
    }

    /// Docker's rule: defaults, minus drops, plus adds ("ALL" on either side).
    public static func effective(add: [String], drop: [String]) throws -> [String] {
        let a = try add.map(normalize), d = try drop.map(normalize)
        var set = d.contains("ALL") ? [] : dockerDefaults.filter { !d.contains($0) }
        if a.contains("ALL") { set = all.filter { !d.contains($0) || a.contains($0) } }
        for c in a where c != "ALL" && !set.contains(c) { set.append(c) }
        return set
    }

    public static func number(_ name: String) -> Int? { all.firstIndex(of: name) }
}
