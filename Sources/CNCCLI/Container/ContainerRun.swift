import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCEngine
import CNCRuntime
import CNCSystem
import CNCStart
import CNCImageStore
import CNCNetwork

/// `cnc run`: create and start a container; foreground runs exit with the workload's status.
struct ContainerRun: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Create and run a new container from an image.",
        discussion: "EXAMPLES\n  cnc run --rm busybox echo hello\n  cnc run -it --rm busybox sh\n  cnc run -d --name web -p 8080:80 nginx:alpine\n  cnc run -d --name db --network app -e POSTGRES_PASSWORD=secret -v pgdata:/var/lib/postgresql/data postgres:16\n  cnc run --rm --memory 256m --cpus 0.5 --pids-limit 100 busybox top -b -n 1\n  cnc run --rm --network none busybox ip addr")

    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("d"), .long], help: "Run container in background and print container ID.") var detach = false
    @Flag(name: .long, help: "Automatically remove the container when it exits.") var rm = false
    @Option(name: .long, help: "Override the key sequence for detaching a container (default ctrl-p,ctrl-q).") var detachKeys: String?
    @Flag(name: .long, inversion: .prefixedNo, help: "Proxy received signals to the process (--sig-proxy=false: a signal ends cnc, the container runs on).")
    var sigProxy = true
    @OptionGroup var options: ContainerOptions

    func run() throws {
        let engine = global.engineConfig()
        var inv = RunFlags.Invocation(flags: options.flags, detach: detach, rm: rm)
        inv.detachKeys = detachKeys
        inv.sigProxy = sigProxy
        throw ExitCode(try ContainerLaunch.run(inv, runtime: try ContainerEngine.runtime(engine), image: { try inv.flags.resolveImage(engine) }))
    }

}

/// `cnc create`: create a container without starting it.
struct ContainerCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a new container.",
        discussion: "EXAMPLES\n  cnc create --name web -p 8080:80 nginx:alpine\n  cnc create -it --name box busybox sh\n  cnc create --name job --restart on-failure:3 busybox false")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .long, help: "Automatically remove the container when it exits.") var rm = false
    @OptionGroup var options: ContainerOptions

    func run() throws {
        let engine = global.engineConfig()
        let inv = RunFlags.Invocation(flags: options.flags, rm: rm)
        let status = try ContainerLaunch.create(inv, runtime: try ContainerEngine.runtime(engine), image: { try inv.flags.resolveImage(engine) })
        if status != 0 { throw ExitCode(status) }
    }
}

