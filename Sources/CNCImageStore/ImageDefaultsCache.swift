import CNCCore
import CNCSystem

/// A resolved image's defaults for the container start path, cached per reference under
/// `<stateRoot>/image-cache/` and valid while index.json is the same file: a start then reads
/// one small file instead of decoding index.json, the manifest and the image config
/// (~0.7 ms). Every tag move, pull, load or removal rewrites index.json, which invalidates
/// every entry; unpacked layers are checked to still exist. Anything odd is a miss.
public enum ImageDefaultsCache {
    static let version = "cnc-image-defaults-1"

    static func file(stateRoot: String, reference: String) -> String {
        stateRoot + "/image-cache/" + FNV1a.name(reference)
    }

    /// The cached defaults of `reference`, or nil.
    public static func load(stateRoot: String, reference: String) -> ImageDefaults? {
        let paths = ImageStorePaths(stateRoot: stateRoot)
        guard let stamp = FileSystem.identity(paths.index),
              let items = NulFieldsFile.read(file(stateRoot: stateRoot, reference: reference)) else { return nil }
        guard items.count >= 4, items[0] == version, items[1] == stamp, items[2] == reference else { return nil }
        var d = ImageDefaults(reference: reference, id: items[3], lowerDirs: [], env: [], entrypoint: [], cmd: [], volumes: [], labels: [:])
        var i = 4
        func next() -> String? {
            guard i < items.count else { return nil }
            defer { i += 1 }
            return items[i]
        }
        while let key = next() {
            guard let value = next() else { return nil }
            switch key {
            case "lower": d.lowerDirs.append(value)
            case "env": d.env.append(value)
            case "entrypoint": d.entrypoint.append(value)
            case "cmd": d.cmd.append(value)
            case "workdir": d.workingDir = value
            case "user": d.user = value
            case "stopsignal": d.stopSignal = value
            case "healthcheck": d.healthcheck = value.isEmpty ? [] : d.healthcheck
            case "healthtest": d.healthcheck = (d.healthcheck ?? []) + [value]
            case "healthinterval": guard let n = Int64(value) else { return nil }; d.healthInterval = n
            case "healthtimeout": guard let n = Int64(value) else { return nil }; d.healthTimeout = n
            case "healthstart": guard let n = Int64(value) else { return nil }; d.healthStartPeriod = n
            case "healthretries": guard let n = Int(value) else { return nil }; d.healthRetries = n
            case "volume": d.volumes.append(value)
            case "port": d.exposedPorts.append(value)
            case "label": guard let v = next() else { return nil }; d.labels[value] = v
            default: return nil
            }
        }
        guard !d.lowerDirs.isEmpty, d.lowerDirs.allSatisfy({ FileSystem.exists($0) }) else { return nil }
        return d
    }

    /// Records `d` (just resolved from the store) for `reference`; failures only cost the cache.
    public static func save(_ d: ImageDefaults, stateRoot: String, reference: String) {
        guard let stamp = FileSystem.identity(ImageStorePaths(stateRoot: stateRoot).index) else { return }
        var items = [version, stamp, reference, d.id]
        func add(_ key: String, _ values: [String]) { for v in values { items += [key, v] } }
        add("lower", d.lowerDirs)
        add("env", d.env)
        add("entrypoint", d.entrypoint)
        add("cmd", d.cmd)
        add("workdir", d.workingDir.map { [$0] } ?? [])
        add("user", d.user.map { [$0] } ?? [])
        add("stopsignal", d.stopSignal.map { [$0] } ?? [])
        if let h = d.healthcheck { items += ["healthcheck", ""]; add("healthtest", h) }
        add("healthinterval", d.healthInterval.map { [String($0)] } ?? [])
        add("healthtimeout", d.healthTimeout.map { [String($0)] } ?? [])
        add("healthstart", d.healthStartPeriod.map { [String($0)] } ?? [])
        add("healthretries", d.healthRetries.map { [String($0)] } ?? [])
        add("volume", d.volumes)
        add("port", d.exposedPorts)
        for (k, v) in d.labels.sorted(by: { $0.key < $1.key }) { items += ["label", k, v] }
        NulFieldsFile.write(items, to: file(stateRoot: stateRoot, reference: reference))
    }
}
