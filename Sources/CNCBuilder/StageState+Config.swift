import CNCBuild
import CNCCore
import CNCOCI

/// The instructions that change only the image config, with Docker's rules.
extension StageState {
    mutating func apply(_ command: Command) {
        var c = config
        switch command {
        case .env(let pairs, _):
            var env = c.env ?? []
            for kv in pairs {
                let entry = kv.key + "=" + kv.value
                if let i = env.firstIndex(where: { $0.hasPrefix(kv.key + "=") || $0 == kv.key }) { env[i] = entry } else { env.append(entry) }
            }
            c.env = env
        case .label(let pairs, _):
            var labels = c.labels ?? [:]
            for kv in pairs { labels[kv.key] = kv.value }
            c.labels = labels
        case .expose(let ports):
            var exposed = c.exposedPorts ?? [:]
            // Validated by the evaluator (with the instruction's line).
            for p in ports { for key in (try? ExposeSpec.ports(p)) ?? [] { exposed[key] = EmptyObject() } }
            c.exposedPorts = exposed
        case .user(let u): c.user = u
        case .workdir(let w): c.workingDir = Self.join(c.workingDir ?? "/", w)
        case .volume(let list):
            var vols = c.volumes ?? [:]
            for v in list where !v.isEmpty { vols[v] = EmptyObject() }
            c.volumes = vols
        case .stopSignal(let s): c.stopSignal = s
        case .healthcheck(let spec):
            guard let spec else { c.healthcheck = HealthConfig(test: ["NONE"]); break }
            var h = HealthConfig()
            switch spec.test {
            case .exec(let argv): h.test = ["CMD"] + argv
            case .shell(let s): h.test = ["CMD-SHELL", s]
            }
            h.interval = spec.interval
            h.timeout = spec.timeout
            h.startPeriod = spec.startPeriod
            h.startInterval = spec.startInterval
            h.retries = spec.retries
            c.healthcheck = h
        case .shell(let argv): c.shell = argv
        case .cmd(let line):
            c.cmd = commandLine(line, c)
            cmdSet = true
        case .entrypoint(let line):
            c.entrypoint = commandLine(line, c)
            // Docker: an ENTRYPOINT resets the CMD the base image set (not one of this stage).
            if !cmdSet { c.cmd = nil }
        case .onbuild(let inner): c.onBuild = (c.onBuild ?? []) + [inner.original]
        case .maintainer(let m): image.author = m
        default: break
        }
        config = c
    }

    /// Shell form runs through the stage's SHELL (default `/bin/sh -c`).
    func commandLine(_ line: CommandLine, _ c: CNCOCI.ContainerConfig) -> [String] {
        switch line {
        case .exec(let argv): argv
        case .shell(let s): (c.shell ?? ["/bin/sh", "-c"]) + [s]
        }
    }

    /// WORKDIR's join: an absolute path replaces, a relative one is joined to the current one.
    static func join(_ base: String, _ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : base + "/" + path
        return "/" + BuildContext.normalize(joined)
    }
}
