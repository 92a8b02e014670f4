import CNCCore
import CNCSystem
import CNCTestSupport
import Foundation
import Glibc
import Testing

/// A temp state root with a busybox image (`bb:1`, every applet, PATH set) for the container
/// commands of a Docker user's first hour; every container and the root go at deinit.
final class BusyboxRoot: @unchecked Sendable {
    static var canRun: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: CLI.binDir + "/cnc-init") }

    let dir: String
    var root: String { dir + "/root" }

    init() throws {
        dir = "/tmp/cnc-fh-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let tar = dir + "/bb.tar"
        let made = try CLI.exec("/usr/bin/env", ["python3", "-c", """
            import tarfile, subprocess, sys, io
            t = tarfile.open(sys.argv[1], 'w')
            t.add('/bin/busybox', arcname='bin/busybox')
            for a in subprocess.check_output(['/bin/busybox', '--list']).decode().split():
                if a == 'busybox': continue
                i = tarfile.TarInfo('bin/' + a); i.type = tarfile.SYMTYPE; i.linkname = '/bin/busybox'; t.addfile(i)
            for d in ['etc', 'tmp', 'usr', 'var', 'var/cache']:
                i = tarfile.TarInfo(d); i.type = tarfile.DIRTYPE; i.mode = 0o755; i.mtime = 1000; t.addfile(i)
            for f in ['var/cache/old', 'etc/motd']:
                i = tarfile.TarInfo(f); i.size = 0; i.mtime = 1000; t.addfile(i)
            t.close()
            """, tar])
        #expect(made.status == 0, "\(made.stderr)")
        let imp = try cnc(["import", "-c", "ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin", tar, "bb:1"])
        #expect(imp.status == 0, "\(imp.stderr)")
    }

    /// `cnc VERB --root ROOT ARGS...` (the root right after the verb: `run`'s command comes last).
    @discardableResult
    func cnc(_ args: [String], stdin: String? = nil) throws -> CLI.Result {
        var a = args
        a.insert(contentsOf: ["--root", root], at: min(1, a.count))
        return try CLI.exec(CLI.binDir + "/cnc", a, stdin: stdin)
    }

    /// `cnc ARGS` in the background with the given fds (stdin, stdout, stderr): its pid.
    func start(_ args: [String], fds: [Int32]) throws -> pid_t {
        var a = args
        a.insert(contentsOf: ["--root", root], at: min(1, a.count))
        var opts = Spawn.Options()
        opts.fdMap = fds
        return try Spawn.spawn(CLI.binDir + "/cnc", arguments: ["cnc"] + a,
                               environment: ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }, options: opts)
    }

    func status(_ ref: String) throws -> String {
        try cnc(["inspect", "--format", "{{.State.Status}}", ref]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Polls `condition` for up to `seconds` (a deadline no load reaches, never a speed claim).
    func eventually(seconds: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if try condition() { return true }
            if Date() > deadline { return false }
            usleep(50_000)
        }
    }

    deinit {
        let ids = (try? cnc(["ps", "-a", "-q", "--no-trunc"]).stdout.split(separator: "\n").map(String.init)) ?? []
        if !ids.isEmpty { _ = try? cnc(["rm", "-f", "-v"] + ids) }
        // `cnc run` joins the default bridge: its bridge, nft table and DNS servers go with the root.
        TestRoots.removeNetworks(root)
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(dir), "mounts left under \(dir)")
        for _ in 0..<50 {
            try? FileManager.default.removeItem(atPath: dir)
            if !FileManager.default.fileExists(atPath: dir) { break }
            usleep(20_000)
        }
        #expect(!FileManager.default.fileExists(atPath: dir), "\(dir) left behind")
    }
}

/// A pseudo-terminal pair for a command that must see a terminal; closed at deinit.
final class PTY: @unchecked Sendable {
    let master: Int32
    let slave: Int32

    init() throws {
        // posix_openpt's steps by hand (Glibc's module leaves them out): unlock, then the number.
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, 0x4004_5431 /* TIOCSPTLCK */, &unlock) == 0,
              ioctl(master, 0x8004_5430 /* TIOCGPTN */, &number) == 0 else {
            throw CNCError(.system, "no pseudo-terminal")
        }
        slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard slave >= 0 else { throw CNCError(.system, "cannot open the terminal's slave") }
        var ws = winsize(ws_row: 30, ws_col: 100, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(slave, UInt(TIOCSWINSZ), &ws)
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(master); close(slave) }

    func type(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) } }

    /// Reads what the terminal shows until `text` appears (or 30 s pass); all of it.
    func read(until text: String, seconds: Double = 30) -> String {
        var seen: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buf = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let n = buf.withUnsafeMutableBytes { Glibc.read(master, $0.baseAddress, $0.count) }
            if n > 0 { seen += buf[0..<n] } else { usleep(20_000) }
            if String(decoding: seen, as: UTF8.self).contains(text) { break }
        }
        return String(decoding: seen, as: UTF8.self)
    }
}
