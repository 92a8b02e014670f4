import CNCCgroups
import CNCCore
import CNCImageStore
import CNCRuntime
import CNCSystem
import Logging

/// The `cnc` executable: a lean front that starts containers itself and hands every other
/// command to the full CLI (`cnc-cli`, beside it) by exec, with the same arguments.
///
/// Why: a container start is a few milliseconds of kernel work, and the full CLI (every
/// command, ArgumentParser, the spec compiler, libarchive, libnftables, SQLite, YAML) takes
/// ~5 ms just to reach main. This front links only the runtime and the image store's reading
/// side, and the bridge driver's netlink half (`network`; firewall changes, which a plain start
/// on an existing bridge does not need, run in the `cnc-net nft` helper). It runs `run` /
/// `create` when RunFlags.parseFast understands every argument and the image's layers are
/// unpacked already (and, under the systemd driver, `update` of limits: UpdatePath; a no-change
/// `cnc build` whose replay ticket holds: BuildPath); anything
/// else (help, errors, a first unpack) goes to cnc-cli, which then
/// behaves exactly as if it had been called directly.
public enum StartPath {
    public static let fullCLI = "cnc-cli"

    /// What the bridge driver contributes when this process has it (the `cnc` front).
    public struct Network: Sendable {
        public let attacher: @Sendable (String) -> any NetworkAttacher
        public init(attacher: @escaping @Sendable (String) -> any NetworkAttacher) {
            self.attacher = attacher
        }
    }

    /// `network`: the bridge driver; without it, bridge runs go to cnc-cli.
    public static func main(network: Network? = nil) -> Never {
        Trace.mark("main")
        // Rootless: the start path joins the user's namespaces once it knows it runs the command
        // (attempt); everything else goes to cnc-cli unjoined, which joins only for commands that
        // need them (help and version work without subordinate ids).
        let original = Array(CommandLine.arguments.dropFirst())
        switch attempt(original, network: network) {
        case .done(let status): exitProcess(status)
        case .declined: handOff(original, to: fullCLI)
        }
    }

    enum Outcome { case done(Int32), declined }

    /// Runs the command when the start path can; otherwise says where to hand it (only ever
    /// before anything was created). Errors from then on are reported here, as the full CLI would.
    static func attempt(_ original: [String], network: Network?) -> Outcome {
        let globals = LeadingGlobalOptions(original)
        if globals.missingValue == nil, globals.rest.first == "update", globals.value("--log-level") == nil { return UpdatePath.attempt(globals) }
        if globals.missingValue == nil, globals.rest.first == "build" { return BuildPath.attempt(original) }
        guard globals.missingValue == nil, let verb = globals.rest.first, verb == "run" || verb == "create",
              var inv = RunFlags.parseFast(Array(globals.rest.dropFirst()), withDetach: verb == "run") else { return .declined }
        Rootless.enterIfUnprivileged()
        inv.root = inv.root ?? globals.value("--root")
        inv.logLevel = inv.logLevel ?? globals.value("--log-level")
        if let level = inv.logLevel, Logger.Level(rawValue: level.lowercased()) == nil { return .declined }
        guard let mode = try? inv.flags.networkMode() else { return .declined }
        // `--pull always` (and a bad value) go to cnc-cli, which pulls (and reports); a missing
        // image too (`unpackedImage` below fails): cnc-cli pulls it unless --pull never.
        guard (try? inv.flags.pullPolicy()) ?? .always != .always else { return .declined }
        if case .bridge = mode, network == nil { return .declined }
        // Rootless with delegated cgroup v2: the user's systemd manager makes the scopes (cnc-cli).
        if Rootless.isActive, CgroupManagers.rootlessProblem(layout: CgroupManagers.hostLayout()) == nil { return .declined }
        // cgroupfs, or systemd when its private socket answers (root): the front speaks D-Bus
        // itself. Anything else (a bad value, no systemd to talk to) is cnc-cli's to report.
        let stateRoot = Runtime.stateRoot(option: inv.root)
        guard let driver = cgroupDriver(inv.cgroupManager ?? globals.value("--cgroup-manager"), stateRoot: stateRoot) else { return .declined }
        var cgroups: (any CgroupManager)? = nil
        if driver == .systemd {
            guard let m = systemdManager() else { return .declined }
            cgroups = m
        }
        // Warm the cgroup migration lock first thing: on an idle host the first migration waits
        // for an RCU grace period (~10 ms here), which then overlaps all of the setup below
        // (measured: a lone start 22.6 -> 15.6 ms; back-to-back starts unchanged).
        let primed = verb == "run"
        if primed { MigrationPrimer.prime(layout: CgroupManagers.hostLayout()) }
        Trace.mark("parsed (start path)")
        guard let image = try? unpackedImage(inv.flags, stateRoot: stateRoot),
              var runtime = try? Runtime(stateRoot: stateRoot, runRoot: Runtime.defaultRunRoot(stateRoot: stateRoot), cgroups: cgroups)
        else { return .declined }
        runtime.network = network?.attacher(stateRoot)
        runtime.primesMigration = !primed
        do {
            return .done(try ContainerLaunch.perform(verb, inv, runtime: runtime, image: { image }))
        } catch let e as CNCError {
            writeStderr("Error: \(e.description)\n")
            exitProcess(125)
        } catch {
            writeStderr("Error: \(error)\n")
            exitProcess(125)
        }
    }

