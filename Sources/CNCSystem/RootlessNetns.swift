import CNCCore
import CShim
import Glibc

/// Rootless cnc's network namespace for named (bridge) networks, podman's "rootless-netns":
/// one per user, owned by the user's rootless user namespace, kept by a bind mount on
/// `<rundir>/netns/rootless` inside the rootless mount namespace (so it goes with the pause
/// process at the latest), connected to the outside by one pasta (`--config-net`: the host's
/// address and default route, outbound NAT) whose pid is in `<rundir>/netns/pasta.pid`.
/// cnc's bridge driver runs inside it: bridges, veths, nftables and the cnc-dns resolvers.
/// Network code runs inside it on a thread of its own (`within`); processes spawned from that
/// thread (the nft helper, cnc-dns) start inside it.
public enum RootlessNetns {
    /// `<rundir>/netns` when rootless, else nil.
    public static var directory: String? { Rootless.runtimeDirectory.map { $0 + "/netns" } }
    static func nsPath(_ dir: String) -> String { dir + "/rootless" }
    static func pastaPidfile(_ dir: String) -> String { dir + "/pasta.pid" }

    /// True when the namespace exists (its file is a mounted nsfs file).
    public static var exists: Bool {
        guard let dir = directory else { return false }
        return isNamespaceFile(nsPath(dir))
    }

