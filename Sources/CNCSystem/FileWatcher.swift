import CNCCore
import Foundation
import Glibc

/// Watches files for changes with inotify and reports them debounced: one batch of changed
/// paths after `quiet` without further events. Watches the files' directories, because editors
/// save by writing a new file and renaming it over the old one. `trees` are directories watched
/// recursively (Compose's develop.watch): any path under them is reported, deletions and
/// directories created later included.
public final class FileWatcher: @unchecked Sendable {
    // @unchecked: `fd` is set in init and closed once in stop(); `watches` and `treeDirs` are
    // written in init and then only on the reader thread.
    private let fd: Int32
    private let files: Set<String>
    private var watches: [Int32: String] = [:]
    /// Watch descriptors of directories inside `trees`.
    private var treeDirs: Set<Int32> = []
    private let stopPipe: [Int32]
    private static let treeMask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB)

    /// `paths` and `trees` must be absolute. A tree that is a file is watched as a path.
    public init(paths: [String], trees: [String] = []) throws {
        files = Set(paths + trees.filter { !FileSystem.isDirectory($0) })
        fd = try retryingEINTR("inotify_init1") { inotify_init1(Int32(IN_CLOEXEC)) }
        var p: [Int32] = [-1, -1]
        guard pipe(&p) == 0 else { Glibc.close(fd); throw SystemError.make("pipe", errno: errno) }
        stopPipe = p
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB)
        for dir in Set(files.map(FileSystem.directoryName)) {
            let wd = inotify_add_watch(fd, dir, mask)
            if wd < 0 {
                let e = errno
                stop()
                throw SystemError.make("inotify_add_watch", errno: e, path: dir)
            }
            watches[wd] = dir
        }
        do {
            for tree in trees where FileSystem.isDirectory(tree) { try watchTree(tree) }
        } catch {
            stop()
            throw error
        }
    }

    /// Watches `dir` and every directory under it (symlinks are not followed).
    private func watchTree(_ dir: String) throws {
        let wd = inotify_add_watch(fd, dir, Self.treeMask | UInt32(IN_ONLYDIR | IN_DONT_FOLLOW))
        if wd < 0 {
            let e = errno
            if e == ENOENT || e == ENOTDIR { return }  // gone meanwhile
            throw SystemError.make("inotify_add_watch", errno: e, path: dir)
        }
        watches[wd] = dir
        treeDirs.insert(wd)
        for name in (try? FileSystem.listDirectory(dir)) ?? [] {
            let path = dir + "/" + name
            if !FileSystem.isSymlink(path), FileSystem.isDirectory(path) { try watchTree(path) }
        }
    }

    /// Batches of changed paths (among those watched), until stop().
    public func changes(quiet: CNCDuration = CNCDuration(nanoseconds: 150_000_000)) -> AsyncStream<[String]> {
        AsyncStream { continuation in
            start(quiet: quiet, onChange: { continuation.yield($0) }, onEnd: { continuation.finish() })
        }
    }

    /// Calls `onChange` on the watcher's own thread with each batch, and `onEnd` after stop().
    public func start(
        quiet: CNCDuration = CNCDuration(nanoseconds: 150_000_000), onChange: @escaping @Sendable ([String]) -> Void,
        onEnd: @escaping @Sendable () -> Void = {}
    ) {
        let thread = Thread { [self] in
            var pending: Set<String> = []
            while true {
                var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stopPipe[0], events: Int16(POLLIN), revents: 0)]
                let timeout: Int32 = pending.isEmpty ? -1 : Int32(quiet.nanoseconds / 1_000_000)
                let n = poll(&fds, 2, timeout)
                if n < 0 { if errno == EINTR { continue }; break }
                if fds[1].revents != 0 { break }
                if n == 0 {
                    onChange(pending.sorted())
                    pending.removeAll()
                    continue
                }
                pending.formUnion(readEvents())
            }
            onEnd()
        }
        thread.name = "cnc-file-watcher"
        thread.start()
    }

    private func readEvents() -> [String] {
        var buffer = [UInt8](repeating: 0, count: 8192)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return [] }
        var out: [String] = []
        var offset = 0
        let header = MemoryLayout<inotify_event>.size
        while offset + header <= n {
            let (wd, len, mask) = buffer.withUnsafeBytes { raw -> (Int32, Int, UInt32) in
                let e = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                return (e.wd, Int(e.len), e.mask)
            }
            let nameBytes = buffer[(offset + header)..<min(offset + header + len, n)].prefix { $0 != 0 }
            let name = String(decoding: nameBytes, as: UTF8.self)
            if let dir = watches[wd] {
                let path = dir == "/" ? "/" + name : dir + "/" + name
                if treeDirs.contains(wd), !name.isEmpty {
                    out.append(path)
                    // A directory made (or moved in) under a tree is watched from now on; what
                    // it already holds is reported with it (the directory's path).
                    if mask & UInt32(IN_ISDIR) != 0, mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 { try? watchTree(path) }
                } else if files.contains(path) {
                    out.append(path)
                }
            }
            if mask & UInt32(IN_IGNORED) != 0 {
                watches[wd] = nil
                treeDirs.remove(wd)
            }
            offset += header + len
        }
        return out
    }

    /// Ends the stream and releases the inotify descriptor.
    public func stop() {
        var one: UInt8 = 1
        _ = write(stopPipe[1], &one, 1)
    }

    deinit {
        Glibc.close(fd)
        Glibc.close(stopPipe[0])
        Glibc.close(stopPipe[1])
    }
}
