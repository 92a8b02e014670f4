import CNCCore
import CNCSystem
import Foundation

/// A real systemd booted as PID 1 of private namespaces (scripts/systemd-harness.sh), for the
/// systemd driver's tests on hosts whose PID 1 is not systemd. Commands run inside all its
/// namespaces, where its buses answer and pids are its own. `stop()` (or deinit) kills every
/// process in it by its PID 1 and removes the cgroups it made.
public final class SystemdHarness: @unchecked Sendable {
    public let name: String
    /// systemd's pid on the host.
    public let pid: Int32
    /// Seconds from launch until `systemctl is-system-running` said running.
    public let bootSeconds: Double
    private var stopped = false

    public static let script: String = {
        URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/systemd-harness.sh").path
    }()

    /// Set inside the harness when a test binary runs itself there (SystemdHarness.runTests).
    public static let insideVariable = "CNC_IN_SYSTEMD_HARNESS"
    public static var isInside: Bool { Host.environment(insideVariable) == "1" }

    /// What booting needs: root, systemd, dbus-daemon, the tools the script uses, and v1 or
    /// hybrid cgroup mounts (pure v2 hosts are untested).
    public static var unavailableReason: String? {
        if Host.effectiveUserID != 0 { return "needs root" }
        for tool in ["/lib/systemd/systemd", "/usr/bin/dbus-daemon", "/usr/bin/script", "/usr/bin/unshare", "/usr/bin/nsenter", "/usr/bin/systemctl"]
        where !FileSystem.isExecutable(tool) { return "\(tool) is missing (scripts/install-deps.sh installs systemd and dbus)" }
        let mountinfo = (try? FileSystem.readText("/proc/self/mountinfo")) ?? ""
        if !mountinfo.contains(" - cgroup ") { return "no cgroup v1 hierarchies mounted (the harness supports v1 and hybrid hosts)" }
        return nil
    }
    public static var isAvailable: Bool { unavailableReason == nil }

    var env: [String: String] { ["SDH_NAME": name] }

    /// Boots a harness named `name` (one per name at a time).
    public init(name: String = "cnctest_" + ContainerID.random().short) throws {
        self.name = name
        let t0 = Processes.monotonicNanos()
        let r = try run(Self.script, ["start"], env: ["SDH_NAME": name])
        guard r.status == 0 else {
            _ = try? run(Self.script, ["stop"], env: ["SDH_NAME": name])
            throw CNCError(.system, "failed to boot systemd in the harness: \(r.err)\(r.out)")
        }
        let p = try run(Self.script, ["pid"], env: ["SDH_NAME": name])
        guard let pid = Int32(p.out.trimmingSpaces) else { throw CNCError(.system, "the harness printed no pid: \(p.out)") }
        self.pid = pid
        bootSeconds = Double(Processes.monotonicNanos() - t0) / 1e9
    }

    deinit { stop() }

    /// Runs `args` inside the harness (its namespaces, the namespace-root cgroups).
    @discardableResult
    public func exec(_ args: [String], env extra: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        var e = env
        for (k, v) in extra { e[k] = v }
        return try run(Self.script, ["exec", "/usr/bin/env"] + extra.map { "\($0.key)=\($0.value)" } + args, env: e)
    }

    /// Units whose name starts with `prefix`, as `systemctl list-units --all` shows them.
    public func units(_ prefix: String) throws -> [String] {
        let r = try exec(["systemctl", "list-units", "--all", "--no-legend", "--plain", "--no-pager", prefix + "*"])
        return r.out.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// `systemctl show -p NAME... unit` as a dictionary.
    public func show(_ unit: String, _ properties: [String]) throws -> [String: String] {
        let r = try exec(["systemctl", "show", unit] + properties.flatMap { ["-p", $0] })
        var out: [String: String] = [:]
        for line in r.out.split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { out[kv[0]] = kv[1] } else if kv.count == 1 { out[kv[0]] = "" }
        }
        return out
    }

    /// Runs this test binary's tests matching `filter` inside the harness (where systemd is
    /// PID 1 and pids are its own), with `insideVariable` set so those tests enable themselves.
    public func runTests(filter: String) throws -> (status: Int32, out: String, err: String) {
        let binary = FileSystem.readLink("/proc/self/exe") ?? CommandLine.arguments[0]
        return try exec([binary, "--testing-library", "swift-testing", "--filter", filter], env: [Self.insideVariable: "1"])
    }

    /// SIGKILLs systemd (and so everything in its pid namespace) and removes its cgroups.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        _ = try? run(Self.script, ["stop"], env: env)
    }
}
