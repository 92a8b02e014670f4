import CNCCore
import Foundation
import Glibc

/// Watches files for changes with inotify and reports them debounced: one batch of changed
/// paths after `quiet` without further events. Watches the files' directories, because editors
/// save by writing a new file and renaming it over the old one.
public final class FileWatcher: @unchecked Sendable {
    // @unchecked: `fd` is set in init and closed once in stop(); the reader thread only reads it.
    private let fd: Int32
    private let files: Set<String>
    private var watches: [Int32: String] = [:]
    private let stopPipe: [Int32]

    /// `paths` must be absolute.
    public init(paths: [String]) throws {
        files = Set(paths)
        fd = try retryingEINTR("inotify_init1") { inotify_init1(Int32(IN_CLOEXEC)) }
        var p: [Int32] = [-1, -1]
        guard pipe(&p) == 0 else { Glibc.close(fd); throw SystemError.make("pipe", errno: errno) }
        stopPipe = p
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB)
        for dir in Set(paths.map(FileSystem.directoryName)) {
            let wd = inotify_add_watch(fd, dir, mask)
            if wd < 0 {
                let e = errno
                stop()
                throw SystemError.make("inotify_add_watch", errno: e, path: dir)
            }
            watches[wd] = dir
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
            let (wd, len) = buffer.withUnsafeBytes { raw -> (Int32, Int) in
                let e = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                return (e.wd, Int(e.len))
            }
            let nameBytes = buffer[(offset + header)..<min(offset + header + len, n)].prefix { $0 != 0 }
            let name = String(decoding: nameBytes, as: UTF8.self)
            if let dir = watches[wd] {
                let path = dir == "/" ? "/" + name : dir + "/" + name
                if files.contains(path) { out.append(path) }
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
