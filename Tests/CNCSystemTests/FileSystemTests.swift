import CNCCore
import CNCSystem
import Glibc
import Testing
import Dispatch
import Synchronization

/// A private temp directory, removed with everything in it by `cleanup()`.
final class TempDir {
    let path: String
    init() throws {
        var template = Array("/tmp/cnc-test-XXXXXX".utf8CString)
        guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SystemError.make("mkdtemp", errno: errno, path: "/tmp")
        }
        path = String(cString: p)
    }
    func cleanup() {
        // Depth-first removal of what the tests made; nothing outside `path`.
        func rm(_ p: String) {
            if FileSystem.isDirectory(p), let names = try? FileSystem.listDirectory(p) {
                for n in names { rm(p + "/" + n) }
            }
            try? FileSystem.remove(p)
        }
        rm(path)
    }
}

@Suite struct FileSystemTests {
    @Test func atomicWriteReplacesAndLeavesNoTemp() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let file = dir.path + "/state.json"
        try FileSystem.writeAtomically("one", to: file)
        try FileSystem.writeAtomically("two", to: file, mode: 0o600)
        #expect(try FileSystem.readText(file) == "two")
        #expect(try FileSystem.listDirectory(dir.path) == ["state.json"])
        var st = stat()
        #expect(stat(file, &st) == 0 && st.st_mode & 0o777 == 0o600)
    }

    @Test func atomicWriteFailureNamesPathAndCleansUp() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        try FileSystem.createDirectory(dir.path + "/target")
        // rename of a file over a directory fails: the temp file must not stay behind.
        #expect {
            try FileSystem.writeAtomically("x", to: dir.path + "/target")
        } throws: { error in
            (error as? CNCError)?.description.hasPrefix("rename \(dir.path)/target: Is a directory (EISDIR)") == true
        }
        #expect(try FileSystem.listDirectory(dir.path) == ["target"])
    }

    @Test func readErrorsNameCallErrnoAndPath() {
        #expect {
            try FileSystem.readBytes("/nonexistent/cnc/file")
        } throws: { error in
            let e = error as? CNCError
            return e?.description == "open /nonexistent/cnc/file: No such file or directory (ENOENT)"
                && e?.code == .notFound && e?.errnoCode == ENOENT
        }
    }

    @Test func createDirectoryIsMkdirP() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        try FileSystem.createDirectory(dir.path + "/a/b/c")
        try FileSystem.createDirectory(dir.path + "/a/b/c")
        #expect(FileSystem.isDirectory(dir.path + "/a/b/c"))
        try FileSystem.writeAtomically("f", to: dir.path + "/a/file")
        #expect(throws: CNCError.self) { try FileSystem.createDirectory(dir.path + "/a/file/x") }
    }

    /// On ext2/3/4 a spread directory carries +T, also one that existed before (an older root);
    /// where the flag does not exist (tmpfs) the directory is still made and nothing fails.
    @Test func spreadDirectoriesAreTopDirectoriesWhereTheFileSystemHasThem() throws {
        let ext4Magic = 0xEF53
        for base in ["/tmp", "/dev/shm"] where FileSystem.isDirectory(base) {
            var template = Array("\(base)/cnc-test-XXXXXX".utf8CString)
            guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { continue }
            let dir = String(cString: p)
            defer { _ = try? FileSystem.removeTree(dir) }
            try FileSystem.createSpreadDirectory(dir + "/new/containers", mode: 0o711)
            try FileSystem.createDirectory(dir + "/old")
            #expect(FileSystem.isTopDirectory(dir + "/old") != true)
            try FileSystem.createSpreadDirectory(dir + "/old")
            var st = stat()
            #expect(stat(dir + "/new/containers", &st) == 0 && st.st_mode & 0o777 == 0o711)
            if FileSystem.fileSystemType(dir) == ext4Magic {
                #expect(FileSystem.isTopDirectory(dir + "/new/containers") == true, "\(base)")
                #expect(FileSystem.isTopDirectory(dir + "/old") == true, "\(base)")
                #expect(FileSystem.isTopDirectory(dir + "/new") == false, "only the directory named is marked")
            } else {
                #expect(FileSystem.isTopDirectory(dir + "/new/containers") != true, "\(base): no +T off ext4")
            }
        }
    }

    @Test func rootLockExcludesSecondHolder() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let first = try RootLock(root: dir.path, wait: false)
        #expect {
            try RootLock(root: dir.path, wait: false)
        } throws: { error in
            (error as? CNCError)?.code == .conflict
        }
        first.close()
        // A process another test spawns in this moment holds a copy of the descriptor (and so
        // the lock) until its exec closes it: retry for a while, never wait unbounded.
        var again: RootLock?
        for _ in 0..<200 where again == nil {
            again = try? RootLock(root: dir.path, wait: false)
            if again == nil { usleep(10_000) }
        }
        #expect(again != nil, "the lock was not released by close()")
        again?.close()
    }
}

