import CNCCore
import CNCRuntime
import Foundation
import Testing

/// The seam CNCNetwork plugs into: attach gets the pid of a container whose network namespace
/// is new and whose workload has not started yet.
struct RecordingAttacher: NetworkAttacher {
    let log: String
    func attach(container: ContainerConfig, pid: Int32) throws {
        let ns = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")) ?? "?"
        let host = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")) ?? "?"
        // The workload's exec would have replaced cnc-init as the process's executable. (Not its
        // command line: a CLONE_VFORK parent resumes once exec has installed the new memory
        // map, before the kernel records argv there, so /proc/PID/cmdline may still read empty;
        // /proc/PID/exe is set before that point.)
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? "?"
        let line = "attach \(container.network) \(ns != host) \(exe.hasSuffix("/cnc-init"))\n"
        let h = FileHandle(forWritingAtPath: log) ?? FileHandle.nullDevice
        h.seekToEndOfFile()
        h.write(Data(line.utf8))
    }
    func detach(container: ContainerConfig) throws {
        let h = FileHandle(forWritingAtPath: log) ?? FileHandle.nullDevice
        h.seekToEndOfFile()
        h.write(Data("detach\n".utf8))
    }
}

@Suite struct NetworkSeamTests {
    @Test func attachRunsBeforeTheWorkloadAndDetachOnRemove() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let log = "/tmp/cnc-netseam-\(ContainerID.random().short).log"
        #expect(FileManager.default.createFile(atPath: log, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: log) }
        var rt = try h.runtime()
        rt.network = RecordingAttacher(log: log)
        var c = CNCHarness.busybox("netseam", ["true"])
        c.network = .bridge("testnet")
        c = try rt.create(c)
        try rt.start(c.id).detach()
        #expect(try rt.wait("netseam") == 0)
        try rt.remove("netseam")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(text == "attach testnet true true\ndetach\n", "\(text)")
    }
}
