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

    /// A loaded memo answers only for the exact stat it recorded: a different mode (chmod), a
    /// different key, a line of the old 7-field format or a garbled one is not an answer; a
    /// mismatch drops the entry and marks the memo dirty, so the file is written back.
    @Test func loadedMemoAnswersOnlyForTheSameStat() throws {
        let key = FileDigestMemo.Key(device: 1, inode: 2, size: 3, mtime: 4, ctime: 5, mode: 0o644, uid: 0, gid: 0)
        let digest = String(repeating: "a", count: 64)
        let text = "1 2 3 4 5 420 0 0 \(digest) dir/a b.txt\n1 2 3 4 5 \(digest) old.txt\n1 2 x 4 5 420 0 0 \(digest) bad.txt\n"
        let memo = FileDigestMemo(now: { Int64.max })
        memo.load(text)
        #expect(memo.count == 1 && !memo.isDirty)
        #expect(memo.lookup("dir/a b.txt", key) == digest)
        #expect(memo.lookup("old.txt", key) == nil && memo.lookup("bad.txt", key) == nil)
        #expect(!memo.isDirty)
        var chmodded = key
        chmodded.mode = 0o600
        #expect(memo.lookup("dir/a b.txt", chmodded) == nil)
        #expect(memo.isDirty && memo.count == 0)
        memo.store("dir/a b.txt", key, digest)
        let copy = FileDigestMemo()
        copy.load(memo.serialized())
        #expect(copy.lookup("dir/a b.txt", key) == digest)
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