@Suite struct FileWatcherTests {
    /// No time window: a stalled host may split the three writes into several batches, so the
    /// test asserts what holds at any speed — every batch names only the watched file, and the
    /// first comes no sooner than the quiet period after the first write.
    @Test func reportsEditsDebouncedIncludingRenameOver() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let spec = dir.path + "/app.yaml"
        let other = dir.path + "/unrelated.txt"
        try FileSystem.writeAtomically("a", to: spec)
        let watcher = try FileWatcher(paths: [spec])
        let done = DispatchSemaphore(value: 0)
        let batches = Mutex<[[String]]>([])
        let arrived = Mutex<ContinuousClock.Instant?>(nil)
        watcher.start(quiet: CNCDuration(nanoseconds: 50_000_000), onChange: { batch in
            arrived.withLock { $0 = $0 ?? .now }
            batches.withLock { $0.append(batch) }
            done.signal()
        })
        let firstWrite = ContinuousClock.now
        try FileSystem.writeAtomically("x", to: other)
        try FileSystem.writeAtomically("b", to: spec)  // temp + rename, like an editor
        try FileSystem.writeAtomically("c", to: spec)
        #expect(done.wait(timeout: .now() + 30) == .success)
        watcher.stop()
        let seen = batches.withLock { $0 }
        #expect(!seen.isEmpty && seen.allSatisfy { $0 == [spec] }, "\(seen)")
        let waited = arrived.withLock { $0 }.map { $0 - firstWrite } ?? .zero
        #expect(waited >= .milliseconds(50), "a batch came before the quiet period: \(waited)")
    }

    /// A tree is watched recursively: files in existing and newly made subdirectories and
    /// deletions are reported; nothing outside the tree is.
    @Test func treesAreWatchedRecursivelyNewDirectoriesIncluded() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let tree = dir.path + "/src"
        try FileSystem.createDirectory(tree + "/a")
        try FileSystem.writeAtomically("1", to: tree + "/a/old.txt")
        let watcher = try FileWatcher(paths: [], trees: [tree])
        let seen = Mutex<Set<String>>([])
        watcher.start(quiet: CNCDuration(nanoseconds: 20_000_000), onChange: { batch in seen.withLock { $0.formUnion(batch) } })
        defer { watcher.stop() }
        func waitFor(_ path: String) -> Bool {
            for _ in 0..<1500 where !seen.withLock({ $0.contains(path) }) { usleep(20_000) }
            return seen.withLock { $0.contains(path) }
        }
        try FileSystem.writeAtomically("x", to: dir.path + "/outside.txt")
        try FileSystem.writeAtomically("2", to: tree + "/a/new.txt")
        #expect(waitFor(tree + "/a/new.txt"))
        try FileSystem.createDirectory(tree + "/b")
        #expect(waitFor(tree + "/b"))
        usleep(100_000)  // the new directory's watch is added when its creation is read
        try FileSystem.writeAtomically("3", to: tree + "/b/deep.txt")
        #expect(waitFor(tree + "/b/deep.txt"))
        try FileSystem.remove(tree + "/a/old.txt")
        #expect(waitFor(tree + "/a/old.txt"))
        #expect(!seen.withLock { $0.contains(dir.path + "/outside.txt") })
    }
}
