import CNCCore
import CShim
import Glibc

/// Linux namespaces a child can be cloned into.
public struct Namespaces: OptionSet, Sendable, Hashable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }

    public static let mount = Namespaces(rawValue: UInt(CSHIM_CLONE_NEWNS))
    public static let uts = Namespaces(rawValue: UInt(CSHIM_CLONE_NEWUTS))
    public static let ipc = Namespaces(rawValue: UInt(CSHIM_CLONE_NEWIPC))
    public static let pid = Namespaces(rawValue: UInt(CSHIM_CLONE_NEWPID))
    public static let net = Namespaces(rawValue: UInt(CSHIM_CLONE_NEWNET))
    public static let user = Namespaces(rawValue: UInt(CSHIM_CLONE_NEWUSER))
    public static let cgroup = Namespaces(rawValue: UInt(CSHIM_CLONE_NEWCGROUP))
}

/// Starts processes without running Swift between clone and exec (see CShim's cshim_spawn).
public enum Spawn {
    public struct Options: Sendable {
        public var namespaces: Namespaces = []
        /// Child fd i = fdMap[i]; -1 leaves it closed. Everything else is closed on exec.
        public var fdMap: [Int32] = [0, 1, 2]
        public var newSession = false
        /// An index into fdMap that becomes the controlling terminal (needs newSession).
        public var controllingTTY: Int32? = nil
        public var workingDirectory: String? = nil
        /// A user namespace of the child's own (see cshim_spawn_userns).
        public var userns: UsernsSetup? = nil
        /// Sent to the child when the spawning thread exits (PR_SET_PDEATHSIG; 0: none), so
        /// that thread must wait for the child. A child whose spawner is already gone when the
        /// setting takes hold gets it at once.
        public var parentDeathSignal: Int32 = 0
        public init() {}
    }

    /// The child's user namespace: its maps and the root mount the parent builds for it.
    public struct UsernsSetup: Sendable {
        /// uid_map / gid_map text.
        public var uidMap: String, gidMap: String
        public var rootUID: UInt32, rootGID: UInt32
        /// Overlay lowers, top-most first; upper nil: a tmpfs of the container's own.
        public var lowers: [String]
        public var upper: String?, work: String?
        /// Where the root mount's fd lands in the child (an index past fdMap's end is padded).
        public var rootfsFDIndex: Int32
        /// Bind sources the parent opens as detached mounts (idmapped when `idmap`); bind i
        /// lands at fd bindFDBase + i.
        public var binds: [(source: String, idmap: Bool)] = []
        public var bindFDBase: Int32 = 8
        public init(uidMap: String, gidMap: String, rootUID: UInt32, rootGID: UInt32, lowers: [String], upper: String?, work: String?, rootfsFDIndex: Int32) {
            self.uidMap = uidMap; self.gidMap = gidMap; self.rootUID = rootUID; self.rootGID = rootGID
            self.lowers = lowers; self.upper = upper; self.work = work; self.rootfsFDIndex = rootfsFDIndex
        }

