import CNCCgroups
import CNCCore
import CNCRuntime
import CNCSystem

/// `cnc update` of limits in the front, under the systemd driver: a live update is a few cgroup
/// files and one SetUnitProperties (~1 ms of systemd's), which the hand-off to cnc-cli (an exec
/// of a large binary) dwarfed. Only the limit flags, as `--flag value` or `--flag=value`, with
/// the global options before `update`; anything else (--restart, help, a bad value, cgroupfs)
/// goes to cnc-cli, which then behaves exactly as if called directly.
enum UpdatePath {
    static let valueFlags: Set<String> = [
        "--cpus", "--cpu-shares", "-c", "--cpu-quota", "--cpu-period", "--cpuset-cpus", "--cpuset-mems",
        "--memory", "-m", "--memory-reservation", "--memory-swap", "--pids-limit", "--blkio-weight",
    ]

    /// The limit flags and the containers of `args` (what follows `update`), or nil.
    static func parse(_ args: [String]) -> (flags: RunFlags, containers: [String])? {
        var f = RunFlags()
        var containers: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            i += 1
            guard a.hasPrefix("-") else { containers.append(a); continue }
            var name = a, value: String
            if let eq = a.firstIndex(of: "="), a.hasPrefix("--") {
                name = String(a[..<eq])
                value = String(a[a.index(after: eq)...])
            } else {
                guard i < args.count else { return nil }
                value = args[i]
                i += 1
            }
            guard valueFlags.contains(name), !value.isEmpty else { return nil }
            func int() -> Int64? { Int64(value) }
            switch name {
            case "--cpus": f.cpus = value
            case "--cpu-shares", "-c": guard let v = int() else { return nil }; f.cpuShares = v
            case "--cpu-quota": guard let v = int() else { return nil }; f.cpuQuota = v
            case "--cpu-period": guard let v = int() else { return nil }; f.cpuPeriod = v
            case "--cpuset-cpus": f.cpusetCpus = value
            case "--cpuset-mems": f.cpusetMems = value
            case "--memory", "-m": f.memory = value
            case "--memory-reservation": f.memoryReservation = value
            case "--memory-swap": f.memorySwap = value
            case "--pids-limit": guard let v = int() else { return nil }; f.pidsLimit = v
            case "--blkio-weight": guard let v = int() else { return nil }; f.blkioWeight = v
            default: return nil
            }
        }
        return containers.isEmpty ? nil : (f, containers)
    }

    /// Runs the update when the front can (see above); errors for a container are reported as
    /// cnc-cli reports them (`Error: ...`, exit 1 after the others were tried).
    static func attempt(_ globals: LeadingGlobalOptions) -> StartPath.Outcome {
        guard let (flags, containers) = parse(Array(globals.rest.dropFirst())), let limits = try? flags.resourceLimits() else { return .declined }
        Rootless.enterIfUnprivileged()
        let stateRoot = Runtime.stateRoot(option: globals.value("--root"))
        guard StartPath.cgroupDriver(globals.value("--cgroup-manager"), stateRoot: stateRoot) == .systemd,
              let cgroups = StartPath.systemdManager(),
              let runtime = try? Runtime(stateRoot: stateRoot, runRoot: Runtime.defaultRunRoot(stateRoot: stateRoot), cgroups: cgroups)
        else { return .declined }
        Trace.mark("parsed (update path)")
        var failed = false
        for ref in containers {
            do {
                try runtime.update(ref, limits: limits, restart: nil, dockerRules: true)
                TerminalInfo.writeStdout(ref + "\n")
            } catch let e as CNCError {
                writeStderr("Error: \(e.description)\n")
                failed = true
            } catch {
                writeStderr("Error: \(error)\n")
                failed = true
            }
        }
        return .done(failed ? 1 : 0)
    }
}
