/// The start path's parser for `cnc run` / `cnc create`. ArgumentParser builds its model of
/// `run`'s ~60 options by reflection on every call (~5 ms here, as long as the rest of a
/// container start); this table-driven parser reads the same options in microseconds. It only
/// accepts what it understands exactly as ArgumentParser would, and returns nil otherwise
/// (--help, `--`, a value that starts with "-", an unknown name, a missing or malformed value):
/// the caller then parses with ArgumentParser, which gives the usual messages. A test checks
/// that both parsers know the same names and agree on what they parse.
extension RunFlags {
    /// What `run` / `create` take around ContainerOptions.
    public struct Invocation: Equatable, Sendable {
        public var flags = RunFlags()
        public var detach = false
        public var rm = false
        public var root: String?
        public var logLevel: String?

        public init(flags: RunFlags = RunFlags(), detach: Bool = false, rm: Bool = false, root: String? = nil, logLevel: String? = nil) {
            self.flags = flags
            self.detach = detach
            self.rm = rm
            self.root = root
            self.logLevel = logLevel
        }
    }

    package enum Slot {
        case flag(WritableKeyPath<Invocation, Bool>)
        case text(WritableKeyPath<Invocation, String>)
        case optionalText(WritableKeyPath<Invocation, String?>)
        case list(WritableKeyPath<Invocation, [String]>)
        case int64(WritableKeyPath<Invocation, Int64?>)
        case int(WritableKeyPath<Invocation, Int?>)
    }

    /// Long names (as ArgumentParser spells them) and their slots.
    nonisolated(unsafe) package static let longSlots: [String: Slot] = [
        "detach": .flag(\.detach), "rm": .flag(\.rm),
        "root": .optionalText(\.root), "log-level": .optionalText(\.logLevel),
        "name": .optionalText(\.flags.name), "interactive": .flag(\.flags.interactive), "tty": .flag(\.flags.tty),
        "env": .list(\.flags.env), "env-file": .list(\.flags.envFile), "workdir": .optionalText(\.flags.workdir),
        "user": .optionalText(\.flags.user), "hostname": .optionalText(\.flags.hostname),
        "volume": .list(\.flags.volume), "mount": .list(\.flags.mount), "tmpfs": .list(\.flags.tmpfs),
        "read-only": .flag(\.flags.readOnly), "init": .flag(\.flags.`init`),
        "entrypoint": .optionalText(\.flags.entrypoint), "cpus": .optionalText(\.flags.cpus),
        "cpu-shares": .int64(\.flags.cpuShares), "cpu-quota": .int64(\.flags.cpuQuota),
        "cpu-period": .int64(\.flags.cpuPeriod), "cpuset-cpus": .optionalText(\.flags.cpusetCpus),
        "cpuset-mems": .optionalText(\.flags.cpusetMems), "memory": .optionalText(\.flags.memory),
        "memory-reservation": .optionalText(\.flags.memoryReservation),
        "memory-swap": .optionalText(\.flags.memorySwap), "pids-limit": .int64(\.flags.pidsLimit),
        "oom-kill-disable": .flag(\.flags.oomKillDisable), "blkio-weight": .int64(\.flags.blkioWeight),
        "device-cgroup-rule": .list(\.flags.deviceCgroupRule), "cap-add": .list(\.flags.capAdd),
        "cap-drop": .list(\.flags.capDrop), "security-opt": .list(\.flags.securityOpt),
        "ulimit": .list(\.flags.ulimit), "restart": .text(\.flags.restart),
        "stop-signal": .optionalText(\.flags.stopSignal), "stop-timeout": .int(\.flags.stopTimeout),
        "health-cmd": .optionalText(\.flags.healthCmd), "health-interval": .optionalText(\.flags.healthInterval),
        "health-timeout": .optionalText(\.flags.healthTimeout), "health-retries": .int(\.flags.healthRetries),
        "health-start-period": .optionalText(\.flags.healthStartPeriod),
        "no-healthcheck": .flag(\.flags.noHealthcheck), "label": .list(\.flags.label),
        "network": .optionalText(\.flags.network), "publish": .list(\.flags.publish),
        "publish-all": .flag(\.flags.publishAll), "ip": .optionalText(\.flags.ip),
        "network-alias": .list(\.flags.networkAlias), "dns-search": .list(\.flags.dnsSearch),
        "dns-option": .list(\.flags.dnsOption), "cgroup-parent": .optionalText(\.flags.cgroupParent),
        "log-opt": .list(\.flags.logOpt), "dns": .list(\.flags.dns), "add-host": .list(\.flags.addHost),
        "rootfs": .optionalText(\.flags.rootfs),
    ]

    /// Short names and the long names they stand for.
    package static let shortNames: [Character: String] = [
        "d": "detach", "i": "interactive", "t": "tty", "e": "env", "w": "workdir", "u": "user", "h": "hostname",
        "v": "volume", "c": "cpu-shares", "m": "memory", "l": "label", "p": "publish", "P": "publish-all",
    ]

    /// Parses `run`'s (`withDetach`) or `create`'s arguments (after the verb), or returns nil
    /// when ArgumentParser must decide.
    public static func parseFast(_ args: [String], withDetach: Bool) -> Invocation? {
        var inv = Invocation()
        var i = 0
        func value(_ inline: String?) -> String? {
            if let inline { return inline }
            guard i + 1 < args.count else { return nil }
            let v = args[i + 1]
            if v.hasPrefix("-") && v != "-" { return nil }
            i += 1
            return v
        }
        func apply(_ long: String, inline: String?) -> Bool {
            guard let slot = longSlots[long], withDetach || long != "detach" else { return false }
            switch slot {
            case .flag(let k):
                guard inline == nil else { return false }
                inv[keyPath: k] = true
            case .text(let k):
                guard let v = value(inline) else { return false }
                inv[keyPath: k] = v
            case .optionalText(let k):
                guard let v = value(inline) else { return false }
                inv[keyPath: k] = v
            case .list(let k):
                guard let v = value(inline) else { return false }
                inv[keyPath: k].append(v)
            case .int64(let k):
                guard let v = value(inline), let n = Int64(v) else { return false }
                inv[keyPath: k] = n
            case .int(let k):
                guard let v = value(inline), let n = Int(v) else { return false }
                inv[keyPath: k] = n
            }
            return true
        }
        while i < args.count {
            let a = args[i]
            if a.hasPrefix("--") {
                guard a.count > 2 else { return nil }  // `--`
                let body = a.dropFirst(2)
                if let eq = body.firstIndex(of: "=") {
                    guard apply(String(body[..<eq]), inline: String(body[body.index(after: eq)...])) else { return nil }
                } else {
                    guard apply(String(body), inline: nil) else { return nil }
                }
            } else if a.hasPrefix("-") && a.count > 1 {
                // `-e X`, or a group of flags (`-dit`); an option letter may only end a group.
                let letters = Array(a.dropFirst())
                for (n, letter) in letters.enumerated() {
                    guard let long = shortNames[letter], let slot = longSlots[long] else { return nil }
                    if case .flag = slot {} else if n != letters.count - 1 { return nil }
                    guard apply(long, inline: nil) else { return nil }
                }
            } else {
                inv.flags.image = a
                inv.flags.command = Array(args[(i + 1)...])
                return inv
            }
            i += 1
        }
        return nil  // no image: ArgumentParser says what is missing
    }
}
