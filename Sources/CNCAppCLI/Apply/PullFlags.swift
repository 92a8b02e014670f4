import ArgumentParser
import CNCCore
import CNCImage
import CNCSystem

/// How cncapply gets an image its store lacks: it asks `cnc pull` (RegistryPullProcess), so
/// cncapply itself links no registry client and starts fast.
struct PullFlags: ParsableArguments {
    @Option(name: .customLong("insecure-registry"), help: ArgumentHelp(
        "Allow plain HTTP to this registry host[:port] when pulling (loopback hosts always may).", valueName: "host"))
    var insecureRegistries: [String] = []

    @Option(name: .long, help: ArgumentHelp("Registry credentials file for pulls (default: <root>/auth.json).", valueName: "path"))
    var authfile: String?

    /// Runs `cnc pull --quiet REF` against `stateRoot`, then resolves the pulled image in `store`.
    func pull(_ ref: ImageReference, stateRoot: String, store: ImageStore) throws -> ResolvedImage {
        var args = ["--quiet"]
        for h in insecureRegistries { args += ["--insecure-registry", h] }
        if let authfile { args += ["--authfile", authfile] }
        do {
            try RegistryPullProcess.pull(ref.description, stateRoot: stateRoot, options: args, progress: nil)
        } catch let e as CNCError {
            throw CNCError(.notFound, "failed to pull \(ref.familiar)", cause: e.cause)
        }
        return try store.resolve(ref.description)
    }
}
