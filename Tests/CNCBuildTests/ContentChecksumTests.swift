@testable import CNCBuild
import CNCSystem
import CNCTestSupport
import Foundation
import Testing

@Suite struct ContentChecksumTests {
    func sum(_ f: ContextFixture, _ sources: [String] = ["."], memo: FileDigestMemo? = nil) throws -> String {
        let ctx = try BuildContext(root: f.root)
        return try ContentChecksum.digest(try ctx.select(sources), context: ctx, memo: memo)
    }

    @Test func contentNamesAndModesCountTimesDoNot() throws {
        let f = try ContextFixture()
        try f.write("a.txt", "hello")
        try f.write("dir/b.txt", "world")
        let base = try sum(f)
        #expect(base.hasPrefix("sha256:") && base.count == 71)
        // touch: a new mtime (and ctime) changes nothing.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1)], ofItemAtPath: f.root + "/a.txt")
        #expect(try sum(f) == base)
        try f.write("a.txt", "hellO")
        let changed = try sum(f)
        #expect(changed != base)
        try f.write("a.txt", "hello")
        #expect(try sum(f) == base)
        try FileSystem.setMode(f.root + "/a.txt", 0o755)
        #expect(try sum(f) != base)
        try FileSystem.setMode(f.root + "/a.txt", 0o644)
        try FileManager.default.moveItem(atPath: f.root + "/dir/b.txt", toPath: f.root + "/dir/c.txt")
        #expect(try sum(f) != base)
    }

    /// moby/buildkit#4817: same size, same mtime, different content — the memo must not answer.
    @Test func memoNeverHidesAChangeWithSameSizeAndMtime() throws {
        let f = try ContextFixture()
        try f.write("x", "aaaa")
        let memo = FileDigestMemo(now: { Int64.max })
        let first = try sum(f, memo: memo)
        #expect(memo.count == 1)
        let path = f.root + "/x"
        let mtime = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        try f.write("x", "bbbb")
        if let mtime { try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: path) }
        #expect(try sum(f, memo: memo) != first)
    }

    @Test func memoSkipsRacyEntriesAndRoundTrips() throws {
        let f = try ContextFixture()
        try f.write("x", "data")
        let racy = FileDigestMemo(now: { 0 })
        _ = try sum(f, memo: racy)
        #expect(racy.count == 0)
        let memo = FileDigestMemo(now: { Int64.max })
        _ = try sum(f, memo: memo)
        let copy = FileDigestMemo()
        copy.load(memo.serialized() + "\ngarbage line\n")
        #expect(copy.count == 1 && copy.serialized() == memo.serialized())
    }

    /// A no-change rebuild of a 2,000-file context answers from the memo (figure printed, not asserted).
    @Test func twoThousandFilesNoChange() throws {
        let f = try ContextFixture()
        for i in 0..<2_000 { try f.write("src/d\(i % 20)/f\(i).c", String(repeating: "x", count: 100 + i)) }
        let memo = FileDigestMemo(now: { Int64.max })
        let cold = try sum(f, memo: memo)
        let start = Processes.monotonicNanos()
        let warm = try sum(f, memo: memo)
        let ms = Double(Processes.monotonicNanos() - start) / 1e6
        print("2,000-file context checksum, warm memo: \(ms) ms")
        #expect(warm == cold && memo.count == 2_000)
    }
}
