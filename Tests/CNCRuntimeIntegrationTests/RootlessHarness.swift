import CNCCore
import CNCSystem
import Foundation
import Testing

/// Rootless cnc as a throwaway user: the harness (run as root) creates the user with a home and
/// an XDG_RUNTIME_DIR under a temp dir (and, unless told not to, a subordinate id range through
/// `usermod --add-subuids/--add-subgids`, as the README says), copies the built executables
/// where that user may run them, and runs `cnc` as the user with a clean environment. tearDown
/// removes the containers, the pause process and every other process of the user (by pid),
/// the user and its subordinate ids, and the temp dir.
final class RootlessHarness {
    let name: String
    let dir: String
    let uid: UInt32
    let gid: UInt32
    /// The subordinate range given to the user (nil: none, for the error tests).
    let subids: (start: UInt64, count: UInt64)?
    var home: String { dir + "/home" }
    var runtimeDir: String { dir + "/xdg" }
    var bin: String { dir + "/bin" }
    var stateRoot: String { home + "/.local/share/cnc" }
    var fallbackRuntimeDir: String { "/tmp/cnc-\(uid)" }
    /// PATH for the user's commands (newuidmap is in /usr/bin).
    var path = "/usr/bin:/bin"

    static let executables = ["cnc", "cnc-cli", "cnc-init", "cnc-monitor", "cnc-net", "cnc-dns", "cncapply", "cnc-registry"]

    static var canRun: Bool {
        getuid() == 0 && FileSystem.isExecutable(CNCHarness.binDir + "/cnc-init") && FileSystem.isExecutable("/usr/bin/newuidmap")
            && FileSystem.isExecutable("/usr/sbin/useradd")
    }

    init(subordinateIDs: Bool = true) throws {
        let tag = ContainerID.random().short.prefix(8)
        name = "cncrl\(tag)"
        dir = "/tmp/cnc-rootless-\(tag)"
        try FileSystem.createDirectory(dir, mode: 0o755)
        do {
            (uid, gid, subids) = try Self.makeUser(name, dir: dir, subordinateIDs: subordinateIDs)
        } catch {
            // Half made: the user (and its ranges) and the directory go again.
            _ = try? Self.root("/usr/sbin/userdel", [name])
            _ = try? Self.root("/bin/rm", ["-rf", "--one-file-system", dir])
            throw error
        }
        for d in [home, runtimeDir, bin] { try FileSystem.createDirectory(d, mode: d == runtimeDir ? 0o700 : 0o755) }
        for d in [home, runtimeDir] { try FileSystem.setOwner(d, uid: uid, gid: gid) }
        for e in Self.executables {
            try Self.root("/bin/cp", [CNCHarness.binDir + "/" + e, bin + "/" + e])
        }
        try Self.root("/bin/tar", ["-C", CNCHarness.rootfs, "-cf", dir + "/busybox.tar", "."])
    }

