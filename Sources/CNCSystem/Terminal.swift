import CNCCore
import CShim
import Glibc

/// The caller's terminal for `-t` (the container's own terminal is made inside it by cnc-init).
public enum Terminal {
    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Raw mode on `fd` until `restore()`.
    public static func makeRaw(_ fd: Int32) -> Bool { cshim_tty_raw(fd) == 0 }
    public static func restore() { cshim_tty_restore() }
    public static func copySize(from: Int32, to: Int32) { _ = cshim_tty_copy_size(from, to) }
}

/// Raw file-descriptor helpers for the CLI's attach and copy paths.
public enum FD {
    public static func close(_ fd: Int32) { if fd >= 0 { _ = Glibc.close(fd) } }

    /// One read; 0 at EOF; throws on errors other than EINTR.
    public static func read(_ fd: Int32, into buf: inout [UInt8]) throws -> Int {
        try retryingEINTR("read", path: "fd \(fd)") { buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
    }

    /// Reads until EOF.
    public static func readAll(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 8192)
        while let n = try? read(fd, into: &buf), n > 0 { out += buf[0..<n] }
        return out
    }

    public static func write(_ fd: Int32, _ bytes: [UInt8]) throws { try FileSystem.writeAll(fd, bytes, path: "fd \(fd)") }

    /// A write to a pipe whose reader may be gone (a child that died early): EPIPE comes back as
    /// an error instead of a SIGPIPE that ends this process and leaves the container half made.
    /// SIGPIPE is blocked on this thread for the write and a pending one is taken away.
    public static func writeToChild(_ fd: Int32, _ bytes: [UInt8]) throws {
        var block = sigset_t(), old = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &block, &old)
        defer {
            var pending = sigset_t()
            if sigpending(&pending) == 0, sigismember(&pending, SIGPIPE) == 1, sigismember(&old, SIGPIPE) == 0 {
                var now = timespec()
                _ = sigtimedwait(&block, nil, &now)
            }
            pthread_sigmask(SIG_SETMASK, &old, nil)
        }
        try write(fd, bytes)
    }

    /// open(2) with O_CLOEXEC.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        try retryingEINTR("open", path: path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    public static let readOnly = O_RDONLY
    public static let writeOnly = O_WRONLY
    public static let readWrite = O_RDWR

    /// Copies from `from` to `to` until EOF on a dedicated thread (never the shared pool).
    public static func pumpInBackground(from: Int32, to: Int32, closeWhenDone: Bool = false) {
        let box = UnsafeMutablePointer<(Int32, Int32, Bool)>.allocate(capacity: 1)
        box.initialize(to: (from, to, closeWhenDone))
        var thread = pthread_t()
        pthread_create(&thread, nil, { raw in
            guard let p = raw?.assumingMemoryBound(to: (Int32, Int32, Bool).self) else { return nil }
            let (from, to, closeIt) = p.pointee
            p.deallocate()
            var buf = [UInt8](repeating: 0, count: 16384)
            while true {
                let n = buf.withUnsafeMutableBytes { Glibc.read(from, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                if (try? FileSystem.writeAll(to, Array(buf[0..<n]), path: "fd")) == nil { break }
            }
            if closeIt { _ = Glibc.close(to) }
            return nil
        }, box)
        pthread_detach(thread)
    }
}

/// Detached OS threads for blocking work (never the shared concurrency pool).
public enum Threads {
    final class Box { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }

    /// False when no thread could be made (`body` did not run).
    @discardableResult
    public static func detach(_ body: @escaping () -> Void) -> Bool {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let r = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let b = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            b.body()
            return nil
        }, box)
        if r == 0 { pthread_detach(thread) } else { Unmanaged<Box>.fromOpaque(box).release() }
        return r == 0
    }

    /// Work running on its own thread until `join` returns its result (or rethrows its error).
    public final class Joinable<T> {
        fileprivate var result: Result<T, any Error>?
        fileprivate var thread: pthread_t?

        /// Waits for the work to end; its value or error.
        public func join() throws -> T {
            if let thread { pthread_join(thread, nil); self.thread = nil }
            guard let result else { throw CNCError(.internal, "joined work produced no result") }
            return try result.get()
        }
    }

    /// Starts `body` on a new thread (inline when no thread can be made).
    public static func start<T>(_ body: @escaping () throws -> T) -> Joinable<T> {
        let job = Joinable<T>()
        let box = Unmanaged.passRetained(Box { job.result = Result { try body() } }).toOpaque()
        var thread = pthread_t()
        let r = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<Box>.fromOpaque(raw).takeRetainedValue().body()
            return nil
        }, box)
        if r == 0 {
            job.thread = thread
        } else {
            let b = Unmanaged<Box>.fromOpaque(box).takeRetainedValue()
            b.body()
        }
        return job
    }
}
