import CNCCore
import CNCSystem
import Crypto
import Foundation

extension CopyJob {
    /// `ADD URL`: the body fetched (redirects followed), checked against `--checksum=sha256:...`
    /// when given, written as one file of mode 0600 named after the URL's last path segment
    /// (BuildKit's behaviour). git URLs are not supported yet.
    static func fetch(_ url: String, checksum: String?) throws -> (name: String, bytes: [UInt8]) {
        if url.hasSuffix(".git") || url.contains(".git#") {
            throw CNCError(.unsupported, "not supported yet: ADD of a git repository (\(url))")
        }
        if let checksum, !checksum.hasPrefix("sha256:") || checksum.count != 71 {
            throw CNCError(.invalidArgument, "invalid checksum digest format: \(checksum) (want sha256:<64 hex digits>)")
        }
        guard let u = URL(string: url), u.host != nil else { throw CNCError(.invalidArgument, "invalid URL \(url)") }
        let bytes = try download(url)
        if let checksum {
            let got = "sha256:" + SHA256.hash(data: bytes).map { String(format2: $0) }.joined()
            guard got == checksum.lowercased() else {
                throw CNCError(.integrity, "digest mismatch \(got): \(checksum)")
            }
        }
        let last = u.lastPathComponent
        return (last.isEmpty || last == "/" ? "__unnamed__" : last, bytes)
    }

    /// The executable beside this one that fetches (`cnc-registry fetch-url`): the HTTP client
    /// and its libraries load there, not in every cncapply and cnc-cli start.
    static let fetcher = "cnc-registry"

    /// The body of `url`, from the fetcher as a child; its failure message becomes the error.
    static func download(_ url: String) throws -> [UInt8] {
        let path = Host.executableDirectory + "/" + fetcher
        guard FileSystem.isExecutable(path) else { throw CNCError(.notFound, "cannot fetch \(url): \(path) is missing") }
        let r = try Spawn.capture(path, ["fetch-url", url], environment: Host.environmentList())
        guard r.termination == .exited(0) else {
            let message = String(decoding: r.stderr, as: UTF8.self).trimmingSpaces
            throw CNCError(.network, message.isEmpty ? "failed to load cache key: \(url): \(fetcher) exited \(r.termination.shellStatus)" : message)
        }
        return r.stdout
    }
}
