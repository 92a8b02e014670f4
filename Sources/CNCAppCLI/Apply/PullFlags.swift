import ArgumentParser
import CNCCore
import CNCImage
import CNCSystem
import Foundation

/// How cncapply gets an image its store lacks: it asks `cnc pull` (the binary beside it), so
/// cncapply itself links no registry client and starts fast.
struct PullFlags: ParsableArguments {
    @Option(name: .customLong("insecure-registry"), help: ArgumentHelp(
        "Allow plain HTTP to this registry host[:port] when pulling (loopback hosts always may).", valueName: "host"))
    var insecureRegistries: [String] = []

    @Option(name: .long, help: ArgumentHelp("Registry credentials file for pulls (default: <root>/auth.json).", valueName: "path"))
    var authfile: String?

    /// Runs `cnc pull REF` against `stateRoot`, then resolves the pulled image in `store`.
    func pull(_ ref: ImageReference, stateRoot: String, store: ImageStore) throws -> ResolvedImage {
        let cnc = FileSystem.directoryName(FileSystem.readLink("/proc/self/exe") ?? "/usr/local/bin/cncapply") + "/cnc"
        guard FileSystem.isExecutable(cnc) else {
            throw CNCError(.notFound, "cannot pull \(ref.familiar): \(cnc) is missing (cncapply pulls through cnc)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: cnc)
        var args = ["pull", "--quiet", "--root", stateRoot]
        for h in insecureRegistries { args += ["--insecure-registry", h] }
        if let authfile { args += ["--authfile", authfile] }
        p.arguments = args + [ref.description]
        let err = Foundation.Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        // cnc's own `Error: ` goes: this error gets cncapply's one prefix.
        let message = ErrorText.strippingPrefix(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingSpaces)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw CNCError(.notFound, "failed to pull \(ref.familiar)", cause: message.isEmpty ? "cnc pull exited \(p.terminationStatus)" : message)
        }
        return try store.resolve(ref.description)
    }
}
