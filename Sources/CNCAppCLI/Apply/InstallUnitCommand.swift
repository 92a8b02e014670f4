import ArgumentParser
import CNCCore
import CNCSpec
import CNCSystem
import Foundation

/// `cncapply install-unit`: a systemd service (Quadlet-like) that keeps an app applied. It runs
/// `cncapply apply --watch` as Type=notify: it applies at boot (and on start), says READY=1
/// after the first apply, and re-applies whenever the spec or a file it names changes. One
/// long-running watcher rather than a .path unit: --watch already knows every file the app
/// depends on (includes, env files, configs, bind-mounted files) and follows that set as the
/// spec changes, which a .path unit's fixed list cannot. Stopping the unit brings the app down.
struct InstallUnitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-unit",
        abstract: "Write a systemd unit that applies the app at boot and re-applies it when its spec changes.",
        discussion: """
        The unit, cncapply-NAME.service, runs `cncapply apply --watch` as a Type=notify service;
        stopping it runs `cncapply down`. Then: systemctl daemon-reload && systemctl enable --now cncapply-NAME.service

        --user writes a unit for root's own service manager instead (~/.config/systemd/user,
        WantedBy=default.target; at boot only with `loginctl enable-linger root`). cnc runs
        containers as root only: a user unit for another user is not supported yet.

        EXAMPLES
          cncapply install-unit -f /srv/shop/app.yaml
          cncapply install-unit -p shop --stdout
          cncapply install-unit -f app.yaml -o /run/systemd/system
          cncapply install-unit --user -f /srv/shop/app.yaml
        """)

    static let defaultDirectory = "/etc/systemd/system"

    @OptionGroup var global: GlobalOptions
    @OptionGroup var spec: SpecOptions

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp(
        "Write the unit to this file, or into this directory (default: \(defaultDirectory)).", valueName: "path"), completion: .file())
    var output: String?

    @Flag(name: .customLong("stdout"), help: "Print the unit instead of writing it.")
    var toStdout = false

    @Flag(name: .customLong("user"), help: "A unit of root's user service manager (default: $XDG_CONFIG_HOME/systemd/user).")
    var user = false

    func validate() throws {
        if toStdout && output != nil { throw ValidationError("--stdout and --output cannot be combined") }
        if spec.file.contains("-") { throw ValidationError("a unit cannot read its spec from stdin: name the spec file with -f") }
    }

    /// Where a user unit goes: systemd's per-user search path.
    static func userDirectory(environment: [String: String]) -> String {
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") { return config + "/systemd/user" }
        return (environment["HOME"] ?? "/root") + "/.config/systemd/user"
    }

    func run() async throws {
        if user && (Host.effectiveUserID != 0 || Rootless.isActive) {
            throw CNCError(.unsupported, "not supported yet: a user unit for a user other than root: rootless cnc's user units are not built")
        }
        let options = try await spec.recordedIfNamed(stateRoot: global.stateRoot)
        let loaded = try options.loadReporting()
        let project = loaded.app.name
        let text = Self.unit(project: project, binary: FileSystem.readLink("/proc/self/exe") ?? "/usr/local/bin/cncapply",
                             arguments: arguments(options), workingDirectory: loaded.projectDirectory, user: user)
        if toStdout {
            print(text, terminator: "")
            return
        }
        let name = "cncapply-\(project).service"
        let userDirectory = Self.userDirectory(environment: ProcessInfo.processInfo.environment)
        let target = output ?? (user ? userDirectory : Self.defaultDirectory)
        let path = FileSystem.isDirectory(target) || target == userDirectory ? target + "/" + name : target
        do {
            if output == nil && user { try FileSystem.createDirectory(userDirectory) }
            try FileSystem.writeAtomically(text, to: path)
        } catch {
            throw CNCError(.system, "cannot write the unit to \(path)", cause: "\(error)")
        }
        print(path)
        let systemctl = user ? "systemctl --user" : "systemctl"
        TerminalInfo.writeStderr("Run: \(systemctl) daemon-reload && \(systemctl) enable --now \(FileSystem.baseName(path))\n")
    }

    /// The options the unit's `cncapply` runs with: the state root and driver of this one, the
    /// spec files (absolute), the project, env files and profiles.
    private func arguments(_ options: SpecOptions) -> [String] {
        let cwd = FileManager.default.currentDirectoryPath
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : cwd + "/" + p }
        var args = ["--root", absolute(global.stateRoot)]
        if let m = global.cgroupManager { args += ["--cgroup-manager", m] }
        for f in (try? options.specFiles(workingDirectory: cwd)) ?? [] { args += ["-f", absolute(f)] }
        if let p = options.projectName { args += ["-p", p] }
        for f in options.envFile { args += ["--env-file", absolute(f)] }
        for p in options.profile { args += ["--profile", p] }
        return args
    }

    /// The unit's text. KillMode=process: a watcher restarted after a crash leaves the app's
    /// containers (their monitors live in the unit's cgroup) running; ExecStop removes them.
    /// A user unit cannot order itself after the system's network-online.target (a user
    /// manager does not see system units) and is wanted by the user's default.target.
    static func unit(project: String, binary: String, arguments: [String], workingDirectory: String, user: Bool = false) -> String {
        let args = arguments.map(quote).joined(separator: " ")
        let network = user ? "" : "Wants=network-online.target\nAfter=network-online.target\n"
        return """
        # Written by `cncapply install-unit`: keeps the app \(project) applied. On start (and at boot
        # when enabled) it applies the spec, says READY=1, then re-applies whenever the spec or a
        # file it names changes; `systemctl status` shows the last revision. Stopping the unit
        # brings the app down (cncapply down).
        [Unit]
        Description=cncapply app \(project)
        \(network)
        [Service]
        Type=notify
        NotifyAccess=main
        WorkingDirectory=\(workingDirectory.replacingOccurrences(of: "%", with: "%%"))
        ExecStart=\(quote(binary)) apply --watch \(args)
        ExecStop=\(quote(binary)) down \(args)
        KillMode=process
        Restart=on-failure
        RestartSec=5s
        # The first apply may pull images.
        TimeoutStartSec=15min

        [Install]
        WantedBy=\(user ? "default.target" : "multi-user.target")

        """
    }

    /// One word of a unit's command line: quoted when it has to be; `%` and `$` escaped.
    static func quote(_ word: String) -> String {
        let escaped = word.replacingOccurrences(of: "%", with: "%%").replacingOccurrences(of: "$", with: "$$")
        guard escaped.isEmpty || escaped.contains(where: { " \t\"'\\;".contains($0) }) else { return escaped }
        return "\"" + escaped.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
