import ArgumentParser
import CNCCore
import CNCEngine
import CNCRuntime
import CNCSystem
import Foundation
import Synchronization

/// `cncapply logs [-f] [SERVICE...]`: the app's logs, merged by time, each line prefixed.
struct AppLogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Show the app's logs, merged and prefixed by container.",
        discussion: "EXAMPLES\n  cncapply logs -p shop\n  cncapply logs -f --tail 20 web\n  cncapply logs --file app.yaml worker")

    @OptionGroup var global: GlobalOptions
    // -f is follow here (as in `docker compose logs -f`), so the spec files are --file only.
    @Option(name: .customLong("file"), help: ArgumentHelp("App spec file (repeatable).", valueName: "file")) var files: [String] = []
    @Option(name: [.customShort("p"), .customLong("project-name")], help: "Project name.") var projectName: String?
    @Option(name: .customLong("env-file"), help: ArgumentHelp("Variables for interpolation (repeatable).", valueName: "file")) var envFiles: [String] = []
    @Option(name: .customLong("profile"), help: ArgumentHelp("Enable the services of this profile (repeatable).", valueName: "name")) var profiles: [String] = []
    @Flag(name: .shortAndLong, help: "Follow new output.") var follow = false
    @Flag(name: .shortAndLong, help: "Show timestamps.") var timestamps = false
    @Option(help: "Lines per container from the end (default all).") var tail: Int?
    @Argument(help: "Only these services.", completion: .serviceNames) var services: [String] = []

    func run() async throws {
        let spec = try SpecOptions.parse(files.flatMap { ["-f", $0] } + (projectName.map { ["-p", $0] } ?? [])
            + envFiles.flatMap { ["--env-file", $0] } + profiles.flatMap { ["--profile", $0] })
        let target = try AppTarget.find(spec)
        let ctx = try AppContext.open(global)
        let wanted = Set(services)
        let containers = ctx.runtime.list().filter {
            $0.config.labels[AppLabels.project] == target.project
                && (wanted.isEmpty || wanted.contains($0.config.labels[AppLabels.service] ?? ""))
        }.sorted { $0.config.name < $1.config.name }
        let prefix = target.project + "-"
        func label(_ c: Container) -> String { c.config.name.hasPrefix(prefix) ? String(c.config.name.dropFirst(prefix.count)) : c.config.name }
        let width = containers.map { label($0).count }.max() ?? 0
        var merged: [(String, String, LogEntry)] = []
        // A container whose driver keeps nothing to read (none) is left out, as compose does.
        let readers = containers.compactMap { c in (try? ContainerLogReader(ctx.runtime, c)).map { (c, $0) } }
        for (c, reader) in readers {
            var entries = reader.entries()
            // A negative count is every line, as docker compose reads it (never a trap in suffix).
            if let tail, tail >= 0 { entries = Array(entries.suffix(tail)) }
            merged += entries.map { (label(c), $0.time, $0) }
        }
        for (name, _, e) in merged.sorted(by: { $0.1 < $1.1 }) { emit(name, width, e) }
        guard follow else { return }
        // One thread per container follows its log until it stops.
        let group = DispatchGroup()
        for (c, reader) in readers {
            let name = label(c)
            group.enter()
            Thread.detachNewThread {
                reader.follow { e in emit(name, width, e) }
                group.leave()
            }
        }
        group.wait()
    }

    func emit(_ name: String, _ width: Int, _ e: LogEntry) {
        let pad = String(repeating: " ", count: max(0, width - name.count))
        var line = e.log
        if line.hasSuffix("\n") { line.removeLast() }
        // Unbuffered: with -f every line must show as it comes, and a Ctrl-C must lose nothing.
        TerminalInfo.writeStdout("\(name)\(pad) | " + (timestamps ? e.time + " " : "") + line + "\n")
    }
}
