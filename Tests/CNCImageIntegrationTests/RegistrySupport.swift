import CNCCore
import CNCSystem
import CNCTestSupport
import Foundation
import Glibc
import Testing

/// The fake registry of Fixtures/fake_registry.py (bearer auth, a 503, a dropped connection), or
/// with `stall` one whose layer stops half way and then sends nothing.
final class FakeRegistry: @unchecked Sendable {
    let process: Process
    let port: Int
    let manifestDigest: String
    let layerDigest: String
    var host: String { "127.0.0.1:\(port)" }

    init(stall: Bool = false) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", fixturesDir() + "/fake_registry.py"] + (stall ? ["stall"] : [])
        let out = Foundation.Pipe()
        p.standardOutput = out
        try p.run()
        process = p
        var line = Data()
        while true {
            let b = out.fileHandleForReading.readData(ofLength: 1)
            if b.isEmpty || b == Data("\n".utf8) { break }
            line += b
        }
        let parts = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard parts.count == 3, let port = Int(parts[0]) else { throw CNCError(.internal, "fake registry did not start") }
        self.port = port
        manifestDigest = String(parts[1])
        layerDigest = String(parts[2])
    }

    func stats() throws -> [String: Any] {
        let r = try run("curl", ["-s", "http://\(host)/stats"])
        return (try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]) ?? [:]
    }

    deinit {
        // SIGKILL: a graceful registry shutdown waits for idle keep-alive connections.
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
