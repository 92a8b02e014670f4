import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCEngine
import CNCRuntime
import CNCSystem
import Foundation

/// `cnc info`: what this host offers cnc.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show what this host offers: kernel, cgroups, driver, overlay, CNI plugins.",
        discussion: "EXAMPLES\n  cnc info\n  cnc system info --format json\n  cnc info --format '{{.ServerVersion}} {{.NCPU}} {{.ContainersRunning}}'")

    @OptionGroup var global: GlobalOptions

    @Option(name: [.short, .long], help: ArgumentHelp(
        "text, json (cnc's report), or a Go template over docker's info fields (Containers, ContainersRunning, Images, "
            + "ServerVersion, KernelVersion, OperatingSystem, NCPU, MemTotal, CgroupDriver, CgroupVersion, Driver, ...).",
        valueName: "string"))
    var format: String = "text"

    func run() throws {
        switch format {
        case "json": print(try CanonicalJSON.string(HostInfo.probe(config: global.engineConfig()), pretty: true), terminator: "")
        case "text", "": print(Self.render(HostInfo.probe(config: global.engineConfig())), terminator: "")
        default:
            // Checked before anything is read: inspect's rules (64 for a template that does not parse).
            guard let template = try InspectOutput.template(format) else { return }
            try dockerErrors { print(try template.render(json: try dockerDocument(HostInfo.probe(config: global.engineConfig())))) }
        }
    }

    /// docker's `info` fields that mean the same here, for `--format` templates written for docker.
    func dockerDocument(_ info: HostInfo) throws -> JSONValue {
        // A root that does not exist holds nothing: `info` never creates one.
        let exists = FileManager.default.fileExists(atPath: info.stateRoot)
        let containers = exists ? try global.runtime().list() : []
        func count(_ s: ContainerStatus) -> JSONValue { .int(Int64(containers.filter { $0.state.status == s }.count)) }
        let images = exists ? Set(try global.imageStore().list().map(\.id)).count : 0
        let os = (try? FileSystem.readText("/etc/os-release"))?.split(separator: "\n")
            .first { $0.hasPrefix("PRETTY_NAME=") }.map { String($0.dropFirst(12)).trimmingCharacters(in: ["\""]) } ?? "Linux"
        return .object([
            "ID": .string(""), "Name": .string(ProcessInfo.processInfo.hostName), "ServerVersion": .string(info.version),
            "Containers": .int(Int64(containers.count)), "ContainersRunning": count(.running), "ContainersPaused": count(.paused),
            "ContainersStopped": .int(Int64(containers.filter { !$0.state.status.isActive }.count)),
            "Images": .int(Int64(images)), "Driver": .string("overlay"), "DockerRootDir": .string(info.stateRoot),
            "KernelVersion": .string(info.kernel.release), "OperatingSystem": .string(os), "OSType": .string("linux"),
            "Architecture": .string(info.kernel.machine), "NCPU": .int(Int64(Processes.onlineCPUs)),
            "MemTotal": .int(ContainerStatsCommand.hostMemory()),
            "CgroupDriver": .string(info.cgroups.driver.rawValue), "CgroupVersion": .string(info.cgroups.mode == .v2 ? "2" : "1"),
            "LoggingDriver": .string("json-file"), "Debug": .bool(false), "Rootless": .bool(info.rootless != nil),
        ])
    }

    static func render(_ info: HostInfo) -> String {
        var lines: [String] = []
        func row(_ key: String, _ value: String) {
            lines.append(key.padding(to: 18) + value)
        }
        row("Version:", info.version)
        row("Kernel:", "\(info.kernel.system) \(info.kernel.release) \(info.kernel.machine)")
        row("State root:", info.stateRoot)
        row("Run root:", info.runRoot)
        var mode = info.cgroups.mode.rawValue
        switch info.cgroups.mode {
        case .hybrid: mode += " (v1 controllers, cgroup2 at \(info.cgroups.unifiedMountPoint ?? "?"))"
        case .v2: mode += " (unified at \(info.cgroups.unifiedMountPoint ?? "?"))"
        case .v1, .none: break
        }
        row("Cgroups:", mode)
        for (controller, place) in info.cgroups.controllers.sorted(by: { $0.key < $1.key }) {
            row("  " + controller, place)
        }
        if !info.cgroups.missingControllers.isEmpty {
            row("  missing", info.cgroups.missingControllers.joined(separator: " "))
        }
        row("Cgroup driver:", "\(info.cgroups.driver.rawValue) (\(info.cgroups.driverReason))")
        if let r = info.rootless {
            row("Rootless:", "yes (uid \(r.uid); namespaces held by cnc-pause" + (r.pausePID.map { " pid \($0)" } ?? "") + ")")
            row("  uid map", r.uidMap.joined(separator: " "))
            row("  gid map", r.gidMap.joined(separator: " "))
            row("  runtime dir", r.runtimeDirectory + (r.runtimeDirectoryNote.map { " (\($0))" } ?? ""))
            if let why = r.limitsReason {
                row("Limits:", "not enforced (\(why)): " + r.unenforcedLimits.joined(separator: " "))
            } else if let controllers = r.delegatedControllers {
                // Decided from the cgroup tree; scopes through the user manager are untested on a real v2 host.
                row("Limits:", "through the user's systemd manager, delegated controllers: " + controllers.joined(separator: " "))
                if !r.unenforcedLimits.isEmpty { row("  not enforced", "(controller not delegated): " + r.unenforcedLimits.joined(separator: " ")) }
            }
        }
        row("Device limits:", info.rootless?.limitsReason == nil ? info.cgroups.deviceControl
            : "not enforced (no cgroups): containers reach only the device nodes bound in, as the user")
        row("Overlay:", info.overlaySupported ? "supported" : "not supported (no overlay in /proc/filesystems)")
        if let dir = info.cniPluginDirectory {
            row("CNI plugins:", "\(dir): \(info.cniPlugins.joined(separator: " "))")
        } else {
            row("CNI plugins:", "none found (install containernetworking-plugins)")
        }
        row("systemd PID 1:", info.systemdIsPID1 ? "yes" : "no")
        row("Logging driver:", "json-file (default); also journald (" + ((info.journaldSocket ?? false)
            ? "its socket is here" : "not enabled on this host: no journald socket") + "), none")
        return lines.joined(separator: "\n") + "\n"
    }
}
