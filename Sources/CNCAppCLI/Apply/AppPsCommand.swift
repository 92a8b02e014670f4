import ArgumentParser
import CNCCore
import CNCEngine

/// `cncapply ps`: the app's containers.
struct AppPsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List the app's containers.",
        discussion: "EXAMPLES\n  cncapply ps\n  cncapply ps -p shop")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var spec: SpecOptions
    @Flag(name: .shortAndLong, help: "Only container IDs.") var quiet = false

    func run() async throws {
        let target = try AppTarget.find(spec)
        let ctx = try AppContext.open(global)
        let containers = try await ctx.backend.listContainers(project: target.project).sorted { $0.name < $1.name }
        if quiet { for c in containers { print(c.id) }; return }
        var rows = [["NAME", "SERVICE", "STATUS", "HEALTH", "IMAGE", "CONTAINER ID"]]
        for c in containers {
            var status = c.observation.status.rawValue
            if let code = c.observation.exitCode, c.observation.status == .exited { status += " (\(code))" }
            rows.append([c.name, c.labels[AppLabels.service] ?? "-", status,
                         c.observation.health == .none ? "-" : c.observation.health.rawValue, Self.image(c.labels[AppLabels.image]),
                         String(c.id.prefix(12))])
        }
        print(Table.render(rows), terminator: "")
    }

    /// The image as the spec wrote it (`busybox`, not `docker.io/library/busybox:latest`), as
    /// `cnc ps` and `docker compose ps` show it.
    static func image(_ label: String?) -> String {
        guard let label else { return "-" }
        return (try? ImageReference(parsing: label)).map(RuntimeBackend.shown) ?? label
    }
}
