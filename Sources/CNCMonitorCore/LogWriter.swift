import Glibc

/// The container's output streams, as the log names them.
public enum LogStream: String, Sendable {
    case stdout, stderr
}

/// The json-lines log (Docker's json-file format: {"log":..,"stream":..,"time":..}) with size
/// rotation: container.log, container.log.1, ... up to `maxFiles` files of `maxSize` bytes;
/// or, with another driver, the same lines to journald, or nowhere.
public final class LogWriter {
    /// Where finished lines go.
    public enum Sink {
        case file
        case journal(JournalSender)
        case none
    }

    /// An unfinished line is written once this much of it has come (as Docker does), without
    /// waiting for its end.
    public static let maxLine = 16384

    let path: String
    let maxSize: Int64
    let maxFiles: Int
    let clock: () -> Int64
    let sink: Sink
    private var fd: Int32 = -1
    private var size: Int64 = 0
    /// The unfinished last line of each stream.
    private var partialOut: [UInt8] = []
    private var partialErr: [UInt8] = []

    /// - Parameters:
    ///   - maxSize: rotate before a line would take the file past this many bytes; 0: never.
    ///   - maxFiles: files kept, the live one included; 1 truncates in place.
    ///   - clock: wall time in nanoseconds for each line's "time".
    public init(path: String, maxSize: Int64, maxFiles: Int, sink: Sink = .file, clock: @escaping () -> Int64 = SystemClock.realtimeNanos) {
        self.path = path
        self.maxSize = maxSize
        self.maxFiles = max(1, maxFiles)
        self.clock = clock
        self.sink = sink
        if case .file = sink { reopen() }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// One log line: `bytes` (invalid UTF-8 replaced) with its stream and time.
    public static func line(_ stream: LogStream, _ bytes: ArraySlice<UInt8>, nanos: Int64) -> [UInt8] {
        let text = "{\"log\":\(JSONText.quoted(String(decoding: bytes, as: UTF8.self))),\"stream\":\"\(stream.rawValue)\",\"time\":\"\(RFC3339.format(nanos: nanos))\"}\n"
        return Array(text.utf8)
    }

    /// Splits on newlines; a partial line waits for its end (or `maxLine` bytes).
    public func write(_ stream: LogStream, _ data: ArraySlice<UInt8>) {
        var buf = stream == .stdout ? partialOut : partialErr
        buf += data
        var start = 0
        for i in 0..<buf.count where buf[i] == 10 {
            append(stream, buf[start...i])
            start = i + 1
        }
        if buf.count - start >= Self.maxLine {
            append(stream, buf[start...])
            start = buf.count
        }
        let rest = Array(buf[start...])
        if stream == .stdout { partialOut = rest } else { partialErr = rest }
    }

    /// Writes the unfinished lines (the container has exited).
    public func flush() {
        if !partialOut.isEmpty { append(.stdout, partialOut[...]) }
        if !partialErr.isEmpty { append(.stderr, partialErr[...]) }
        partialOut = []
        partialErr = []
    }

    private func append(_ stream: LogStream, _ bytes: ArraySlice<UInt8>) {
        switch sink {
        case .file: break
        case .journal(let j): return j.send(stream, bytes)
        case .none: return
        }
        let b = Self.line(stream, bytes, nanos: clock())
        if maxSize > 0 && size > 0 && size + Int64(b.count) > maxSize { rotate() }
        FileIO.writeAll(fd, b)
        size += Int64(b.count)
    }

    private func reopen() {
        if fd >= 0 { close(fd) }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        var st = stat()
        size = fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }

    private func rotate() {
        if maxFiles <= 1 {
            _ = ftruncate(fd, 0)
            size = 0
            return
        }
        var i = maxFiles - 1
        while i >= 1 {
            rename(i == 1 ? path : "\(path).\(i - 1)", "\(path).\(i)")
            i -= 1
        }
        reopen()
    }
}
