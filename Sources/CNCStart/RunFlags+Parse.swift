import Logging

/// The start path's parser for `cnc run` / `cnc create`. ArgumentParser builds its model of
/// `run`'s ~60 options by reflection on every call (~5 ms here, as long as the rest of a
/// container start); this switch-driven parser reads the same options in microseconds. It only
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
        /// `--cgroup-manager` given after the verb (a global option).
        public var cgroupManager: String?
        /// `run --detach-keys`: docker's key syntax (DetachKeys), checked before anything is made.
        public var detachKeys: String?
        /// `run --sig-proxy=false`: signals to the CLI are not forwarded to the container.
        public var sigProxy = true

        public init(flags: RunFlags = RunFlags(), detach: Bool = false, rm: Bool = false, root: String? = nil, logLevel: String? = nil) {
            self.flags = flags
            self.detach = detach
            self.rm = rm
            self.root = root
            self.logLevel = logLevel
        }
    }

    /// The boolean flags among the long names (they take no value).
    package static let flagNames: Set<String> = [
        "detach", "rm", "interactive", "tty", "read-only", "init", "oom-kill-disable", "no-healthcheck", "publish-all",
        "privileged", "sig-proxy", "no-sig-proxy",
    ]

    /// Every long name, as ArgumentParser spells it (the test compares it with `run --help`).
    package static let longNames: [String] = [
        "detach", "rm", "root", "log-level", "cgroup-manager", "name", "interactive", "tty", "env", "env-file", "workdir", "user",
        "hostname", "volume", "mount", "tmpfs", "read-only", "init", "entrypoint", "cpus", "cpu-shares", "cpu-quota",
        "cpu-period", "cpuset-cpus", "cpuset-mems", "memory", "memory-reservation", "memory-swap", "pids-limit",
        "oom-kill-disable", "blkio-weight", "device-cgroup-rule", "device", "sysctl", "oom-score-adj", "shm-size", "cgroupns", "privileged", "device-read-bps", "device-write-bps", "device-read-iops", "device-write-iops", "pid", "ipc", "uts", "userns", "group-add", "cidfile", "cap-add", "cap-drop", "security-opt", "ulimit",
        "restart", "stop-signal", "stop-timeout", "health-cmd", "health-interval", "health-timeout", "health-retries",
        "health-start-period", "no-healthcheck", "label", "network", "publish", "publish-all", "ip", "network-alias",
        "dns-search", "dns-option", "cgroup-parent", "log-driver", "log-opt", "sdnotify", "dns", "add-host", "pull", "rootfs", "detach-keys",
        "sig-proxy", "no-sig-proxy",
    ]

    /// Sets flag `long` to `on` (docker's `--rm=false`: pflag's bool words); false when the name is
    /// not a flag.
    package static func setFlag(_ long: String, _ on: Bool, in inv: inout Invocation) -> Bool {
        switch long {
        case "detach": inv.detach = on
        case "rm": inv.rm = on
        case "interactive": inv.flags.interactive = on
        case "tty": inv.flags.tty = on
        case "read-only": inv.flags.readOnly = on
        case "init": inv.flags.`init` = on
        case "oom-kill-disable": inv.flags.oomKillDisable = on
        case "no-healthcheck": inv.flags.noHealthcheck = on
        case "publish-all": inv.flags.publishAll = on
        case "privileged": inv.flags.privileged = on
        case "sig-proxy": inv.sigProxy = on
        case "no-sig-proxy": inv.sigProxy = !on
        default: return false
        }
        return true
    }

    /// strconv.ParseBool's words, which pflag's bool flags take after `=`.
    static let boolWords: [String: Bool] = [
        "1": true, "t": true, "T": true, "true": true, "TRUE": true, "True": true,
        "0": false, "f": false, "F": false, "false": false, "FALSE": false, "False": false,
    ]

    /// Sets option `long` (`value` nil for a flag); false when the name is unknown or the value
    /// is not what ArgumentParser would accept. A switch, not a key-path table: instantiating
    /// ~60 key paths costs ~0.3 ms on every start.
    package static func set(_ long: String, _ value: String?, in inv: inout Invocation) -> Bool {
        switch (long, value) {
        case (_, nil): return setFlag(long, true, in: &inv)
        case ("root", let v?): inv.root = v
        case ("cgroup-manager", let v?): inv.cgroupManager = v
        case ("log-level", let v?):
            // ArgumentParser's LogLevelArgument: case-insensitive, kept as the level's name.
            guard let level = Logger.Level(rawValue: v.lowercased()) else { return false }
            inv.logLevel = level.rawValue
        case ("name", let v?): inv.flags.name = v
        case ("env", let v?): inv.flags.env.append(v)
        case ("env-file", let v?): inv.flags.envFile.append(v)
        case ("workdir", let v?): inv.flags.workdir = v
        case ("user", let v?): inv.flags.user = v
        case ("hostname", let v?): inv.flags.hostname = v
        case ("volume", let v?): inv.flags.volume.append(v)
        case ("mount", let v?): inv.flags.mount.append(v)
        case ("tmpfs", let v?): inv.flags.tmpfs.append(v)
        case ("entrypoint", let v?): inv.flags.entrypoint = v
        case ("cpus", let v?): inv.flags.cpus = v
        case ("cpu-shares", let v?): guard let n = Int64(v) else { return false }; inv.flags.cpuShares = n
        case ("cpu-quota", let v?): guard let n = Int64(v) else { return false }; inv.flags.cpuQuota = n
        case ("cpu-period", let v?): guard let n = Int64(v) else { return false }; inv.flags.cpuPeriod = n
        case ("cpuset-cpus", let v?): inv.flags.cpusetCpus = v
        case ("cpuset-mems", let v?): inv.flags.cpusetMems = v
        case ("memory", let v?): inv.flags.memory = v
        case ("memory-reservation", let v?): inv.flags.memoryReservation = v
        case ("memory-swap", let v?): inv.flags.memorySwap = v
        case ("pids-limit", let v?): guard let n = Int64(v) else { return false }; inv.flags.pidsLimit = n
        case ("blkio-weight", let v?): guard let n = Int64(v) else { return false }; inv.flags.blkioWeight = n
        case ("device-cgroup-rule", let v?): inv.flags.deviceCgroupRule.append(v)
        case ("device", let v?): inv.flags.device.append(v)
        case ("sysctl", let v?): inv.flags.sysctl.append(v)
        case ("oom-score-adj", let v?): guard let n = Int(v) else { return false }; inv.flags.oomScoreAdj = n
        case ("shm-size", let v?): inv.flags.shmSize = v
        case ("cgroupns", let v?): inv.flags.cgroupns = v
        case ("pid", let v?): inv.flags.pid = v
        case ("group-add", let v?): inv.flags.groupAdd.append(v)
        case ("cidfile", let v?): inv.flags.cidfile = v
        case ("ipc", let v?): inv.flags.ipc = v
        case ("uts", let v?): inv.flags.uts = v
        case ("userns", let v?): inv.flags.userns = v
        case ("device-read-bps", let v?): inv.flags.deviceReadBps.append(v)
        case ("device-write-bps", let v?): inv.flags.deviceWriteBps.append(v)
        case ("device-read-iops", let v?): inv.flags.deviceReadIops.append(v)
        case ("device-write-iops", let v?): inv.flags.deviceWriteIops.append(v)
        case ("cap-add", let v?): inv.flags.capAdd.append(v)
        case ("cap-drop", let v?): inv.flags.capDrop.append(v)
        case ("security-opt", let v?): inv.flags.securityOpt.append(v)
        case ("ulimit", let v?): inv.flags.ulimit.append(v)
        case ("restart", let v?): inv.flags.restart = v
        case ("stop-signal", let v?): inv.flags.stopSignal = v
        case ("stop-timeout", let v?): guard let n = Int(v) else { return false }; inv.flags.stopTimeout = n
        case ("health-cmd", let v?): inv.flags.healthCmd = v
        case ("health-interval", let v?): inv.flags.healthInterval = v
        case ("health-timeout", let v?): inv.flags.healthTimeout = v
        case ("health-retries", let v?): guard let n = Int(v) else { return false }; inv.flags.healthRetries = n
        case ("health-start-period", let v?): inv.flags.healthStartPeriod = v
        case ("label", let v?): inv.flags.label.append(v)
        case ("network", let v?): inv.flags.network = v
        case ("publish", let v?): inv.flags.publish.append(v)
        case ("ip", let v?): inv.flags.ip = v
        case ("network-alias", let v?): inv.flags.networkAlias.append(v)
        case ("dns-search", let v?): inv.flags.dnsSearch.append(v)
        case ("dns-option", let v?): inv.flags.dnsOption.append(v)
        case ("cgroup-parent", let v?): inv.flags.cgroupParent = v
        case ("log-opt", let v?): inv.flags.logOpt.append(v)
        case ("log-driver", let v?): inv.flags.logDriver = v
        case ("sdnotify", let v?): inv.flags.sdnotify = v
        case ("dns", let v?): inv.flags.dns.append(v)
        case ("add-host", let v?): inv.flags.addHost.append(v)
        case ("pull", let v?): inv.flags.pull = v
        case ("rootfs", let v?): inv.flags.rootfs = v
        case ("detach-keys", let v?): inv.detachKeys = v
        default: return false
        }
        return true
    }

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
            guard withDetach || !["detach", "detach-keys", "sig-proxy", "no-sig-proxy"].contains(long) else { return false }
            if flagNames.contains(long) {
                guard let inline else { return setFlag(long, true, in: &inv) }
                guard let on = boolWords[inline] else { return false }
                return setFlag(long, on, in: &inv)
            }
            guard let v = value(inline) else { return false }
            return set(long, v, in: &inv)
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
                    guard let long = shortNames[letter] else { return nil }
                    if !flagNames.contains(long) && n != letters.count - 1 { return nil }
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
