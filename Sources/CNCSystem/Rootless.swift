import CNCCore
import CShim
import Glibc

/// Rootless cnc: an unprivileged user's commands run in that user's rootless namespaces (a user
/// namespace mapped from /etc/subuid and /etc/subgid, and a mount namespace, kept by a pause
/// process), podman's design. The joining is C (cshim_rootless_enter): it needs one thread.
public enum Rootless {
    /// Enters the user's rootless namespaces when the effective uid is not 0, first thing in
    /// main (one geteuid for root). A failure is reported as the CLI reports errors (status 125).
    public static func enterIfUnprivileged() {
        guard geteuid() != 0 else { return }
        var buffer = [CChar](repeating: 0, count: 1024)
        if cshim_rootless_enter(&buffer, buffer.count) != 0 {
            let message = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            writeStderr("Error: \(message)\n")
            exit(125)
        }
    }

    /// True when this process would join (or create) the rootless namespaces: unprivileged and
    /// not in them yet.
    public static var wouldEnter: Bool { geteuid() != 0 }

    /// The user's host uid when this process runs rootless (inside the namespaces), else nil.
    public static var hostUID: UInt32? {
        guard let text = getenv(CSHIM_ROOTLESS_ENV) else { return nil }
        return UInt32(String(cString: text))
    }

    public static var isActive: Bool { getenv(CSHIM_ROOTLESS_ENV) != nil }

    /// Why rootless cnc refuses a network driver (nil: it serves it). Rootless networks are
    /// bridges in the user's rootless network namespace, which holds none of the host's
    /// interfaces: a macvlan or ipvlan has no parent there, and CNI plugins expect the host's
    /// namespace and root (Docker refuses macvlan rootless; podman accepts it and fails at run).
    public static func networkDriverRefusal(_ driver: String) -> String? {
        switch driver {
        case "macvlan", "ipvlan":
            return "rootless cnc does not support \(driver) networks: rootless networks live in the user's rootless network "
                + "namespace, which has no access to the host's interfaces (a \(driver) needs its parent interface); use a bridge network"
        case "cni":
            return "rootless cnc does not support CNI networks: CNI plugins act on the host's network namespace as root, and "
                + "rootless networks live in the user's rootless network namespace; use a bridge network"
        default:
            return nil
        }
    }

    /// The user's host gid when rootless (the host id this namespace's gid 0 maps to).
    public static var hostGID: UInt32? {
        guard isActive, let text = try? FileSystem.readText("/proc/self/gid_map") else { return nil }
        return namespaceMaps(text).first(where: { $0.containerID == 0 })?.hostID
    }

    /// How many ids the user's namespace has besides 0 (the user): its subordinate ids, the
    /// fewer of uids and gids (0 when not rootless).
    public static var subordinateCount: UInt32 {
        func count(_ file: String) -> UInt32 {
            namespaceMaps((try? FileSystem.readText(file)) ?? "").filter { $0.containerID != 0 }.reduce(0) { $0 + $1.size }
        }
        return isActive ? min(count("/proc/self/uid_map"), count("/proc/self/gid_map")) : 0
    }

    /// The lines of a /proc/PID/uid_map text.
    public static func namespaceMaps(_ text: String) -> [IDMap] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ").compactMap { UInt32($0) }
            return f.count == 3 ? IDMap(containerID: f[0], hostID: f[1], size: f[2]) : nil
        }
    }

    /// The runtime directory ($XDG_RUNTIME_DIR/cnc, else /tmp/cnc-UID): the default rootless
    /// state root's run root and the pause process's pid file.
    public static var runtimeDirectory: String? {
        getenv(CSHIM_ROOTLESS_RUNDIR_ENV).map { String(cString: $0) }
    }

    /// What a child that runs cnc again must inherit (the monitor and its hooks, which get a
    /// clean environment): empty when not rootless.
    public static var environment: [String] {
        guard let uid = getenv(CSHIM_ROOTLESS_ENV), let dir = getenv(CSHIM_ROOTLESS_RUNDIR_ENV) else { return [] }
        return [CSHIM_ROOTLESS_ENV + "=" + String(cString: uid), CSHIM_ROOTLESS_RUNDIR_ENV + "=" + String(cString: dir)]
    }

    /// True when XDG_RUNTIME_DIR was not usable and the runtime directory is /tmp/cnc-UID.
    public static var usesFallbackRuntimeDirectory: Bool {
        guard let dir = runtimeDirectory else { return false }
        return dir.hasPrefix("/tmp/cnc-")
    }

    /// The default rootless state root: $XDG_DATA_HOME/cnc, else $HOME/.local/share/cnc.
    public static var defaultStateRoot: String? {
        guard isActive else { return nil }
        if let xdg = getenv("XDG_DATA_HOME").map({ String(cString: $0) }), xdg.hasPrefix("/") { return xdg + "/cnc" }
        let home = getenv("HOME").map { String(cString: $0) } ?? "/"
        return (home == "/" ? "" : home) + "/.local/share/cnc"
    }
}

extension Rootless {
    /// The subordinate id ranges (start, count) of user `name` / `uid` in /etc/subuid-format
    /// `text`, in file order (what cnc maps after the user's own id).
    public static func subordinateRanges(_ text: String, name: String?, uid: UInt32) -> [(start: UInt64, count: UInt64)] {
        var pairs = [(UInt, UInt)](repeating: (0, 0), count: 16)
        let n = Int(cshim_subid_ranges(text, name, uid, &pairs, Int32(pairs.count)))
        return pairs.prefix(min(n, pairs.count)).map { (UInt64($0.0), UInt64($0.1)) }
    }
}