    /// The driver `flag` (or CNC_CGROUP_MANAGER) asks for; `auto`: systemd on a host whose PID 1
    /// is systemd (one small read), unless the root's containers are the other driver's (auto
    /// keeps to them; a second small read). nil for a value the front leaves to cnc-cli.
    static func cgroupDriver(_ flag: String?, stateRoot: String) -> CgroupDriverKind? {
        switch flag ?? Host.environment("CNC_CGROUP_MANAGER") ?? "auto" {
        case "cgroupfs": return .cgroupfs
        case "systemd": return .systemd
        case "auto", "":
            let detected: CgroupDriverKind = Host.pid1Command() == "systemd" ? .systemd : .cgroupfs
            guard let text = try? FileSystem.readText(stateRoot + "/cgroup-driver"), text.trimmingSpaces != detected.rawValue else {
                return detected
            }
            return Runtime.recordedCgroupDriver(stateRoot: stateRoot, runRoot: Runtime.defaultRunRoot(stateRoot: stateRoot)) ?? detected
        default: return nil
        }
    }

    /// The systemd driver on systemd's private socket (root; connected here, so systemd
    /// answers before anything is made), or nil: the system bus and its errors are cnc-cli's.
    static func systemdManager() -> (any CgroupManager)? {
        guard Host.effectiveUserID == 0, FileSystem.exists(SystemdBus.privateSocket) else { return nil }
        let bus = SystemdBus(address: "unix:path=" + SystemdBus.privateSocket)
        guard (try? bus.connect()) != nil else { return nil }
        return try? SystemdCgroupManager(layout: CgroupManagers.hostLayout(), bus: bus)
    }

    /// The image, when it is a --rootfs directory or a stored image whose layers are unpacked.
    static func unpackedImage(_ flags: RunFlags, stateRoot: String) throws -> ImageDefaults? {
        if let r = try flags.rootfsImage() { return r }
        Trace.mark("resolving image")
        if let cached = ImageDefaultsCache.load(stateRoot: stateRoot, reference: flags.image) {
            Trace.mark("image resolved (cached)")
            return cached
        }
        let store = try ImageStore(stateRoot: stateRoot)
        let resolved = try store.resolve(flags.image)
        guard let lowers = store.unpackedLayers(resolved) else { return nil }
        let defaults = ImageDefaults(resolved, lowerDirs: lowers, reference: flags.image)
        ImageDefaultsCache.save(defaults, stateRoot: stateRoot, reference: flags.image)
        Trace.mark("image resolved")
        return defaults
    }


    static func handOff(_ args: [String], to executable: String) -> Never {
        let path = Host.executableDirectory + "/" + executable
        do { try Host.exec(path, ["cnc"] + args) } catch {
            writeStderr("Error: cannot run \(path): \(error)\n")
            exitProcess(125)
        }
    }
}
