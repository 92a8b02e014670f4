import CNCOCI
import CNCSystem

/// What `--build-arg` and the host give a build: user values, Docker's predefined proxy args
/// (usable in RUN without an ARG, kept out of the cache key and history as Docker keeps them)
/// and the automatic platform args (TARGETPLATFORM, TARGETOS, ... BUILDPLATFORM, ...), which
/// the global scope sees always and a stage sees after `ARG NAME`.
public struct BuildArguments: Sendable, Equatable {
    public static let proxyNames: Set<String> = [
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
        "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    ]

    /// `--build-arg K=V` values (a `--build-arg K` without value takes the caller's environment
    /// value before it lands here).
    public var values: [String: String]
    public var targetPlatform: Platform
    public var buildPlatform: Platform

    public init(values: [String: String] = [:], targetPlatform: Platform? = nil, buildPlatform: Platform? = nil) {
        let host = Platform.host(machine: Host.uname().machine)
        self.values = values
        self.targetPlatform = targetPlatform ?? host
        self.buildPlatform = buildPlatform ?? host
    }

    /// The automatic platform args, as BuildKit defines them for the global scope.
    public var platformArgs: [String: String] {
        func describe(_ p: Platform, _ prefix: String) -> [String: String] {
            [
                "\(prefix)PLATFORM": p.description, "\(prefix)OS": p.os, "\(prefix)ARCH": p.architecture,
                "\(prefix)VARIANT": p.variant ?? "",
            ]
        }
        return describe(targetPlatform, "TARGET").merging(describe(buildPlatform, "BUILD")) { a, _ in a }
    }

    /// Values that reach a RUN's environment without an ARG declaring them.
    public var predefinedRunValues: [String: String] { values.filter { Self.proxyNames.contains($0.key) } }
}
