import CNCCore
import CNCSystem
import Foundation
import Testing

/// Runs the built `cnc` binary against a private state root and cleans everything up.
final class CNCHarness {
    static let binDir: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var dir = (exe as NSString).deletingLastPathComponent
        // The test bundle may live in a *.xctest directory next to the products.
        while !dir.isEmpty, dir != "/", !FileManager.default.isExecutableFile(atPath: dir + "/cnc") {
            dir = (dir as NSString).deletingLastPathComponent
        }
        return dir
    }()

    /// A busybox rootfs shared by the tests of this process (built once).
    static let rootfs: String = {
        let dir = "/tmp/cnc-test-rootfs-\(ContainerID.random().short)"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/make-busybox-rootfs.sh").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [script, dir]
        try? p.run()
        p.waitUntilExit()
        atexit { _ = try? FileManager.default.removeItem(atPath: CNCHarness.rootfsPath) }
        return dir
    }()
    nonisolated(unsafe) static var rootfsPath = ""

    let root: String

    init() {
        root = "/tmp/cnc-test-root-\(ContainerID.random().short)"
        CNCHarness.rootfsPath = CNCHarness.rootfs
    }

    static var canRun: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: binDir + "/cnc-init") }

    struct Result { var status: Int32; var out: String; var err: String }

    /// The test's environment for cnc, with nothing forwarded by a network's DNS server
    /// (cnc-dns) unless a test says where: no test may query the host's resolvers.
    static var environment: [String] {
        ProcessInfo.processInfo.environment.merging(["CNC_DNS_UPSTREAM": "none"]) { mine, _ in mine }.map { "\($0.key)=\($0.value)" }
    }

    @discardableResult
    func cnc(_ args: [String], stdin: String? = nil) throws -> Result {
        var a = args
        // Global options go after the subcommand (and after `cnc run`'s own flags come the image);
        // after both words of a group's (`container ls`).
        a.insert(contentsOf: ["--root", root], at: ["container", "image", "network"].contains(a.first ?? "") ? 2 : 1)
        // CNCSystem's spawn and waitpid, both outputs polled here: Foundation's Process once
        // missed a child's exit under parallel suites and hung the run.
        let r = try Spawn.capture(CNCHarness.binDir + "/cnc", a, environment: CNCHarness.environment,
                                  stdin: Array((stdin ?? "").utf8))
        return Result(status: r.termination.shellStatus, out: String(decoding: r.stdout, as: UTF8.self), err: String(decoding: r.stderr, as: UTF8.self))
    }

    /// `cnc ARGS` in the background (stdin and stderr on /dev/null; stdout to `stdout` if
    /// given): its pid, for `finish`.
    func start(_ args: [String], stdout: Int32? = nil) throws -> pid_t {
        var a = args
        a.insert(contentsOf: ["--root", root], at: 1)
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devnull) }
        var opts = Spawn.Options()
        opts.fdMap = [devnull, stdout ?? devnull, devnull]
        return try Spawn.spawn(CNCHarness.binDir + "/cnc", arguments: ["cnc"] + a,
                               environment: CNCHarness.environment, options: opts)
    }

    /// Waits for a `start`ed command; its exit status (128 + signal when killed).
    func finish(_ pid: pid_t) throws -> Int32 { try Spawn.wait(pid).shellStatus }

    /// `cnc run --rootfs <busybox> ARGS...`, with run flags before the image.
    @discardableResult
    func run(_ flags: [String], _ command: [String]) throws -> Result {
        try cnc(["run"] + flags + ["--rootfs", CNCHarness.rootfs, "busybox"] + command)
    }

    /// Polls `condition` until it holds, for up to `seconds`: a wait for an event with a
    /// deadline no load reaches, never a measure of how fast the host is.
    func eventually(seconds: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if try condition() { return true }
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    func inspect(_ ref: String, _ format: String) throws -> String {
        try cnc(["inspect", "--format", format, ref]).out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Removes every container and checks nothing is left behind: processes, cgroups,
    /// mounts, directories.
    func tearDown() throws {
        let ids = try cnc(["ps", "-a", "-q", "--no-trunc"]).out.split(separator: "\n").map(String.init)
        var monitors: [Int32] = []
        for id in ids {
            if let s = try? Data(contentsOf: URL(fileURLWithPath: "\(root)/containers/\(id)/state.json")),
               let o = try? JSONSerialization.jsonObject(with: s) as? [String: Any], let m = o["MonitorPid"] as? Int {
                monitors.append(Int32(m))
            }
        }
        if !ids.isEmpty { try cnc(["rm", "-f", "-v"] + ids) }
        // Runs join the default bridge network: it (and any other network) goes with the root,
        // taking its bridge and nft table along.
        // (`host` and `none` are docker's predefined pseudo-networks: nothing to remove.)
        for line in try cnc(["network", "ls", "--format", "{{.ID}} {{.Driver}}"]).out.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard let n = f.first, f.last != "host", f.last != "null" else { continue }
            #expect(try cnc(["network", "rm", String(n)]).status == 0, "network \(n) left behind")
        }
        for id in ids {
            for h in ["memory", "pids", "cpu", "freezer", "cpuset", "blkio", "devices", "cpuacct"] {
                #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/\(h)/cnc/\(id)"), "cgroup \(h)/cnc/\(id) left behind")
            }
            #expect(!FileManager.default.fileExists(atPath: "\(root)/containers/\(id)"))
        }
        for m in monitors {
            // Gone, or a zombie waiting for whichever ancestor reaps orphans.
            let stat = (try? String(contentsOfFile: "/proc/\(m)/stat", encoding: .utf8)) ?? ""
            let state = stat.range(of: ") ").map { stat[$0.upperBound...].prefix(1) } ?? "X"
            #expect(stat.isEmpty || state == "Z" || !stat.contains("cnc-monitor"), "monitor \(m) still alive: \(stat.prefix(60))")
        }
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(root), "mounts under \(root) left behind")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: root + "/containers")) ?? []).isEmpty)
        // Removed directories are deleted by a detached helper; give it a moment.
        var trash: [String] = []
        for _ in 0..<100 {
            trash = (try? FileManager.default.contentsOfDirectory(atPath: root + "/.trash")) ?? []
            if trash.isEmpty { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(trash.isEmpty, "container directories left in .trash: \(trash)")
        try? FileManager.default.removeItem(atPath: root)
    }
}
