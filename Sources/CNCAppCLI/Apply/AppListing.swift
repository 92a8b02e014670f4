import CNCCore

/// One row of `cncapply ls`: what `docker compose ls` shows (name, combined status, config
/// files), plus the app's last revision.
public struct AppListing: Sendable, Equatable {
    public var name: String
    /// The states of the app's containers (`running`, `exited`...), one entry per container.
    public var states: [String]
    public var revision: Int?
    public var configFiles: [String]
    /// The app's last word was `cncapply down`.
    public var down: Bool

    public init(name: String, states: [String], revision: Int?, configFiles: [String], down: Bool = false) {
        self.name = name
        self.states = states
        self.revision = revision
        self.configFiles = configFiles
        self.down = down
    }

    /// Compose's combined status: each state with its count, states sorted, `, `-separated
    /// (`exited(1), running(2)`); `down` for an app taken down.
    public var status: String {
        if states.isEmpty { return down ? "down" : "" }
        var counts: [String: Int] = [:]
        for s in states { counts[s, default: 0] += 1 }
        return counts.keys.sorted().map { "\($0)(\(counts[$0] ?? 0))" }.joined(separator: ", ")
    }

    /// Shown without `-a`: an app with a running container (as Compose lists running projects).
    public var isRunning: Bool { states.contains(ContainerStatus.running.rawValue) }

    /// Absolute spec paths, as Compose shows them: relative ones resolve against `directory`.
    public static func absolute(_ files: [String], directory: String) -> [String] {
        files.map { $0.hasPrefix("/") || $0 == "-" || directory.isEmpty ? $0 : directory + "/" + $0 }
    }
}

/// Renders `cncapply ls` in the formats `docker compose ls` has.
public enum AppListFormat {
    /// `NAME  STATUS  REVISION  CONFIG FILES` with aligned columns (files comma-separated, as Compose).
    public static func table(_ apps: [AppListing]) -> String {
        var rows = [["NAME", "STATUS", "REVISION", "CONFIG FILES"]]
        for a in apps { rows.append([a.name, a.status, a.revision.map(String.init) ?? "-", a.configFiles.joined(separator: ",")]) }
        return Table.render(rows)
    }

    /// One JSON array on one line, Compose's keys (`Name`, `Status`, `ConfigFiles`) plus `Revision`.
    public static func json(_ apps: [AppListing]) -> String {
        "[" + apps.map { a in
            "{\"Name\":\(quoted(a.name)),\"Status\":\(quoted(a.status)),\"Revision\":\(a.revision.map(String.init) ?? "null"),"
                + "\"ConfigFiles\":\(quoted(a.configFiles.joined(separator: ",")))}"
        }.joined(separator: ",") + "]\n"
    }

    /// `-q`: the names, one per line.
    public static func quiet(_ apps: [AppListing]) -> String { apps.map { $0.name + "\n" }.joined() }

    static func quoted(_ s: String) -> String { (try? CanonicalJSON.string(JSONValue.string(s))) ?? "\"\"" }
}
