import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRuntime
import CNCSystem
import Foundation

/// `cnc logs`.
struct ContainerLogs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Fetch the logs of a container.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("f"), .long], help: "Follow log output.") var follow = false
    @Option(name: [.customShort("n"), .long], help: "Number of lines to show from the end of the logs (or \"all\").") var tail: String = "all"
    @Option(name: .long, help: "Show logs since a timestamp (2013-01-02T13:23:37Z) or relative (42m).") var since: String?
    @Flag(name: [.customShort("t"), .long], help: "Show timestamps.") var timestamps = false
    @Argument var container: String

    func run() throws {
        let r = try global.runtime()
        let c = try r.container(container)
        var sinceTime: String?
        if let since {
            if let d = try? CNCDuration(parsing: since) {
                sinceTime = ContainerInspect.rfc3339(Int64((Date().timeIntervalSince1970 - d.seconds) * 1e9))
            } else if let secs = Double(since) {
                sinceTime = ContainerInspect.rfc3339(Int64(secs * 1e9))
            } else {
                sinceTime = since
            }
        }
        let offset = FileSystem.fileSize(c.directory + "/container.log") ?? 0
        var entries = r.readLogs(c, sinceTime: sinceTime)
        if tail != "all" {
            guard let n = Int(tail), n >= 0 else { throw CNCError(.invalidArgument, "invalid --tail \(tail)") }
            entries = Array(entries.suffix(n))
        }
        for e in entries { emit(e) }
        if follow { r.followLogs(c, from: offset) { emit($0) } }
    }

    func emit(_ e: LogEntry) {
        let text = timestamps ? e.time + " " + e.log : e.log
        let fd: Int32 = e.stream == "stderr" ? 2 : 1
        try? FD.write(fd, Array(text.utf8))
    }
}