/// `cnc start`: start stopped containers.
struct ContainerStart: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start one or more stopped containers.",
        discussion: """
            EXAMPLES
              cnc start web
              cnc start -ai box
              cnc start web db
              cnc start --all --filter restart-policy=always --filter restart-policy=unless-stopped

            The last is what cnc-restart.service runs at boot.
            """)
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("a"), .long], help: "Attach STDOUT/STDERR and forward signals.") var attach = false
    @Flag(name: [.customShort("i"), .long], help: "Attach container's STDIN.") var interactive = false
    @Option(name: .long, help: "Override the key sequence for detaching a container (default ctrl-p,ctrl-q).") var detachKeys: String?
    @Flag(name: .long, help: "Start all containers that are not running (with --filter: those that match).") var all = false
    @Option(name: .long, help: "With --all: restart-policy=, name=, id=, label=, status= (one key's values are alternatives).",
            completion: .list(["restart-policy=", "name=", "id=", "label=", "status="])) var filter: [String] = []
    @Argument(help: "Containers.", completion: .containerNames) var containers: [String] = []

    func validate() throws {
        if all && !containers.isEmpty { throw ValidationError("--all cannot be used with container names") }
        if !all && containers.isEmpty { throw ValidationError("Missing expected argument '<containers> ...'") }
        if !filter.isEmpty && !all { throw ValidationError("--filter needs --all") }
        if all && (attach || interactive) { throw ValidationError("--all cannot be used with --attach or --interactive") }
    }

    func run() throws {
        let runtime = try global.runtime()
        let keys = try reportingErrors { try detachKeys.flatMap { $0.isEmpty ? nil : try DetachKeys.parse($0) } ?? DetachKeys.defaultSequence }
        var failed: [String] = []
        let refs = all ? try Self.matching(runtime.list().filter { !$0.state.isActive }, filter).map(\.config.name) : containers
        // docker's CLI: one container at a time when attached; an error ends it (exit 1).
        if attach && refs.count > 1 {
            writeStderr("Error: you cannot start and attach multiple containers at once\n")
            throw ExitCode(1)
        }
        for ref in refs {
            do {
                let c = try runtime.container(ref)
                if c.state.isActive { print(ref); continue }
                // A start that fails is reported by startAndFollow; docker's `start -a` then
                // exits 1 (not run's 126/127), and a start of several sums the failures up.
                if attach {
                    throw ExitCode(try ContainerLaunch.startAndFollow(runtime, c.config, detach: false, interactive: interactive, tty: c.config.tty,
                                                                      detachKeys: keys, startFailureStatus: 1))
                }
                if try ContainerLaunch.startAndFollow(runtime, c.config, detach: true, interactive: false, tty: c.config.tty) != 0 {
                    failed.append(ref)
                    continue
                }
                print(ref)
            } catch let e as CNCError {
                writeStderr("Error: \(e.description)\n")
                if attach { throw ExitCode(1) }
                failed.append(ref)
            }
        }
        // docker's CLI sums up after the daemon's errors.
        if !failed.isEmpty {
            writeStderr("Error: failed to start containers: \(failed.joined(separator: ", "))\n")
            throw ExitCode(1)
        }
    }

    /// The containers `--filter`s select: one key's values are alternatives, keys all apply.
    /// `restart-policy=unless-stopped` leaves out containers stopped by hand (`cnc stop`), as
    /// docker's daemon does when it starts: they stay stopped until started by hand.
    static func matching(_ containers: [Container], _ filters: [String]) throws -> [Container] {
        var byKey: [String: [String]] = [:]
        for f in filters {
            let (k, v) = try ContainerList.filterPair(f)
            guard ["restart-policy", "name", "id", "label", "status"].contains(k) else { throw CNCError(.invalidArgument, "invalid filter '\(k)'") }
            if k == "restart-policy", RestartPolicy.Name(rawValue: v) == nil {
                throw CNCError(.invalidArgument, "invalid restart policy \"\(v)\" in filter (no, always, on-failure, unless-stopped)")
            }
            byKey[k, default: []].append(v)
        }
        return containers.filter { c in
            byKey.allSatisfy { k, values in
                values.contains { v in
                    switch k {
                    case "restart-policy":
                        c.config.restartPolicy.name.rawValue == v
                            && !(v == "unless-stopped" && FileSystem.exists(c.stopRequestPath))
                    case "name": c.config.name == v
                    case "id": c.config.id.rawValue.hasPrefix(v)
                    case "label": ContainerList.hasLabel(c, v)
                    default: c.state.status.rawValue == v
                    }
                }
            }
        }
    }
}

extension RunFlags {
    /// The image these flags run: --rootfs, or the store's image, pulled per `--pull` as docker's
    /// run/create do ("Unable to find image 'REF' locally" and the pull's progress on stderr;
    /// with --pull never a missing image is "No such image: REF"), its layers unpacked if needed.
    func resolveImage(_ engine: EngineConfig) throws -> ImageDefaults {
        let policy = try pullPolicy()
        if let r = try rootfsImage() { return r }
        Trace.mark("resolving image")
        defer { Trace.mark("image resolved") }
        let familiar = (try? ImageReference(parsing: image))?.familiar ?? image
        if policy == .always {
            try RegistryPullProcess.pull(image, stateRoot: engine.stateRoot, options: ["--progress-only"], progress: 2)
        } else if !ContainerEngine.hasImage(engine, image) {
            guard policy == .missing else { throw CNCError(.notFound, "No such image: \(familiar)") }
            writeStderr("Unable to find image '\(familiar)' locally\n")
            try RegistryPullProcess.pull(image, stateRoot: engine.stateRoot, options: ["--progress-only"], progress: 2)
        }
        return try ContainerEngine.image(engine, image)
    }
}
