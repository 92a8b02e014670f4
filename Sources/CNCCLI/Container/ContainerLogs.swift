import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCEngine
import CNCRuntime
import CNCSystem
import Foundation

/// `cnc logs`.
struct ContainerLogs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Fetch the logs of a container.",
        discussion: "EXAMPLES\n  cnc logs web\n  cnc logs -f --tail 20 web\n  cnc logs --since 10m -t web")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("f"), .long], help: "Follow log output.") var follow = false
    @Option(name: [.customShort("n"), .long], parsing: .unconditional, help: "Number of lines to show from the end of the logs (or \"all\").") var tail: String = "all"
    @Option(name: .long, help: "Show logs since a timestamp (2013-01-02T13:23:37Z) or relative (42m).") var since: String?
    @Option(name: .long, help: "Show logs before a timestamp (2013-01-02T13:23:37Z) or relative (42m).") var until: String?
    @Flag(name: [.customShort("t"), .long], help: "Show timestamps.") var timestamps = false
    @Argument(completion: .containerNames) var container: String

    func run() throws {
        let r = try global.runtime()
        let c = try r.container(container)
        let sinceTime = try since.map { try Self.logTime($0, option: "--since") }
        let untilTime = try until.map { try Self.logTime($0, option: "--until") }
        let reader = try ContainerLogReader(r, c)
        var entries = reader.entries(sinceTime: sinceTime)
        if let untilTime { entries = entries.filter { $0.time < untilTime } }
        if let n = Self.tailCount(tail) { entries = Array(entries.suffix(n)) }
        for e in entries { emit(e) }
        if follow && untilTime == nil { reader.follow { emit($0) } }
    }

    /// `--tail`'s count as docker's daemon reads it (strconv.Atoi): a decimal number, signed or
    /// not; anything else ("all", "abc", " 2", a number out of range) or a negative number
    /// means every line (nil).
    static func tailCount(_ text: String) -> Int? {
        guard let n = Int(text), n >= 0 else { return nil }
        return n
    }

    /// A `--since`/`--until` value as the log's own timestamp form (RFC 3339 with nanoseconds,
    /// UTC), so they compare as text: a duration back from now (42m), Unix seconds
    /// (1700000000.5), or an RFC 3339 time with or without fractions or a zone offset.
    static func logTime(_ text: String, option: String) throws -> String { logStamp(try timeNanos(text)) }

    /// docker's time values (`--since`, `--until`, `--filter until=`) as wall-clock nanoseconds.
    static func timeNanos(_ text: String) throws -> Int64 {
        if let d = try? CNCDuration(parsing: text) {
            return Int64((Date().timeIntervalSince1970 - d.seconds) * 1e9)
        }
        if let secs = Double(text) { return Int64(secs * 1e9) }
        let f = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime],
                                                      [.withFullDate]] {
            f.formatOptions = options
            if let d = f.date(from: text) { return Int64((d.timeIntervalSince1970 * 1e9).rounded()) }
        }
        // docker's words (api/types/time.GetTimestamp); a duration (42m), Unix seconds or RFC 3339.
        throw CNCError(.invalidArgument, "failed to parse value as time or duration: \"\(text)\"")
    }

    /// The monitor's stamp form: UTC, nine fraction digits.
    static func logStamp(_ nanos: Int64) -> String {
        let secs = nanos >= 0 ? nanos / 1_000_000_000 : (nanos - 999_999_999) / 1_000_000_000
        let frac = String(nanos - secs * 1_000_000_000)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: Double(secs))).dropLast() + "." + String(repeating: "0", count: 9 - frac.count) + frac + "Z"
    }

    func emit(_ e: LogEntry) {
        let text = timestamps ? e.time + " " + e.log : e.log
        let fd: Int32 = e.stream == "stderr" ? 2 : 1
        try? FD.write(fd, Array(text.utf8))
    }
}
