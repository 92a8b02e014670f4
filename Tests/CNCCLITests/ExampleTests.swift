import Foundation
import Testing

/// The bundled examples, run as a user would run them.
@Suite(.serialized) struct ExampleTests {
    @Test func rollbackExampleDeploysRollsBackByItselfAndManually() throws {
        let root = "/tmp/cnc-example-root-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let port = 20000 + Int.random(in: 0..<20000)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/rollback/rollback.sh").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [script, String(port)]
        var env = ProcessInfo.processInfo.environment
        env["CNC_ROOT"] = root
        env["BIN"] = CLI.binDir
        p.environment = env
        let out = Foundation.Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        // v1, then v2, v3 is refused and v2 stays, then the manual rollback brings v1 back.
        let versions = text.split(separator: "\n").filter { $0.lowercased().hasPrefix("version:") }.map { $0.split(separator: " ").last.map(String.init) ?? "" }
        #expect(versions == ["v1", "v2", "v2", "v1"], "\(text)")
        #expect(text.contains("health gate failed: rolling back to revision 2"))
        #expect(text.contains("rollback to 1"))
        #expect(text.contains("rollback-demo-web-1: removed"))
    }
}
