import CNCCore
import CNCRuntime
import CNCSystem

/// Rootless cnc's default network, podman 5's: pasta (Debian's `passt` package) joins the
/// container's network namespace, gives it a tap interface with the host's addresses and
/// routes, and forwards the published ports from the host (bound there as the user). Named
/// networks are served by `RootlessAttacher` inside the rootless network namespace.
public struct PastaAttacher: NetworkAttacher {
    let store: ContainerStore

    public init(stateRoot: String) {
        store = ContainerStore(root: stateRoot)
    }

    /// The pasta executable on $PATH, podman's lookup (nil: not installed).
    static func pastaPath() -> String? { RootlessNetns.pastaPath() }

    /// The lowest port an unprivileged user may bind (net.ipv4.ip_unprivileged_port_start).
    static func unprivilegedPortStart() -> UInt16 {
        (try? FileSystem.readText("/proc/sys/net/ipv4/ip_unprivileged_port_start")).flatMap { UInt16($0.trimmingSpaces) } ?? 1024
    }

    /// Refuses what rootless networking cannot give, before anything is created (named
    /// networks are `RootlessAttacher`'s, which serves them in the rootless network namespace).
    public func check(container c: ContainerConfig) throws {
        guard case .bridge = c.network else { return }
        try Self.checkHost(c)
    }

    /// What every rootless network needs from the host: unprivileged host ports, pasta and
    /// /dev/net/tun.
    static func checkHost(_ c: ContainerConfig) throws {
        let start = Self.unprivilegedPortStart()
        if let low = (c.publish ?? []).first(where: { $0.hostPort != 0 && $0.hostPort < start }) {
            throw CNCError(.permissionDenied, "rootless cnc cannot expose privileged port \(low.hostPort), you can add "
                + "'net.ipv4.ip_unprivileged_port_start=\(low.hostPort)' to /etc/sysctl.conf (currently \(start)), or choose a larger "
                + "port number (>= \(start))")
        }
        guard Self.pastaPath() != nil else {
            throw CNCError(.notFound, "could not find pasta, the network namespace can't be configured: exec: \"pasta\": "
                + "executable file not found in $PATH (install Debian's passt package, or use --network none)")
        }
        do { try UniqueFD(open: "/dev/net/tun", FD.readWrite).close() } catch {
            throw CNCError(.permissionDenied, "pasta cannot open /dev/net/tun: \(error) (rootless networking needs it readable and "
                + "writable by users, mode 0666 as Debian's udev makes it; or use --network none)")
        }
    }

    /// The published ports with a host port for each: `-p 80` (host port 0) gets a free
    /// ephemeral one, chosen here and handed to pasta explicitly, so cnc knows and records it.
    static func resolvePorts(_ ports: [PublishedPort]) throws -> [PublishedPort] {
        var chosen: [PublishedPort] = []
        for p in ports {
            chosen.append(try PortProbe.withHostPort(p) { p in chosen.contains { $0.conflicts(with: p) } })
        }
        return chosen
    }

    /// pasta's `-t`/`-u` specs for resolved ports: `[ADDR/]HOST:CONTAINER`, joined by commas.
    static func portSpecs(_ ports: [PublishedPort]) -> (tcp: String, udp: String) {
        func spec(_ proto: PortProtocol) -> String {
            let mine = ports.filter { $0.proto == proto }
            guard !mine.isEmpty else { return "none" }
            return mine.map { p in (p.hostIP.map { "\($0)/" } ?? "") + "\(p.hostPort):\(p.containerPort)" }.joined(separator: ",")
        }
        return (spec(.tcp), spec(.udp))
    }

    public func attach(container c: ContainerConfig, pid: Int32) throws {
        guard case .bridge = c.network else { return }
        guard let pasta = Self.pastaPath() else { try Self.checkHost(c); return }
        let ports = try Self.resolvePorts(c.publish ?? [])
        let specs = Self.portSpecs(ports)
        let dir = store.directory(c.id)
        // cnc (root of the rootless user namespace) opens the namespace and hands pasta the fd:
        // pasta drops its capabilities before it would open /proc/PID/ns/net itself.
        let netns = try UniqueFD(open: "/proc/\(pid)/ns/net", FD.readOnly)
        let devnull = try UniqueFD(open: "/dev/null", FD.readWrite)
        let errPath = dir + "/pasta.err"
        try FileSystem.writeReplacing([], to: errPath, mode: 0o600)
        let errFile = try UniqueFD(open: errPath, FD.writeOnly)
        var options = Spawn.Options()
        options.fdMap = [devnull.raw, devnull.raw, errFile.raw, netns.raw]
        let args = ["pasta", "--config-net", "--runas", "0", "-q", "-t", specs.tcp, "-u", specs.udp, "-T", "none", "-U", "none",
                    "-P", dir + "/pasta.pid", "--netns", "/proc/self/fd/3", "--no-netns-quit"]
        Trace.mark("pasta begins")
        // pasta configures the namespace, then forks into the background and exits 0.
        let child = try Spawn.spawn(pasta, arguments: args, environment: [], options: options)
        let status = try Spawn.wait(child).shellStatus
        Trace.mark("pasta ready")
        guard status == 0 else {
            let text = ((try? FileSystem.readText(errPath)) ?? "").split(separator: "\n")
                .filter { !$0.hasPrefix("Failed to send") }.joined(separator: "\n")
            throw CNCError(.network, "setting up pasta: pasta failed with exit code \(status):\n\(text)")
        }
        if !ports.isEmpty { try PublishedPortsRecord.write(ports, directory: dir) }
    }

    /// Ends the container's pasta (recorded in pasta.pid, checked to be pasta before the kill):
    /// the monitor's exit hook and `stop` call it, so its ports are free once the container stops.
    public func detach(container c: ContainerConfig) throws {
        let dir = store.directory(c.id)
        PublishedPortsRecord.remove(directory: dir)
        RootlessNetns.stopPasta(pidfile: dir + "/pasta.pid")
    }
}
