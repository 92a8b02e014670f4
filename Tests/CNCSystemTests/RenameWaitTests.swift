import Foundation
import Glibc
import Testing
@testable import CNCSystem

/// RenameWait wakes a waiter on a rename into the directory (how state.json lands) or on the
/// watched process's exit, and otherwise sleeps out its timeout. The timeouts here are long
/// (10 s) so that a wake that did not happen fails the bound, whatever the load.
@Suite struct RenameWaitTests {
    func tempDir() throws -> String {
        var t = Array("/tmp/cnc-renamewait-XXXXXX".utf8CString)
        guard mkdtemp(&t) != nil else { throw SystemError.make("mkdtemp", errno: errno) }
        return String(cString: t)
    }

    func elapsedMs(_ body: () -> Void) -> Int64 {
        let start = Processes.monotonicNanos()
        body()
        return (Processes.monotonicNanos() - start) / 1_000_000
    }

    @Test func aRenameIntoTheDirectoryWakesTheWaiter() throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        let wait = RenameWait(directory: dir)
        #expect(wait.isArmed)
        let writer = Thread {
            Processes.sleep(milliseconds: 50)
            try? FileSystem.writeReplacing(Array("{}".utf8), to: dir + "/state.json")
        }
        writer.start()
        let ms = elapsedMs { wait.wait(milliseconds: 10_000) }
        #expect(ms < 5_000, "woke after \(ms) ms")
        #expect(FileSystem.exists(dir + "/state.json"))
    }

    @Test func aRenameBeforeTheWaitIsNotLost() throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        let wait = RenameWait(directory: dir)
        try FileSystem.writeReplacing(Array("{}".utf8), to: dir + "/state.json")
        let ms = elapsedMs { wait.wait(milliseconds: 10_000) }
        #expect(ms < 5_000, "woke after \(ms) ms")
    }

    @Test func theProcessExitingWakesTheWaiter() throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        let pid = try Spawn.spawn("/bin/sleep", arguments: ["sleep", "0.05"], environment: [])
        let wait = RenameWait(directory: dir, process: pid)
        let ms = elapsedMs { wait.wait(milliseconds: 10_000) }
        #expect(ms < 5_000, "woke after \(ms) ms")
        _ = try? Spawn.wait(pid)
    }

    @Test func otherWritesDoNotWakeItAndTheTimeoutEndsTheWait() throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        let wait = RenameWait(directory: dir)
        // A log line appended in place is no rename.
        let fd = open(dir + "/log", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        #expect(fd >= 0)
        _ = write(fd, "line\n", 5)
        close(fd)
        let ms = elapsedMs { wait.wait(milliseconds: 200) }
        #expect(ms >= 150, "returned after \(ms) ms")
    }

    /// The inotify instance goes with the wait (closed on a thread of its own: the close waits
    /// out an SRCU grace period). Found by its watch: /proc/self/fdinfo names the watched inode.
    @Test func theWatchIsClosedWhenTheWaitGoes() throws {
        let dir = try tempDir()
        defer { try? FileSystem.removeTree(dir) }
        var st = stat()
        #expect(stat(dir, &st) == 0)
        let inode = "ino:" + String(st.st_ino, radix: 16) + " "
        func watching() -> Int {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fdinfo")) ?? []
            return fds.filter { fd in
                (try? String(contentsOfFile: "/proc/self/fdinfo/" + fd, encoding: .utf8))?.contains(inode) ?? false
            }.count
        }
        do {
            let wait = RenameWait(directory: dir)
            #expect(wait.isArmed)
            #expect(watching() == 1)
        }
        let deadline = Processes.monotonicNanos() + 10_000_000_000
        while watching() > 0 && Processes.monotonicNanos() < deadline { Processes.sleep(milliseconds: 5) }
        #expect(watching() == 0)
    }

    @Test func withoutAWatchItSleepsTheTimeout() {
        let wait = RenameWait(directory: "/nonexistent/cnc-renamewait")
        #expect(!wait.isArmed)
        let ms = elapsedMs { wait.wait(milliseconds: 100) }
        #expect(ms >= 80, "returned after \(ms) ms")
    }
}
