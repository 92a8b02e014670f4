import CNCCore
import CNCSystem
import CNCTestSupport
import Foundation

/// A booted SystemdHarness with a temp state root and a busybox rootfs, running the built
/// `cnc`/`cncapply` inside it. `stop()` runs `cleanup` (inside), then stops the harness.
final class SystemdCNC {
    static let bin = FileSystem.directoryName(FileSystem.readLink("/proc/self/exe") ?? "")
    static var canRun: Bool { SystemdHarness.isAvailable && !SystemdHarness.isInside && FileSystem.isExecutable(bin + "/cnc-cli") }
    static var skipReason: String { SystemdHarness.unavailableReason ?? "needs the built cnc binaries" }

    let tmp: TempDir
    let rootfs: String
    let root: String
    let h: SystemdHarness
    /// Commands run inside before the harness stops (e.g. `cnc rm -f` of the test's containers).
    var cleanup: [[String]] = []

    init(_ label: String) throws {
        tmp = try TempDir(label)
        rootfs = try tmp.sub("rootfs")
        let made = try run(FileSystem.directoryName(SystemdHarness.script) + "/make-busybox-rootfs.sh", [rootfs])
        guard made.status == 0 else { throw CNCError(.system, "make-busybox-rootfs.sh: \(made.err)") }
        root = tmp.path + "/root"
        h = try SystemdHarness()
    }

    deinit { stop() }

    func stop() {
        for c in cleanup { _ = try? h.exec(c) }
        cleanup = []
        h.stop()
    }

    /// `cnc --root ROOT args...` inside.
    func cnc(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        try h.exec([Self.bin + "/cnc", "--root", root] + args)
    }

    /// `cncapply --root ROOT args...` inside.
    func cncapply(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        try h.exec([Self.bin + "/cncapply", "--root", root] + args)
    }
}
