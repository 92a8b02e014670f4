import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRuntime
import CNCSystem
import Foundation

/// `cnc ps`.
struct ContainerList: ParsableArguments {
    static let abstract = "List containers."
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("a"), .long], help: "Show all containers (default shows just running).") var all = false
    @Flag(name: [.customShort("q"), .long], help: "Only display container IDs.") var quiet = false
    @Flag(name: .long, help: "Don't truncate output.") var noTrunc = false
    @Option(name: [.customShort("n"), .long], parsing: .unconditional, help: "Show n last created containers (includes all states).") var last: Int?
    @Flag(name: [.customShort("l"), .long], help: "Show the latest created container (includes all states).") var latest = false
    @Option(name: [.customShort("f"), .long], help: "Filter output (name=, id=, status=, label=, exited=).", completion: .list(["name=", "id=", "status=", "label=", "exited=", "health="])) var filter: [String] = []
    @Option(name: .long, help: "Format output using a Go template (\"table\" prefix adds a header).") var format: String?

    func run() throws {
        let r = try global.runtime()
        try Self.checkFilterKeys(filter, known: ["name", "id", "status", "exited", "label", "health"],
                                 docker: ["ancestor", "before", "expose", "isolation", "is-task", "network", "publish", "since", "volume"])
        var rows = r.list()
        // docker: -n N / -l show the last created containers of every state (-n -1: no limit).
        let newest = latest ? 1 : last.flatMap { $0 >= 0 ? $0 : nil }
        if newest == nil && !all && !filter.contains(where: { $0.hasPrefix("status=") || $0.hasPrefix("exited=") }) {
            rows = rows.filter { $0.state.isActive }
        }
        for f in filter {
            let (k, v) = try Self.filterPair(f)
            rows = rows.filter { c in
                switch k {
                case "name": return c.config.name.contains(v)
                case "id": return c.config.id.rawValue.hasPrefix(v)
                case "status": return c.state.status.rawValue == v
                case "exited": return c.state.status == .exited && String(c.state.exitCode) == v
                case "label": return Self.hasLabel(c, v)
                case "health": return c.state.health?.status == v
                default: return false
                }
            }
        }
        if let newest { rows = Array(rows.sorted { $0.config.created > $1.config.created }.prefix(newest)) }
        if quiet {
            for c in rows { print(noTrunc ? c.config.id.rawValue : c.config.id.short) }
            return
        }
        let ports = PortLookup(root: global.stateRoot, images: { try global.imageStore() })
        let docs = rows.map { row($0, ports: ports.text(for: $0)) }
        if let format, format != "table" {
            let t = GoTemplate(format)
            try t.validate()
            let lines = try docs.map { try t.render(json: $0) }
            if t.isTable { print(TabWriter.format([t.header(Self.headers)] + lines), terminator: "") } else { lines.forEach { print($0) } }
            return
        }
        var table = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]]
        for d in docs {
            guard case .object(let o) = d else { continue }
            func f(_ k: String) -> String { if case .string(let s) = o[k] ?? .null { return s }; return "" }
            table.append([f("ID"), f("Image"), f("Command"), f("RunningFor"), f("Status"), f("Ports"), f("Names")])
        }
        print(TabWriter.render(table), terminator: "")
    }

    /// Docker's column titles for `--format 'table ...'`.
    static let headers = [
        "ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT", "RunningFor": "CREATED",
        "Ports": "PORTS", "State": "STATE", "Status": "STATUS", "Size": "SIZE", "Names": "NAMES", "Labels": "LABELS",
        "Mounts": "MOUNTS", "Networks": "NETWORKS", "LocalVolumes": "LOCAL VOLUMES",
    ]

    /// A `--filter NAME=VALUE` split in two (for ps and container prune).
    static func filterPair(_ f: String) throws -> (String, String) {
        let kv = f.split(separator: "=", maxSplits: 1).map(String.init)
        guard kv.count == 2 else { throw CNCError(.invalidArgument, "bad format of filter (expected name=value): \(f)") }
        return (kv[0], kv[1])
    }

    /// Docker's refusal of a filter key it does not know (`Invalid filter 'KEY'`, its daemon's
    /// words, exit 1), and a plain "not supported yet" for one of docker's keys cnc lacks:
    /// never a silent empty list.
    static func checkFilterKeys(_ filters: [String], known: Set<String>, docker: Set<String> = []) throws {
        for f in filters {
            let key = String(f.prefix { $0 != "=" && $0 != "!" })
            if known.contains(key) { continue }
            if docker.contains(key) { throw CNCError(.invalidArgument, "filter '\(key)' is not supported yet") }
            throw CNCError(.invalidArgument, "Invalid filter '\(key)'")
        }
    }

    /// `label=KEY` (the label is set) or `label=KEY=VALUE` (set to VALUE).
    static func hasLabel(_ c: Container, _ spec: String) -> Bool { PruneFilter.hasLabel(c.config.labels, spec) }

    func row(_ c: Container, ports: String) -> JSONValue {
        var cmd = c.config.argv.joined(separator: " ")
        if !noTrunc && cmd.count > 20 { cmd = String(cmd.prefix(19)) + "…" }
        let created = Double(c.config.created) / 1e9
        return .object([
            "ID": .string(noTrunc ? c.config.id.rawValue : c.config.id.short), "Names": .string(c.config.name),
            "Image": .string(c.config.image), "Command": .string("\"\(cmd)\""), "State": .string(c.state.status.rawValue),
            "Status": .string(Self.status(c.state)), "RunningFor": .string(Self.ago(Date().timeIntervalSince1970 - created) + " ago"),
            "CreatedAt": .string(ContainerInspect.rfc3339(c.config.created)), "Ports": .string(ports),
            "Mounts": .string(c.config.mounts.filter { $0.type == .volume }.map(\.source).joined(separator: ",")),
            "Labels": .string(c.config.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")),
            "Networks": .string(c.config.network.description),
        ])
    }

    static func parse(_ rfc: String) -> Double? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var s = rfc
        // Foundation accepts at most milliseconds.
        if let dot = s.firstIndex(of: "."), let z = s.firstIndex(of: "Z") { s = String(s[..<dot]) + String(s[dot..<z].prefix(4)) + "Z" }
        return f.date(from: s)?.timeIntervalSince1970
    }

    static func ago(_ seconds: Double) -> String { Units.humanDuration(seconds: seconds) }

    /// Docker's STATUS column: "Up 3 seconds (healthy)", "Exited (0) 2 minutes ago", "Created".
    static func status(_ s: ContainerState) -> String {
        let now = Date().timeIntervalSince1970
        switch s.status {
        case .running, .paused:
            var t = "Up " + ago(now - (parse(s.startedAt) ?? now))
            if s.status == .paused { t += " (Paused)" }
            if let h = s.health { t += h.status == "starting" ? " (health: starting)" : " (\(h.status))" }
            return t
        case .restarting: return "Restarting (\(s.exitCode)) " + ago(now - (parse(s.finishedAt) ?? now)) + " ago"
        case .exited: return "Exited (\(s.exitCode)) " + ago(now - (parse(s.finishedAt) ?? now)) + " ago"
        case .dead: return "Dead"
        case .removing: return "Removal In Progress"
        case .created: return "Created"
        }
    }
}
