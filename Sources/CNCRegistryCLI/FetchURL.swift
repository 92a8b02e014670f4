import ArgumentParser
import CNCCore
import CNCSystem
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `cnc-registry fetch-url URL` (hidden): the body of `URL` (redirects followed) on stdout, for
/// a build's `ADD URL` (CNCBuilder's `CopyJob.fetch`). The HTTP client (FoundationNetworking,
/// libcurl and its ~40 libraries) lives in this executable only, so cncapply and cnc-cli, which
/// build, load none of it at every start. A failure: its message alone on stderr, exit 1.
struct FetchURL: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fetch-url", abstract: "Print the body of an HTTP(S) URL (for ADD).",
                                                    shouldDisplay: false)

    @Argument(help: "The URL.") var url: String

    func run() throws {
        do {
            let bytes = try Self.fetch(url)
            try FileSystem.writeAll(1, bytes, path: "stdout")
        } catch {
            let message = (error as? CNCError)?.message ?? "\(error)"
            TerminalInfo.writeStderr(message + "\n")
            throw ExitCode(1)
        }
    }

    static func fetch(_ url: String) throws -> [UInt8] {
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
        return [UInt8](data)
    }
}
