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
    @OptionGroup var options: ContainerOptions

    func run() throws {
        let engine = global.engineConfig()
        var inv = RunFlags.Invocation(flags: options.flags, detach: detach, rm: rm)
        inv.detachKeys = detachKeys
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
        discussion: "EXAMPLES\n  cnc start web\n  cnc start -ai box\n  cnc start web db")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("a"), .long], help: "Attach STDOUT/STDERR and forward signals.") var attach = false
    @Flag(name: [.customShort("i"), .long], help: "Attach container's STDIN.") var interactive = false
    @Option(name: .long, help: "Override the key sequence for detaching a container (default ctrl-p,ctrl-q).") var detachKeys: String?
    @Argument(help: "Containers.", completion: .containerNames) var containers: [String]

    func run() throws {
        let runtime = try global.runtime()
        let keys = try reportingErrors { try detachKeys.flatMap { $0.isEmpty ? nil : try DetachKeys.parse($0) } ?? DetachKeys.defaultSequence }
        var failed = false
        for ref in containers {
            do {
                let c = try runtime.container(ref)
                if c.state.isActive { print(ref); continue }
                if attach {
                    throw ExitCode(try ContainerLaunch.startAndFollow(runtime, c.config, detach: false, interactive: interactive, tty: c.config.tty,
                                                                      detachKeys: keys))
                }
                _ = try ContainerLaunch.startAndFollow(runtime, c.config, detach: true, interactive: false, tty: c.config.tty)
                let after = try runtime.container(ref)
                if !after.state.isActive && after.state.exitCode >= 125 { failed = true; continue }
                print(ref)
            } catch let e as CNCError {
                writeStderr("Error: \(e.description)\n")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
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
            try RegistryPullProcess.pull(image, stateRoot: engine.stateRoot, progress: 2)
        } else if !ContainerEngine.hasImage(engine, image) {
            guard policy == .missing else { throw CNCError(.notFound, "No such image: \(familiar)") }
            writeStderr("Unable to find image '\(familiar)' locally\n")
            try RegistryPullProcess.pull(image, stateRoot: engine.stateRoot, progress: 2)
        }
        return try ContainerEngine.image(engine, image)
    }
}
