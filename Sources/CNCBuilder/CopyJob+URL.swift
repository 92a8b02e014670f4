import CNCCore
import CNCSystem
import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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
        final class Box: @unchecked Sendable { var data: Data?; var response: URLResponse?; var error: (any Error)? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: u)
        request.timeoutInterval = 60
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.data = data
            box.response = response
            box.error = error
            done.signal()
        }.resume()
        done.wait()
        if let error = box.error {
            throw CNCError(.network, "failed to load cache key: \(url): \(error.localizedDescription)")
        }
        let status = (box.response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200, let data = box.data else {
            throw CNCError(.network, "failed to load cache key: invalid response status \(status)")
        }
        let bytes = [UInt8](data)
        if let checksum {
            let got = "sha256:" + SHA256.hash(data: bytes).map { String(format2: $0) }.joined()
            guard got == checksum.lowercased() else {
                throw CNCError(.integrity, "digest mismatch \(got): \(checksum)")
            }
        }
        let last = u.lastPathComponent
        return (last.isEmpty || last == "/" ? "__unnamed__" : last, bytes)
    }
}
