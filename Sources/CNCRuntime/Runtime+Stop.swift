import CNCCgroups
import CNCCore
import CNCMonitorCore
import CNCSystem
import Foundation

extension Runtime {
    /// Signal numbers by name ("SIGTERM", "TERM", "15").
    public static func signalNumber(_ text: String) throws -> Int32 {
        let names: [String: Int32] = ["HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8,
                                      "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15,
                                      "CHLD": 17, "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23,
                                      "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "PWR": 30, "SYS": 31]
        if let n = Int32(text), n > 0, n < 65 { return n }
        var t = text.uppercased()
        if t.hasPrefix("SIG") { t = String(t.dropFirst(3)) }
        guard let n = names[t] else { throw CNCError(.invalidArgument, "Invalid signal: \(text)") }
        return n
    }

    /// `cnc kill`: sends a signal to the container's PID 1. SIGKILL returns once the monitor
    /// recorded the exit (and released the network), as docker's Kill waits for "not running":
    /// `inspect` right after `kill` says exited. Other signals return at once.
    public func kill(_ ref: String, signal: Int32 = 9) throws {
        let c = try container(ref)
        guard c.state.status == .running || c.state.status == .paused, c.state.pid > 0 else {
            // docker: "Cannot kill container: NAME: Container ID is not running".
            throw CNCError(.conflict, "Cannot kill container: \(ref): \(c.notRunning.message)")
        }
        if signal == 9 || signal == 15 { try? FileSystem.writeReplacing(Array(("").utf8), to: c.stopRequestPath) }
        if c.state.status == .paused && signal == 9 { try? cgroups.thaw(c.config.cgroupPath) }
        try Processes.signal(c.state.pid, signal)
        record("kill", c.config, [("signal", String(signal))])
        if signal == 9 { waitUntilStopped(c, milliseconds: 10_000) }
    }

    /// `cnc stop`: the stop signal (`signal`, else the container's), then SIGKILL after `timeout`
    /// seconds; no restart afterwards. `onGraceWait` hears, once, why the stop will wait out the
    /// timeout (GraceWait).
    public func stop(_ ref: String, timeout: Int? = nil, signal: Int32? = nil, onGraceWait: ((String) -> Void)? = nil) throws {
        let c = try container(ref)
        // "detach": this command releases the network (the defer below) once the exit is
        // recorded, so the monitor need not exec its detach hook first.
        try FileSystem.writeReplacing(Array(Monitor.stopperDetaches.utf8), to: c.stopRequestPath)
        guard c.state.isActive else { return }
        // Docker's events for a stop: kill (the stop signal), then die (the monitor's), then the
        // network's disconnect (the container leaves its networks when it stops, as in docker:
        // a later start joins anew), then stop. A container between two runs of its restart
        // policy still holds its attachment (restarts keep it), so it is released here too.
        defer {
            if let network { try? network.detach(container: c.config) }
            record("stop", c.config)
        }
        if c.state.status == .restarting {
            // Between two runs: wake the monitor so it sees the request and exits.
            if c.state.monitorPid > 0 { _ = try? Processes.signal(c.state.monitorPid, 10) }
            _ = waitUntilStopped(c, milliseconds: 5000)
            return
        }
        if c.state.status == .paused { try? cgroups.thaw(c.config.cgroupPath) }
        let grace = timeout ?? c.config.stopTimeout
        // Before any signal: the exit then leaves the overlay's shutdown to the pin's holder.
        RootfsPins.pin(c.config.id, pid: c.state.pid)
        if c.state.pid > 0 {
            let signal = try signal ?? Self.signalNumber(c.config.stopSignal)
            let why = onGraceWait == nil ? nil
                : GraceWait.message(pid: c.state.pid, signal: signal, timeout: grace, ownPIDNamespace: c.config.pidMode != .host)
            _ = try? Processes.signal(c.state.pid, signal)
            record("kill", c.config, [("signal", String(signal))])
            Trace.mark("stop: signalled")
            if let why { onGraceWait?(why) }
            if waitUntilStopped(c, milliseconds: grace * 1000) { Trace.mark("stop: exit recorded"); return }
            _ = try? Processes.signal(c.state.pid, 9)
            record("kill", c.config, [("signal", "9")])
        }
        // Whatever is left in the cgroup goes too (processes that escaped PID 1's death).
        for p in cgroups.processes(c.config.cgroupPath) { _ = try? Processes.signal(p, 9) }
        Trace.mark("stop: killed")
        _ = waitUntilStopped(c, milliseconds: 10_000)
        Trace.mark("stop: exit recorded")
    }

    /// Waits until the monitor recorded the exit (or is gone): woken by the monitor's rename of
    /// state.json into the container's directory or by its exit (RenameWait), looking again at
    /// least every 20 ms. (It slept 1, 2, 4, 8, 16, 20... ms between looks, so an exit recorded
    /// 8 ms after a SIGKILL was seen at 15 ms.)
    @discardableResult
    func waitUntilStopped(_ c: Container, milliseconds: Int) -> Bool {
        let deadline = Processes.monotonicNanos() + Int64(milliseconds) * 1_000_000
        var wake: RenameWait? = nil
        var delay = 1
        while true {
            let s = refreshed(Container(config: c.config, state: store.loadState(c.config.id), directory: c.directory))
            if !s.isActive { return true }
            let left = deadline - Processes.monotonicNanos()
            if left <= 0 { return false }
            if let wake {
                wake.wait(milliseconds: min(20, Int((left + 999_999) / 1_000_000)))
            } else {
                // Armed after the first look: a stop with time left waits, one that finds the
                // container stopped does not pay for the watch. A rename between that look and
                // arming is caught by the look that follows arming.
                let w = RenameWait(directory: c.directory, process: s.monitorPid)
                if w.isArmed { wake = w; continue }
                Processes.sleep(milliseconds: delay)
                delay = min(delay * 2, 20)
            }
        }
    }

    /// `cnc wait`: blocks until the container stops; returns its exit code.
    public func wait(_ ref: String) throws -> Int32 {
        let c = try container(ref)
        while true {
            let s = refreshed(Container(config: c.config, state: store.loadState(c.config.id), directory: c.directory))
            if !s.isActive && s.status != .created { return s.exitCode }
            if s.status == .created && s.monitorPid == 0 { return s.exitCode }
            Processes.sleep(milliseconds: 20)
        }
    }

    public func pause(_ ref: String) throws {
        let c = try container(ref)
        if c.state.status == .paused { throw CNCError(.conflict, "Container \(c.config.id.rawValue) is already paused") }
        guard c.state.status == .running else { throw c.notRunning }
        try cgroups.freeze(c.config.cgroupPath)
        record("pause", c.config)
    }

    public func unpause(_ ref: String) throws {
        let c = try container(ref)
        guard c.state.status == .paused else { throw c.notPaused }
        try cgroups.thaw(c.config.cgroupPath)
        record("unpause", c.config)
    }

    /// `cnc rm`: removes a stopped container (or a running one with `force`): processes,
    /// cgroups, directory, name; anonymous volumes too with `volumes`. Works after a crash.
    public func remove(_ ref: String, force: Bool = false, volumes: Bool = false) throws {
        if let error = removeMany([ref], force: force, volumes: volumes).first?.1 { throw error }
    }

    /// Removes several containers, killing them all first so their deaths overlap, and hands
    /// every directory to one detached deleter. Returns each reference with its error, if any.
    public func removeMany(_ refs: [String], force: Bool = false, volumes: Bool = false) -> [(String, (any Error)?)] {
        var results: [(String, (any Error)?)] = []
        var doomed: [(String, Container)] = []
        for ref in refs {
            do {
                let c = try container(ref)
                if c.state.isActive {
                    guard force else {
                        throw CNCError(.conflict, "cannot remove container \(c.config.name): container is running: stop the container before removing or force remove")
                    }
                    // The network goes below, once the monitor is gone (see stop).
                    try? FileSystem.writeReplacing(Array(Monitor.stopperDetaches.utf8), to: c.stopRequestPath)
                    if c.state.status == .paused { try? cgroups.thaw(c.config.cgroupPath) }
                    RootfsPins.pin(c.config.id, pid: c.state.pid)
                    if c.state.pid > 0 { _ = try? Processes.signal(c.state.pid, 9) }
                    if c.state.status == .restarting && c.state.monitorPid > 0 { _ = try? Processes.signal(c.state.monitorPid, 10) }
                }
                doomed.append((ref, c))
            } catch {
                results.append((ref, error))
            }
        }
        var trash: [String] = []
        for (ref, c) in doomed {
            do {
                // The monitor must be gone before the directory goes (it writes state and logs there).
                let monitor = store.loadState(c.config.id).monitorPid
                if monitor > 0 && monitor != Processes.current {
                    let deadline = Processes.monotonicNanos() + 5_000_000_000
                    while Processes.isAlive(monitor) && !isZombieOrOther(monitor, dir: c.directory) && Processes.monotonicNanos() < deadline {
                        Processes.sleep(milliseconds: 1)
                    }
                }
                Trace.mark("monitor gone")
                try cgroups.remove(c.config.cgroupPath)
                Trace.mark("cgroups removed")
                if let network { try? network.detach(container: c.config) }
                trash.append(try moveToTrash(c.directory))
                removeSealed(c.config.id)
                store.releaseName(c.config.name, of: c.config.id)
                Trace.mark("remove: name released")
                if c.config.uidMap != nil { usernsRanges.release(c.config.id) }
                record("destroy", c.config)
                if volumes {
                    for m in c.config.mounts where m.type == .volume && m.anonymous { try? self.volumes.remove(m.source) }
                }
                results.append((ref, nil))
            } catch {
                results.append((ref, error))
            }
        }
        // The overlays of containers stopped or killed here go with their directories.
        deleteInBackground(trash, pins: RootfsPins.take(doomed.map { $0.1.config.id }))
        Trace.mark("remove: trash handed on")
        let order = Dictionary(refs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        return results.sorted { (order[$0.0] ?? 0) < (order[$1.0] ?? 0) }
    }

    /// True when `pid` is no longer this container's monitor (a zombie, or a reused pid).
    func isZombieOrOther(_ pid: Int32, dir: String) -> Bool {
        guard let text = try? FileSystem.readText("/proc/\(pid)/stat") else { return true }
        if let paren = text.range(of: ")", options: .backwards) {
            let rest = String(text[paren.upperBound...]).trimmingSpaces
            if rest.hasPrefix("Z") { return true }
        }
        guard let cmd = try? FileSystem.readBytes("/proc/\(pid)/cmdline") else { return true }
        return !String(decoding: cmd, as: UTF8.self).contains(dir)
    }
}

extension Runtime {
    /// Makes a container directory disappear at once (rename into `<root>/.trash/`); the
    /// deletion happens in deleteInBackground. Falls back to deleting it here.
    /// Removes a container this process ran in direct mode and has reaped (foreground --rm):
    /// what `remove(force:)` does, without reloading it, waiting for a monitor or signalling
    /// anything; its cgroups go on a second thread while the directory goes. The `cnc` parent
    /// cgroups stay (CgroupManager.removeKeepingParents); `cnc rm` removes them once empty.
    public func removeReaped(_ c: ContainerConfig) throws {
        let cgroups = self.cgroups, path = c.cgroupPath
        let cgroupRemoval = Threads.start { try cgroups.removeKeepingParents(path) }
        if let network { try? network.detach(container: c) }
        let trash = (try? moveToTrash(store.directory(c.id))) ?? ""
        removeSealed(c.id)
        store.releaseName(c.name, of: c.id)
        if c.uidMap != nil { usernsRanges.release(c.id) }
        record("destroy", c)
        try cgroupRemoval.join()
        Trace.mark("cgroups removed")
        deleteInBackground([trash], pins: RootfsPins.take([c.id]))
    }

    func moveToTrash(_ dir: String) throws -> String {
        // An ephemeral (tmpfs) directory goes at once: nothing to hand to a deleter.
        if store.isEphemeral(dir) {
            // The foreground CLI of a run being removed from elsewhere cleans up too: whoever
            // comes second finds it gone.
            do { try FileSystem.removeTree(dir) } catch where !FileSystem.exists(dir) {}
            return ""
        }
        let trash = store.root + "/.trash"
        let target = trash + "/" + FileSystem.baseName(dir) + "-" + ContainerID.random().short
        do {
            try FileSystem.createDirectory(trash, mode: 0o700)
            try FileSystem.rename(dir, to: target)
            return target
        } catch {
            try FileSystem.removeTree(dir)
            return ""
        }
    }

    /// One detached helper deletes the trashed directories (each rmdir can cost milliseconds
    /// on a disk with online discard) after closing `pins` (RootfsPins: the overlays of those
    /// containers shut down there, not in this process); if it cannot start, both happen here.
    /// Inside a trash batch (`beginTrashBatch`) both wait for the batch's end: one helper for
    /// all of an apply's or a down's removals instead of one spawn per container.
    func deleteInBackground(_ dirs: [String], pins: [Int32] = []) {
        let dirs = dirs.filter { !$0.isEmpty }
        guard !dirs.isEmpty || !pins.isEmpty else { return }
        if TrashItem.batch.collect(dirs.map(TrashItem.directory) + pins.map(TrashItem.pin)) { return }
        var opts = Spawn.Options()
        opts.newSession = true
        opts.fdMap = [-1, -1, -1] + pins
        let arguments = ["cnc-monitor", "--remove-tree"] + (pins.isEmpty ? [] : ["--close=\(pins.count)"]) + dirs
        let spawned = (try? Spawn.spawn(monitorBinary, arguments: arguments, environment: [], options: opts)) != nil
        for fd in pins { FD.close(fd) }
        if !spawned {
            for d in dirs { try? FileSystem.removeTree(d) }
        }
    }

    /// Opens a trash batch: until the matching `endTrashBatch`, removals hand their trashed
    /// directories and root pins to the batch instead of spawning a deleter each. Batches nest;
    /// the outermost end spawns one deleter for everything collected.
    public func beginTrashBatch() { TrashItem.batch.begin() }

    /// Closes a trash batch (see beginTrashBatch).
    public func endTrashBatch() {
        var dirs: [String] = [], pins: [Int32] = []
        for item in TrashItem.batch.end() {
            switch item {
            case .directory(let d): dirs.append(d)
            case .pin(let fd): pins.append(fd)
            }
        }
        deleteInBackground(dirs, pins: pins)
    }

    /// Writes the config.json of containers created with `startsNext` whose start never came.
    public func finishDeferredSpecs() { StartPreparations.finishAllSpecs() }

    /// Closes the pins this process still holds (containers it stopped and neither started nor
    /// removed), here: their overlays are gone before the caller reports them stopped, so a
    /// start right after (another process's) never mounts an upper directory that a live
    /// overlay still has (the kernel warns, or refuses with index=on).
    public func releaseRootPins() {
        for fd in RootfsPins.take() { FD.close(fd) }
    }
}