        /// Calls cshim_spawn_userns with these settings (C strings alive for the call).
        public func spawn(_ path: String, _ argv: [UnsafeMutablePointer<CChar>?], _ envp: [UnsafeMutablePointer<CChar>?],
                          _ attr: inout cshim_spawn_attr, execErrno: inout Int32) -> (pid: pid_t, errno: Int32, step: String) {
            var lowerPtrs: [UnsafePointer<CChar>?] = lowers.map { UnsafePointer(strdup($0)) }
            let texts: [String] = [uidMap, gidMap, upper ?? "", work ?? ""]
            let strings = texts.map { strdup($0) }
            defer {
                lowerPtrs.forEach { free(UnsafeMutablePointer(mutating: $0)) }
                strings.forEach { free($0) }
            }
            var err = [CChar](repeating: 0, count: 512)
            lowerPtrs.append(nil)
            var bindPtrs: [UnsafePointer<CChar>?] = binds.map { UnsafePointer(strdup($0.source)) }
            defer { bindPtrs.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
            bindPtrs.append(nil)
            let idmap: [Int32] = binds.map { $0.idmap ? 1 : 0 } + [0]
            let pid = lowerPtrs.withUnsafeBufferPointer { lp -> pid_t in
                bindPtrs.withUnsafeBufferPointer { bp in
                    idmap.withUnsafeBufferPointer { ip in
                        var u = cshim_userns(uid_map: strings[0], gid_map: strings[1], root_uid: rootUID, root_gid: rootGID,
                                             lowers: lp.baseAddress, nlowers: Int32(lowers.count),
                                             upper: upper == nil ? nil : UnsafePointer(strings[2]), work: work == nil ? nil : UnsafePointer(strings[3]),
                                             rootfs: nil, rootfs_fd_index: rootfsFDIndex,
                                             binds: bp.baseAddress, bind_idmap: ip.baseAddress, nbinds: Int32(binds.count), bind_fd_base: bindFDBase)
                        return cshim_spawn_userns(path, argv, envp, &attr, &u, &execErrno, &err, err.count)
                    }
                }
            }
            let e = errno
            return (pid, e, String(decoding: err.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    /// Clones and execs `path` with `arguments` (argv[0] included) and `environment`
    /// ("K=V"). Returns the child's pid; throws when the clone or the exec failed.
    public static func spawn(_ path: String, arguments: [String], environment: [String], options: Options = Options()) throws -> pid_t {
        var argv = arguments.map { strdup($0) }
        argv.append(nil)
        var envp = environment.map { strdup($0) }
        envp.append(nil)
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var execErrno: Int32 = 0
        let cwd = options.workingDirectory.map { strdup($0) } ?? nil
        defer { free(cwd) }
        var fdMap = options.fdMap
        if let u = options.userns {
            while fdMap.count <= Int(max(u.rootfsFDIndex, u.bindFDBase + Int32(u.binds.count) - 1)) { fdMap.append(-1) }
        }
        var failedStep = "clone", failedErrno: Int32 = 0
        let pid: pid_t = fdMap.withUnsafeBufferPointer { map in
            var attr = cshim_spawn_attr(
                clone_flags: options.namespaces.subtracting(.user).rawValue,
                fd_map: map.baseAddress,
                fd_map_len: Int32(map.count),
                new_session: options.newSession ? 1 : 0,
                controlling_tty: options.controllingTTY ?? -1,
                cwd: UnsafePointer(cwd),
                parent_death_signal: options.parentDeathSignal,
                parent_pid: options.parentDeathSignal != 0 && cshim_proc_shows_own_pid() != 0 ? getpid() : 0)
            if let u = options.userns {
                let r = u.spawn(path, argv, envp, &attr, execErrno: &execErrno)
                if r.pid < 0 { failedStep = r.step.isEmpty ? "clone" : r.step; failedErrno = r.errno }
                return r.pid
            }
            let pid = cshim_spawn(path, argv, envp, &attr, &execErrno)
            failedErrno = errno
            return pid
        }
        // A user namespace's failed step names its own object.
        if pid < 0 { throw SystemError.make(failedStep, errno: failedErrno, path: failedStep == "clone" ? path : nil) }
        if execErrno != 0 {
            _ = try? wait(pid)
            throw SystemError.make("execve", errno: execErrno, path: path)
        }
        return pid
    }

    /// What `capture` returns: how the child ended and everything it wrote.
    public struct Captured: Sendable {
        public var termination: Termination
        public var stdout: [UInt8]
        public var stderr: [UInt8]
    }

    /// Runs `path` with `arguments` (argv[0] excluded), feeding it `stdin` (nil: /dev/null) and
    /// collecting stdout and stderr together (poll, so neither pipe fills while the other is
    /// read). The child inherits no other descriptor of ours.
    public static func capture(_ path: String, _ arguments: [String], environment: [String], stdin: [UInt8]? = nil,
                               workingDirectory: String? = nil) throws -> Captured {
        let out = try Pipe(), err = try Pipe()
        var input = stdin == nil ? nil : try Pipe()
        let devnull = try UniqueFD(open: "/dev/null", FD.readWrite)
        var opts = Options()
        opts.fdMap = [input?.read.raw ?? devnull.raw, out.write.raw, err.write.raw]
        opts.workingDirectory = workingDirectory
        // On a failed spawn every end closes as the pipes go out of scope.
        let pid = try spawn(path, arguments: [path] + arguments, environment: environment, options: opts)
        devnull.close()
        out.write.close(); err.write.close()
        var pending = stdin ?? []
        var inFD: UniqueFD? = nil
        if let p = input.take() {
            p.read.close()
            let w = p.write
            _ = fcntl(w.raw, F_SETFL, fcntl(w.raw, F_GETFL) | O_NONBLOCK)
            if !pending.isEmpty { inFD = consume w }
        }
        var result = Captured(termination: .exited(0), stdout: [], stderr: [])
        var open: [Int32: Bool] = [out.read.raw: true, err.read.raw: true]
        var buf = [UInt8](repeating: 0, count: 65536)
        while open.values.contains(true) || inFD != nil {
            var fds = open.filter(\.value).keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let inRaw = inFD?.raw ?? -1
            if inRaw >= 0 { fds.append(pollfd(fd: inRaw, events: Int16(POLLOUT), revents: 0)) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for p in fds where p.revents != 0 {
                if p.fd == inRaw {
                    let n = writeWithoutSIGPIPE(inRaw, pending)
                    if n > 0 { pending.removeFirst(n) }
                    if pending.isEmpty || (n < 0 && errno != EAGAIN && errno != EINTR) { inFD.take()?.close() }
                    continue
                }
                let n = buf.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if p.fd == out.read.raw { result.stdout += buf[0..<n] } else { result.stderr += buf[0..<n] }
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    open[p.fd] = false
                }
            }
        }
        out.read.close(); err.read.close()
        inFD.take()?.close()
        result.termination = try wait(pid)
        return result
    }

    /// write(2) to a pipe whose reader may be gone: EPIPE instead of a SIGPIPE that would end
    /// this process (blocked on this thread for the call; a pending one is consumed).
    static func writeWithoutSIGPIPE(_ fd: Int32, _ bytes: [UInt8]) -> Int {
        var set = sigset_t(), old = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, &old)
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let e = errno
        if n < 0 && e == EPIPE {
            var zero = timespec()
            _ = sigtimedwait(&set, nil, &zero)
        }
        pthread_sigmask(SIG_SETMASK, &old, nil)
        errno = e
        return n
    }

    /// Runs `path` with `arguments` (argv[0] excluded) and returns its standard output; its
    /// stderr is passed through. A nonzero exit is an error.
    public static func output(_ path: String, _ arguments: [String]) throws -> String {
        let r = try capture(path, arguments, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"])
        if !r.stderr.isEmpty { _ = r.stderr.withUnsafeBytes { write(2, $0.baseAddress, $0.count) } }
        guard r.termination == .exited(0) else {
            throw CNCError(.system, "\(path) \(arguments.joined(separator: " ")) exited with status \(r.termination.shellStatus)")
        }
        return String(decoding: r.stdout, as: UTF8.self)
    }

    /// How a child ended.
    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)

        /// The shell's convention: the exit code, or 128 + the signal.
        public var shellStatus: Int32 {
            switch self {
            case .exited(let c): c
            case .signaled(let s): 128 + s
            }
        }
    }

    /// Waits for `pid` to end (blocking this thread; use a dedicated thread, not the shared pool).
    public static func wait(_ pid: pid_t) throws -> Termination {
        var status: Int32 = 0
        try retryingEINTR("waitpid", path: "pid \(pid)") { waitpid(pid, &status, 0) }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift cannot import as macros.
        if status & 0x7f == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(status & 0x7f)
    }
}

/// A pipe whose both ends are close-on-exec, each owned once: `pipe.write.close()` consumes the
/// end (a second close does not compile); an end not closed by hand closes with the pipe.
/// `@frozen` so that other modules may consume one end and keep the other.
@frozen public struct Pipe: ~Copyable, Sendable {
    public var read: UniqueFD
    public var write: UniqueFD

    public init() throws {
        var fds: [Int32] = [-1, -1]
        try retryingEINTR("pipe2") { cshim_pipe_cloexec(&fds) }
        read = UniqueFD(adopting: fds[0])
        write = UniqueFD(adopting: fds[1])
    }
}