    private static func makeUser(_ name: String, dir: String, subordinateIDs: Bool) throws
        -> (UInt32, UInt32, (start: UInt64, count: UInt64)?) {
        // No automatic range (Debian's useradd adds one when login.defs says so): the test decides.
        try root("/usr/sbin/useradd", ["-M", "-d", dir + "/home", "-s", "/bin/sh", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", name])
        let ids = try root("/usr/bin/id", ["-u", name]) + " " + (try root("/usr/bin/id", ["-g", name]))
        let parts = ids.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt32($0) }
        guard parts.count == 2 else { throw CNCError(.internal, "id of \(name): \(ids)") }
        guard subordinateIDs else { return (parts[0], parts[1], nil) }
        // A range far from Debian's automatic ones (100000...), different per test user.
        let start = 400_000_000 + UInt64(parts[0] % 4096) * 65_536
        let range = "\(start)-\(start + 65_535)"
        try root("/usr/sbin/usermod", ["--add-subuids", range, "--add-subgids", range, name])
        return (parts[0], parts[1], (start, 65_536))
    }

    @discardableResult
    static func root(_ tool: String, _ args: [String]) throws -> String {
        let r = try Spawn.capture(tool, args, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        let out = String(decoding: r.stdout, as: UTF8.self)
        guard r.termination.shellStatus == 0 else {
            throw CNCError(.internal, "\(tool) \(args.joined(separator: " ")): \(String(decoding: r.stderr, as: UTF8.self))")
        }
        return out
    }

    /// `cnc ARGS` (or another of the copied executables) as the user, in the temp dir.
    @discardableResult
    func cnc(_ args: [String], tool: String = "cnc", env: [String: String] = [:]) throws -> CNCHarness.Result {
        var environment = ["PATH": path, "HOME": home, "XDG_RUNTIME_DIR": runtimeDir, "CNC_DNS_UPSTREAM": "none"]
        environment.merge(env) { _, new in new }
        environment = environment.filter { !$0.value.isEmpty }  // "" leaves a variable out
        let r = try Spawn.capture("/usr/sbin/runuser", ["-u", name, "--", "/usr/bin/env", "-i"]
                                    + environment.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" } + [bin + "/" + tool] + args,
                                  environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], workingDirectory: dir)
        return CNCHarness.Result(status: r.termination.shellStatus, out: String(decoding: r.stdout, as: UTF8.self),
                                 err: String(decoding: r.stderr, as: UTF8.self))
    }

    /// pasta needs /dev/net/tun open to users (0666, Debian's udev default). Hosts without udev
    /// (this test VM) leave it 0600: the test opens it for its duration and puts the mode back.
    func openTunForUsers() throws {
        var st = stat()
        guard stat("/dev/net/tun", &st) == 0 else { throw CNCError(.notFound, "/dev/net/tun is missing (modprobe tun)") }
        let mode = st.st_mode & 0o777
        if mode & 0o006 != 0o006 {
            tunMode = mode
            guard chmod("/dev/net/tun", 0o666) == 0 else { throw CNCError(.system, "chmod /dev/net/tun: errno \(errno)") }
        }
    }

    private var tunMode: mode_t?

    /// The pause process holding the user's namespaces, if one was recorded.
    var pausePID: Int32? {
        (try? FileSystem.readText(runtimeDir + "/cnc/pause.pid")).flatMap { Int32($0.trimmingSpaces) }
    }

    /// Every process whose real uid is the user's (from /proc/PID/status).
    func processes() -> [Int32] {
        let pids = ((try? FileSystem.listDirectory("/proc")) ?? []).compactMap { Int32($0) }
        return pids.filter { pid in
            guard let status = try? FileSystem.readText("/proc/\(pid)/status"),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { return false }
            return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.map(String.init) == String(uid)
        }
    }

    /// `processes()` that still run: a zombie is dead already, only waiting for its parent to
    /// reap it, and daemonized processes (pause, monitors, pasta, cnc-dns) have the host's PID 1
    /// as parent, which reaps them when it gets to it.
    func runningProcesses() -> [Int32] {
        // A process whose stat cannot be read was reaped since processes() listed it: gone.
        processes().filter { p in
            guard let stat = try? FileSystem.readText("/proc/\(p)/stat") else { return false }
            return !(stat.split(separator: ")").last ?? "").hasPrefix(" Z")
        }
    }

    /// The first host uid of /proc/PID/status's Uid line.
    static func hostUID(of pid: Int32) -> UInt32? {
        guard let status = try? FileSystem.readText("/proc/\(pid)/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { return nil }
        return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { UInt32($0) }
    }

    func tearDown() {
        defer { if let m = tunMode { _ = chmod("/dev/net/tun", m) } }
        if let ids = try? cnc(["ps", "-a", "-q", "--no-trunc"]).out.split(separator: "\n").map(String.init), !ids.isEmpty {
            _ = try? cnc(["rm", "-f", "-v"] + ids)
        }
        // The pause process first (its namespaces, and every mount in them, go with the last
        // process in them), then whatever else runs as the user or its subordinate ids.
        for file in [runtimeDir + "/cnc/pause.pid", fallbackRuntimeDir + "/pause.pid"] {
            if let p = (try? FileSystem.readText(file)).flatMap({ Int32($0.trimmingSpaces) }), RootlessHarness.hostUID(of: p) == uid { kill(p, SIGKILL) }
        }
        // Up to 5 s: a killed process that holds the last reference to a namespace (mounts, a
        // netns) is still 'R' or 'D' while the kernel tears that down, which under load (CI's
        // two cores busy with other suites) was seen taking over a second.
        for _ in 0..<250 {
            let left = runningProcesses() + subordinateProcesses()
            if left.isEmpty { break }
            for p in left { kill(p, SIGKILL) }
            usleep(20_000)
        }
        let left = runningProcesses()
        #expect(left.isEmpty, "processes of \(name) left behind: \(left.map { ((try? FileSystem.readText("/proc/\($0)/stat")) ?? "\($0) gone").prefix(80) })")
        if let s = subids {
            let range = "\(s.start)-\(s.start + s.count - 1)"
            _ = try? Self.root("/usr/sbin/usermod", ["--del-subuids", range, "--del-subgids", range, name])
        }
        _ = try? Self.root("/usr/sbin/userdel", [name])
        _ = try? Self.root("/bin/rm", ["-rf", "--one-file-system", dir])
        // The runtime directory cnc falls back to without XDG_RUNTIME_DIR, if a test made it.
        var st = stat()
        if lstat(fallbackRuntimeDir, &st) == 0, st.st_uid == uid { _ = try? Self.root("/bin/rm", ["-rf", "--one-file-system", fallbackRuntimeDir]) }
        let subuid = (try? FileSystem.readText("/etc/subuid")) ?? ""
        #expect(!subuid.contains(name + ":"), "subuid lines of \(name) left behind")
    }

    /// Processes running as one of the user's subordinate uids (a container's `--user`).
    private func subordinateProcesses() -> [Int32] {
        guard let s = subids else { return [] }
        let pids = ((try? FileSystem.listDirectory("/proc")) ?? []).compactMap { Int32($0) }
        return pids.filter { p in RootlessHarness.hostUID(of: p).map { UInt64($0) >= s.start && UInt64($0) < s.start + s.count } ?? false }
    }
}
