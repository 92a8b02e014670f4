import CNCCore
import CNCSystem
import Glibc
import Testing

/// Process creation on the real kernel: namespaces, exec failures, descriptor hygiene.
@Suite struct SpawnTests {
    @Test func spawnIntoNewPidAndUtsNamespaces() throws {
        // Real kernel: PID 1 inside a fresh pid namespace, hostname private to the uts namespace.
        guard Host.effectiveUserID == 0 else { return }
        let out = try Pipe()
        var options = Spawn.Options()
        options.namespaces = [.pid, .uts, .mount, .ipc]
        options.fdMap = [-1, out.write.raw, 2]
        let pid = try Spawn.spawn("/bin/sh", arguments: ["sh", "-c", "hostname cnc-test && echo $$ $(hostname)"],
                                  environment: ["PATH=/usr/bin:/bin"], options: options)
        out.write.close()
        let text = String(decoding: FD.readAll(out.read.raw), as: UTF8.self)
        out.read.close()
        #expect(try Spawn.wait(pid) == .exited(0))
        #expect(text == "1 cnc-test\n")
        #expect(Host.uname().release.isEmpty == false)
    }

    @Test func spawnReportsExecFailure() {
        #expect {
            try Spawn.spawn("/nonexistent/binary", arguments: ["x"], environment: [])
        } throws: { error in
            (error as? CNCError)?.description == "execve /nonexistent/binary: No such file or directory (ENOENT)"
        }
    }

    @Test func parentFdsDoNotLeak() throws {
        let leak = try Pipe()  // CLOEXEC
        let plain = open("/dev/null", O_RDONLY)  // not CLOEXEC: must still not reach the child
        defer { close(plain) }
        let out = try Pipe()
        var options = Spawn.Options()
        options.fdMap = [-1, out.write.raw, 2]
        let pid = try Spawn.spawn("/bin/sh", arguments: ["sh", "-c", "ls /proc/self/fd"],
                                  environment: ["PATH=/usr/bin:/bin"], options: options)
        out.write.close()
        let fds = String(decoding: FD.readAll(out.read.raw), as: UTF8.self).split(separator: "\n").map(String.init)
        out.read.close()
        #expect(try Spawn.wait(pid) == .exited(0))
        // 1 and 2, plus the fd `ls` opens for /proc/self/fd itself (the lowest free: 0).
        // Any fd from 3 up would be one of the parent's leaking in.
        #expect(fds == ["0", "1", "2"])
        leak.read.close()
        leak.write.close()
    }
}
