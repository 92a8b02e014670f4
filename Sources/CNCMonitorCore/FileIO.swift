import Glibc

/// Whole-file and whole-pipe reads and writes over raw fds (EINTR retried).
enum FileIO {
    static func read(path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        return readAll(fd, chunk: 16384)
    }

    /// Reads `fd` to EOF (or an error).
    static func readAll(_ fd: Int32, chunk: Int = 4096) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return out }
            out += buf[0..<n]
        }
    }

    /// Writes all of `bytes`; gives up silently on an error (a log or state write must not
    /// take the monitor down).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var off = 0
            while off < raw.count {
                let n = write(fd, base + off, raw.count - off)
                if n < 0 { if errno == EINTR { continue }; return }
                off += n
            }
        }
    }

    /// Replaces `path` through a rename, so a reader sees the old or the new text, never half.
    static func writeAtomically(_ path: String, _ text: String) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { return }
        writeAll(fd, Array(text.utf8))
        close(fd)
        rename(tmp, path)
    }

    static func describe(errno e: Int32) -> String { String(cString: strerror(e)) }
}
