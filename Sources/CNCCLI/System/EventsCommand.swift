import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCSystem
import Foundation

/// `cnc events` (and `cnc system events`): the root's event log as docker prints it. Without
/// `--since`/`--until` only new events, as they happen; `--since` replays the log from then
/// first; `--until` stops at that time (at once when it is past).
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Get real time events from the runtime's event log.",
        discussion: "EXAMPLES\n  cnc events\n  cnc events --since 10m --filter type=container --filter event=die\n  cnc events --since 1h --until 10m --format '{{json .}}'\n  cnc system events --filter type=network")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Show all events created since timestamp (RFC 3339, Unix seconds, or a duration back from now: 10m).") var since: String?
    @Option(name: .long, help: "Stream events until this timestamp.") var until: String?
    @Option(name: [.customShort("f"), .long], help: "Filter output based on conditions provided (type=, event=, container=, image=, label=, network=, volume=).", completion: .list(EventText.filterKeys.map { $0 + "=" })) var filter: [String] = []
    @Option(name: .long, help: "Format output using a Go template ('json': one JSON object per line).") var format: String?

    func run() throws {
        try dockerErrors {
            let sinceStamp = try since.map { try ContainerLogs.logTime($0, option: "--since") }
            let untilStamp = try until.map { try ContainerLogs.logTime($0, option: "--until") }
            let filters = try EventText.filters(filter)
            let template = format.flatMap { $0 == "json" || $0 == "{{json .}}" ? nil : GoTemplate($0) }
            try template?.validate()
            let raw = format == "json" || format == "{{json .}}"
            let path = global.stateRoot + "/events.log"
            func emit(_ line: String) throws -> Bool {
                guard let e = EventMessage(line: line) else { return true }
                let stamp = EventText.stamp(e.timeNano)
                if let untilStamp, stamp > untilStamp { return false }
                if let sinceStamp, stamp < sinceStamp { return true }
                guard EventText.matches(e, filters) else { return true }
                let text = raw ? e.raw : (try template?.render(json: e.json) ?? e.text)
                TerminalInfo.writeStdout(text + "\n")
                return true
            }
            var offset = FileSystem.fileSize(path) ?? 0
            if sinceStamp != nil || untilStamp != nil {
                let old = (try? FileSystem.readText(path + ".1")) ?? ""
                let current = (try? FileSystem.readBytes(path)) ?? []
                offset = Int64(current.count)
                for line in (old + String(decoding: current, as: UTF8.self)).split(separator: "\n") {
                    guard try emit(String(line)) else { return }
                }
            }
            try Self.follow(path, from: offset, until: untilStamp, emit: emit)
        }
    }

    /// Prints lines appended to the log from `offset` on, until `until` has passed (or forever).
    static func follow(_ path: String, from start: Int64, until: String?, emit: (String) throws -> Bool) throws {
        var offset = start
        var pending: [UInt8] = []
        while true {
            if let until, EventText.stamp(Processes.wallNanos()) > until { return }
            let size = FileSystem.fileSize(path) ?? 0
            if size < offset { offset = 0; pending = [] }  // moved to events.log.1: a new file
            if size > offset, let bytes = try? FileSystem.readBytes(path), bytes.count > Int(offset) {
                pending += bytes[Int(offset)...]
                offset = Int64(bytes.count)
                while let nl = pending.firstIndex(of: 10) {
                    guard try emit(String(decoding: pending[..<nl], as: UTF8.self)) else { return }
                    pending.removeSubrange(...nl)
                }
                continue
            }
            Processes.sleep(milliseconds: 100)
        }
    }
}
