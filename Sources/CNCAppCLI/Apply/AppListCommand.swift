import ArgumentParser
import CNCCore
import CNCEngine
import CNCState
import CNCSystem

/// `cncapply ls`: the applied apps of this root, as `docker compose ls` lists projects.
struct AppListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List applied apps (running ones; -a for all).",
        discussion: """
        STATUS counts the app's containers by state, as docker compose ls does: running(3), \
        or exited(1), running(2). An app taken down (cncapply down) is listed with -a only, as down.

        EXAMPLES
          cncapply ls
          cncapply ls -a --format json
          cncapply ls -q --filter name=shop
        """,
        aliases: ["list"])

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var global: GlobalOptions
    /// `cncapply -f app.yaml ls` lists every app, as `docker compose -f x ls` does.
    @OptionGroup(visibility: .hidden) var spec: SpecOptions
    @Flag(name: .shortAndLong, help: "Show all apps, stopped and taken down ones too.") var all = false
    @Flag(name: .shortAndLong, help: "Only display app names.") var quiet = false
    @Option(help: "Format the output: table or json.") var format: Format = .table
    @Option(help: ArgumentHelp("Filter output based on conditions provided (name=TEXT).", valueName: "filter"))
    var filter: [String] = []

    func validate() throws {
        for f in filter where !f.hasPrefix("name=") {
            throw ValidationError("invalid filter '\(f)' (cncapply ls filters on name=TEXT)")
        }
    }

    func run() async throws {
        var apps = try await Self.listings(stateRoot: global.stateRoot)
        if !all { apps = apps.filter(\.isRunning) }
        for f in filter { apps = apps.filter { $0.name.contains(f.dropFirst("name=".count)) } }
        let text = quiet ? AppListFormat.quiet(apps) : format == .json ? AppListFormat.json(apps) : AppListFormat.table(apps)
        print(text, terminator: "")
    }

    /// Every app the state DB knows or a container's label names, sorted by name. Reads only;
    /// a root without a state DB has no apps.
    static func listings(stateRoot: String) async throws -> [AppListing] {
        guard FileSystem.exists(stateRoot + "/state.db") else { return [] }
        let state = try StateDB(path: stateRoot + "/state.db")
        let runtime = try ContainerEngine.runtime(GlobalOptions.engineConfig(root: stateRoot, logLevel: nil, label: "cncapply"))
        var states: [String: [String]] = [:]
        for c in runtime.list() {
            guard let project = c.config.labels[AppLabels.project] else { continue }
            states[project, default: []].append((c.state.dead ? ContainerStatus.dead : c.state.status).rawValue)
        }
        let revisions = try await state.lastRevisionNumbers()
        var files: [String: [String]] = [:]
        for app in try await state.apps() {
            files[app.project] = AppListing.absolute(app.specFiles, directory: app.workingDirectory)
        }
        var out: [AppListing] = []
        for name in Set(files.keys).union(states.keys).union(revisions.keys).sorted() {
            out.append(AppListing(name: name, states: states[name] ?? [], revision: revisions[name], configFiles: files[name] ?? [],
                                  down: try await state.isDown(project: name)))
        }
        return out
    }
}
