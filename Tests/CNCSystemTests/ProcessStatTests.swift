@testable import CNCSystem
import Glibc
import Testing

/// FileSystem.readBytes (a regular file's size read at once, /proc files in steps) and
/// Processes.stat (/proc/PID/stat's state and start time from one read).
@Suite struct ProcessStatTests {
    @Test(arguments: [0, 1, 4095, 4096, 4097, 65_536, 200_003])
    func readBytesReadsEveryByteOfARegularFile(size: Int) throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let file = dir.path + "/f"
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 251) }
        try FileSystem.writeAtomically(bytes, to: file)
        #expect(try FileSystem.readBytes(file) == bytes)
    }

    @Test func readBytesReadsAProcFileWhoseSizeIsZero() throws {
        // /proc/self/maps reports size 0 and is longer than one 4 KiB step in any Swift process.
        let maps = try FileSystem.readBytes("/proc/self/maps")
        #expect(maps.count > 4096)
        #expect(maps.last == UInt8(ascii: "\n"))
        let status = try FileSystem.readText("/proc/self/status")
        #expect(status.hasPrefix("Name:"))
    }

    @Test func readBytesNamesTheFileItCannotOpen() {
        #expect(throws: (any Error).self) { try FileSystem.readBytes("/nonexistent-cnc-test/file") }
    }

    @Test func parseStatTakesTheFieldsAfterTheLastParenthesis() {
        // A command name with spaces and ")" in it; starttime is the 20th field after it.
        let line = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615\n"
        let stat = Processes.parseStat(Array(line.utf8))
        #expect(stat == Processes.Stat(state: UInt8(ascii: "S"), startTicks: 987_654))
        #expect(Processes.parseStat(Array("7 (z) Z 1 2".utf8)) == Processes.Stat(state: UInt8(ascii: "Z"), startTicks: nil))
        #expect(Processes.parseStat(Array("no parenthesis".utf8)) == nil)
        #expect(Processes.parseStat(Array("1 (x)".utf8)) == Processes.Stat(state: nil, startTicks: nil))
    }

    @Test func statOfThisProcessAgreesWithProc() throws {
        let text = try FileSystem.readText("/proc/self/stat")
        let after = text[text.index(after: text.lastIndex(of: ")")!)...].split(separator: " ")
        let stat = try #require(Processes.stat(getpid()))
        #expect(stat.startTicks == Int64(after[19]))
        #expect(stat.state == UInt8(ascii: "R") || stat.state == UInt8(ascii: "S"))
        #expect(Processes.startTicks(getpid()) == stat.startTicks)
        #expect(ProcessTable.startTime(getpid()) == UInt64(after[19]))
        #expect(Processes.isRunning(getpid()))
    }

    @Test func aZombieIsNotRunningAndAGoneProcessHasNoStat() throws {
        let pid = fork()
        if pid == 0 { _exit(0) }
        #expect(pid > 0)
        // Until reaped, the child is a zombie: alive to kill(0), not running.
        var waited = 0
        while Processes.stat(pid)?.state != UInt8(ascii: "Z") && waited < 5000 { usleep(1000); waited += 1 }
        #expect(Processes.stat(pid)?.state == UInt8(ascii: "Z"))
        #expect(Processes.isAlive(pid))
        #expect(!Processes.isRunning(pid))
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        #expect(Processes.stat(pid) == nil)
        #expect(!Processes.isRunning(pid))
    }
}
