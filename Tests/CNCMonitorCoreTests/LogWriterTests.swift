import CNCMonitorCore
import Foundation
import Testing

@Suite final class LogWriterTests {
    let dir: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnc-monitor-log-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func writer(maxSize: Int64 = 0, maxFiles: Int = 1) -> LogWriter {
        LogWriter(path: dir + "/container.log", maxSize: maxSize, maxFiles: maxFiles, clock: { 1_709_164_800_123_456_789 })
    }

    func lines(_ suffix: String = "") throws -> [String] {
        try String(contentsOfFile: dir + "/container.log" + suffix, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func logText(_ line: String) throws -> String {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        return try #require(object["log"])
    }

    @Test(arguments: [
        (LogStream.stdout, "hi\n", #"{"log":"hi\n","stream":"stdout","time":"2024-02-29T00:00:00.123456789Z"}"#),
        (.stderr, "tab\there \"q\"\r\n", #"{"log":"tab\there \"q\"\r\n","stream":"stderr","time":"2024-02-29T00:00:00.123456789Z"}"#),
        (.stdout, "no newline", #"{"log":"no newline","stream":"stdout","time":"2024-02-29T00:00:00.123456789Z"}"#),
    ])
    func writesDockersJSONFileLines(_ stream: LogStream, _ text: String, _ line: String) {
        #expect(LogWriter.line(stream, Array(text.utf8)[...], nanos: 1_709_164_800_123_456_789) == Array((line + "\n").utf8))
    }

    @Test func splitsOnNewlinesAndKeepsPartialLinesPerStream() throws {
        let w = writer()
        w.write(.stdout, Array("a\nb".utf8)[...])
        w.write(.stderr, Array("E".utf8)[...])
        w.write(.stdout, Array("c\n\nd".utf8)[...])
        #expect(try lines().map(logText) == ["a\n", "bc\n", "\n"])
        w.flush()
        #expect(try lines().map(logText) == ["a\n", "bc\n", "\n", "d", "E"])
        #expect(try lines().last?.contains(#""stream":"stderr""#) == true)
    }

    @Test func writesAPartialLineOnceItReaches16KiB() throws {
        let w = writer()
        w.write(.stdout, [UInt8](repeating: 0x78, count: 10000)[...])
        #expect(try lines().isEmpty)
        w.write(.stdout, [UInt8](repeating: 0x78, count: 10000)[...] + Array("y\nz".utf8))
        #expect(try lines().map { try logText($0).count } == [20002])
        w.write(.stdout, [UInt8](repeating: 0x78, count: 16383)[...])
        w.flush()
        #expect(try lines().map { try logText($0).count } == [20002, 16384])
    }

    @Test(arguments: [2, 3, 5])
    func rotatesBySizeKeepingMaxFiles(_ maxFiles: Int) throws {
        let lineSize = LogWriter.line(.stdout, Array("0000\n".utf8)[...], nanos: 0).count
        let w = writer(maxSize: Int64(lineSize * 3), maxFiles: maxFiles)
        for i in 0..<20 { w.write(.stdout, Array(String(format: "%04d\n", i).utf8)[...]) }
        #expect(try lines().map(logText) == ["0018\n", "0019\n"])
        for n in 1..<maxFiles {
            let first = 18 - 3 * n
            #expect(try lines(".\(n)").map(logText) == (first..<first + 3).map { String(format: "%04d\n", $0) })
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/container.log.\(maxFiles)"))
    }

    @Test func oneFileTruncatesInPlace() throws {
        let lineSize = LogWriter.line(.stdout, Array("0000\n".utf8)[...], nanos: 0).count
        let w = writer(maxSize: Int64(lineSize * 2), maxFiles: 1)
        for i in 0..<5 { w.write(.stdout, Array(String(format: "%04d\n", i).utf8)[...]) }
        #expect(try lines().map(logText) == ["0004\n"])
        #expect(!FileManager.default.fileExists(atPath: dir + "/container.log.1"))
    }

    @Test func appendsToAnExistingLog() throws {
        writer().write(.stdout, Array("one\n".utf8)[...])
        let w = writer(maxSize: 1, maxFiles: 2)
        w.write(.stdout, Array("two\n".utf8)[...])
        #expect(try lines().map(logText) == ["two\n"])
        #expect(try lines(".1").map(logText) == ["one\n"])
    }
}
