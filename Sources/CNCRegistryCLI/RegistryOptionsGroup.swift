import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRegistry
import CNCSystem

/// Flags every registry command takes.
struct RegistryFlags: ParsableArguments {
    @Option(name: .customLong("insecure-registry"), help: ArgumentHelp(
        "Allow plain HTTP to this registry host[:port] (loopback hosts always may; env CNC_INSECURE_REGISTRIES, comma-separated).",
        valueName: "host"))
    var insecureRegistries: [String] = []

    @Option(name: .long, help: ArgumentHelp("Credentials file (default: <root>/auth.json).", valueName: "path"))
    var authfile: String?

    func credentialStore(_ global: GlobalOptions) -> CredentialStore {
        CredentialStore(path: authfile ?? Host.environment("CNC_AUTH_FILE") ?? global.stateRoot + "/auth.json")
    }

    func options(_ global: GlobalOptions) -> RegistryOptions {
        var o = RegistryOptions()
        var insecure = Set(insecureRegistries)
        for h in (Host.environment("CNC_INSECURE_REGISTRIES") ?? "").split(separator: ",") { insecure.insert(String(h)) }
        o.insecureRegistries = insecure
        o.credentials = credentialStore(global)
        if let chunk = Host.environment("CNC_UPLOAD_CHUNK_SIZE").flatMap({ Int64($0) }) { o.chunkSize = chunk }
        o.streamedUpload = Host.environment("CNC_UPLOAD_MODE") == "patch"
        if let b = Host.environment("CNC_RETRY_BACKOFF").flatMap({ Double($0) }) { o.backoff = b }
        return o
    }

    func client(_ host: String, _ global: GlobalOptions) throws -> RegistryClient {
        try RegistryClient(host: host, options: options(global))
    }
}
