import CNCCore
import CNCSystem
import Foundation

/// A minimal rootfs from Debian's busybox-static: /bin/busybox, a symlink per applet,
/// /etc/passwd and /etc/group. `cnc import` of the tar gives a busybox image (tests use it).
public enum BusyboxRootfs {
    public static let binary = "/bin/busybox"

    /// Writes the rootfs tar to `path`. Throws `.notFound` when busybox-static is not installed.
    public static func writeTar(to path: String, busybox: String = binary) throws {
        guard FileSystem.isExecutable(busybox) else {
            throw CNCError(.notFound, "\(busybox) not found: install busybox-static")
        }
        let out = try FileStream.create(path)
        defer { out.close() }
        let tar = try TarWriter(to: out)
        for d in ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root", "proc", "sys", "dev", "run", "var", "home"] {
            try tar.addDirectory(d)
        }
        try tar.addDirectory("tmp", mode: 0o1777)
        try tar.addDirectory("var/tmp", mode: 0o1777)
        try tar.addFile("bin/busybox", from: busybox, mode: 0o755)
        for applet in try applets(busybox) where applet != "bin/busybox" {
            try tar.addSymlink(applet, target: "/bin/busybox")
        }
        try tar.addFile("etc/passwd", bytes: Array("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n".utf8))
        try tar.addFile("etc/group", bytes: Array("root:x:0:\nnogroup:x:65534:\n".utf8))
        try tar.finish()
    }

    /// `busybox --list-full`: applet paths like bin/ls, usr/bin/wget.
    static func applets(_ busybox: String) throws -> [String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: busybox)
        p.arguments = ["--list-full"]
        let pipe = Foundation.Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CNCError(.system, "\(busybox) --list-full failed") }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }
}