    /// True when `path` is a namespace file (on nsfs, whose device every /proc/PID/ns file shares).
    static func isNamespaceFile(_ path: String) -> Bool {
        var a = stat(), b = stat()
        return stat(path, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 && a.st_dev == b.st_dev
    }

    /// Runs `body` inside the rootless network namespace, made (and connected by pasta) if it
    /// does not exist; not rootless: runs `body` as is. `body` runs on a thread of its own that
    /// enters the namespace and ends with it (the caller waits): a thread of the user namespace
    /// cannot go back to the host's network namespace, owned by the initial user namespace.
    /// `make` false: a namespace of the thread's own that goes with it stands in for a missing one.
    public static func within<T>(make: Bool = true, _ body: () throws -> T) throws -> T {
        guard let dir = directory else { return try body() }
        try FileSystem.createDirectory(dir, mode: 0o700)  // also the user's subnet lock's
        if !make && !isNamespaceFile(nsPath(dir)) {
            return try onThread(setns: nil, label: "throwaway network namespace") {
                guard cshim_unshare(Int32(CSHIM_CLONE_NEWNET)) == 0 else { throw SystemError.make("unshare(CLONE_NEWNET)", errno: errno, path: "") }
                return try body()
            }
        }
        let ns = try open(dir: dir)
        defer { NamespaceFile.close(ns) }
        return try onThread(setns: ns, label: nsPath(dir), body)
    }

    /// An fd on the namespace (made if need be).
    public static func open(dir: String) throws -> Int32 {
        let path = nsPath(dir)
        if isNamespaceFile(path) { return try NamespaceFile.open(path) }
        try FileSystem.createDirectory(dir, mode: 0o700)
        guard let pasta = pastaPath() else {
            throw CNCError(.notFound, "could not find pasta, the rootless network namespace can't be configured: exec: \"pasta\": "
                + "executable file not found in $PATH (install Debian's passt package)")
        }
        if !FileSystem.exists(path) { try FileSystem.writeReplacing([], to: path, mode: 0o600) }
        // A new namespace on a short-lived thread, pinned by a bind mount.
        try onThread(setns: nil, label: path) {
            guard cshim_unshare(Int32(CSHIM_CLONE_NEWNET)) == 0 else { throw SystemError.make("unshare(CLONE_NEWNET)", errno: errno, path: path) }
            guard mount("/proc/thread-self/ns/net", path, nil, UInt(MS_BIND), nil) == 0 else {
                throw SystemError.make("mount --bind", errno: errno, path: path)
            }
        }
        do {
            let ns = try NamespaceFile.open(path)
            do {
                try RouteNetlink(socket: try NetlinkSocket(netnsFD: ns, label: path)).setUp(index: 1, name: "lo")
                try startPasta(pasta, ns: ns, dir: dir)
                return ns
            } catch {
                NamespaceFile.close(ns)
                throw error
            }
        } catch {
            remove()
            throw error
        }
    }

    /// Runs `body` on a new thread (in the namespace `setns` when given) and waits for it.
    public static func onThread<T>(setns ns: Int32?, label: String, _ body: () throws -> T) throws -> T {
        var result: Result<T, any Error>?
        try withoutActuallyEscaping({ result = Result { try body() } }) { job in
            let box = NetnsThreadJob(ns, job)
            let ctx = Unmanaged.passRetained(box).toOpaque()
            var attr = pthread_attr_t()
            pthread_attr_init(&attr)
            defer { pthread_attr_destroy(&attr) }
            pthread_attr_setstacksize(&attr, 8 << 20)
            var tid = pthread_t()
            let rc = pthread_create(&tid, &attr, { raw in
                guard let raw else { return nil }
                let b = Unmanaged<NetnsThreadJob>.fromOpaque(raw).takeRetainedValue()
                if let ns = b.ns, cshim_setns(ns, Int32(CSHIM_CLONE_NEWNET)) != 0 {
                    b.setnsErrno = errno
                    return nil
                }
                b.job()
                return nil
            }, ctx)
            if rc != 0 {
                Unmanaged<NetnsThreadJob>.fromOpaque(ctx).release()
                throw SystemError.make("pthread_create", errno: rc, path: label)
            }
            pthread_join(tid, nil)
            if box.setnsErrno != 0 { throw SystemError.make("setns", errno: box.setnsErrno, path: label) }
        }
        guard let result else { throw CNCError(.internal, "network thread ended without a result") }
        return try result.get()
    }

    /// pasta on $PATH (nil: not installed).
    public static func pastaPath() -> String? {
        let path = Host.environment("PATH") ?? "/bin:/usr/bin"
        return path.split(separator: ":").map { $0 + "/pasta" }.first(where: FileSystem.isExecutable)
    }

    /// pasta configures the namespace (the host's address and routes on a tap, outbound NAT),
    /// forks into the background and exits 0; no ports (each container's published ports get a
    /// forwarder of their own, `PortForwarder`).
    static func startPasta(_ pasta: String, ns: Int32, dir: String) throws {
        do { try UniqueFD(open: "/dev/net/tun", FD.readWrite).close() } catch {
            throw CNCError(.permissionDenied, "pasta cannot open /dev/net/tun: \(error) (rootless networking needs it readable and "
                + "writable by users, mode 0666 as Debian's udev makes it)")
        }
        try runPasta(pasta, ns: ns, errPath: dir + "/pasta.err",
                     ["--config-net", "-t", "none", "-u", "none", "-T", "none", "-U", "none", "-P", pastaPidfile(dir)])
    }

    static func runPasta(_ pasta: String, ns: Int32, errPath: String, _ arguments: [String]) throws {
        let devnull = try UniqueFD(open: "/dev/null", FD.readWrite)
        try FileSystem.writeReplacing([], to: errPath, mode: 0o600)
        let errFile = try UniqueFD(open: errPath, FD.writeOnly)
        var options = Spawn.Options()
        options.fdMap = [devnull.raw, devnull.raw, errFile.raw, ns]
        // cnc (root of the user namespace) hands pasta the namespace: pasta drops its
        // capabilities before it would open it itself.
        let args = ["pasta", "--runas", "0", "-q"] + arguments + ["--netns", "/proc/self/fd/3", "--no-netns-quit"]
        Trace.mark("pasta begins")
        let status = try Spawn.wait(try Spawn.spawn(pasta, arguments: args, environment: [], options: options)).shellStatus
        Trace.mark("pasta ready")
        guard status == 0 else {
            let text = ((try? FileSystem.readText(errPath)) ?? "").split(separator: "\n")
                .filter { !$0.hasPrefix("Failed to send") }.joined(separator: "\n")
            throw CNCError(.network, "setting up pasta: pasta failed with exit code \(status):\n\(text)")
        }
    }

    /// Ends the pasta recorded in `pidfile` (checked to be pasta: Debian runs passt.avx2 under
    /// that name) and removes the file.
    public static func stopPasta(pidfile: String) {
        guard let text = try? FileSystem.readText(pidfile), let pid = Int32(text.trimmingSpaces), pid > 0 else { return }
        if let comm = try? FileSystem.readText("/proc/\(pid)/comm"), comm.hasPrefix("passt") || comm.hasPrefix("pasta") {
            _ = try? Processes.signal(pid, 15)  // SIGTERM: pasta ends cleanly
        }
        try? FileSystem.remove(pidfile)
    }

    /// Removes the namespace: its pasta goes, the bind mount goes (and with it the namespace,
    /// its bridges, veths and nftables tables, once nothing else holds it).
    public static func remove() {
        guard let dir = directory else { return }
        stopPasta(pidfile: pastaPidfile(dir))
        let path = nsPath(dir)
        while isNamespaceFile(path) && umount2(path, Int32(MNT_DETACH)) == 0 {}
        try? FileSystem.remove(path)
        try? FileSystem.remove(dir + "/pasta.err")
    }
}

/// One `RootlessNetns.onThread` call, handed to its thread.
private final class NetnsThreadJob: @unchecked Sendable {
    let ns: Int32?
    let job: () -> Void
    var setnsErrno: Int32 = 0
    init(_ ns: Int32?, _ job: @escaping () -> Void) { self.ns = ns; self.job = job }
}
