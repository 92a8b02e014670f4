import CNCCore
import Foundation
import Glibc
import Testing

/// `ADD URL` on the real kernel, against an HTTP server on 127.0.0.1 the test starts: the file
/// lands (mode 0600), `--checksum` is checked, a fetch that fails says so and leaves nothing.
@Suite(.serialized) struct BuildAddURLTests {
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func addURLWithChecksum() throws {
        let r = try BusyboxRoot()
        let served = r.dir + "/served"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try "remote content\n".write(toFile: served + "/file.txt", atomically: false, encoding: .utf8)
        let sum = String(try CLI.exec("/usr/bin/sha256sum", [served + "/file.txt"]).stdout.prefix(64))
        let port = Int.random(in: 20000...60000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = ["-m", "http.server", "--bind", "127.0.0.1", "--directory", served, String(port)]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // SIGKILL: the test runner blocks SIGTERM, and a child inherits the mask.
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let base = "http://127.0.0.1:\(port)"
        #expect(r.eventually(seconds: 10) { (try? CLI.exec("/bin/busybox", ["wget", "-q", "-O", "/dev/null", base + "/file.txt"]).status) == 0 })

        func build(_ dockerfile: String, _ tag: String) throws -> CLI.Result {
            let ctx = try BuildCLITests.context(r, "ctx-" + tag, ["Dockerfile": dockerfile])
            return try r.cnc(["build", "-t", tag + ":1", ctx])
        }
        let ok = try build("FROM bb:1\nADD --checksum=sha256:\(sum) \(base)/file.txt /srv/\nADD \(base)/file.txt /plain.txt\n", "ok")
        #expect(ok.status == 0, "\(ok.stderr)")
        let run = try r.cnc(["run", "--rm", "ok:1", "sh", "-c", "cat /srv/file.txt; stat -c %a /srv/file.txt /plain.txt"])
        #expect(run.stdout == "remote content\n600\n600\n", "\(run.stdout)\(run.stderr)")

        let wrong = String(repeating: "0", count: 64)
        let mismatch = try build("FROM bb:1\nADD --checksum=sha256:\(wrong) \(base)/file.txt /srv/\n", "bad")
        #expect(mismatch.status == 1)
        #expect(mismatch.stderr.contains("Dockerfile:2: ADD: digest mismatch sha256:\(sum): sha256:\(wrong)"), "\(mismatch.stderr)")
        let missing = try build("FROM bb:1\nADD \(base)/nope.txt /srv/\n", "missing")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("Dockerfile:2: ADD: failed to load cache key: invalid response status 404"), "\(missing.stderr)")
        let local = try build("FROM bb:1\nADD --checksum=sha256:\(sum) Dockerfile /srv/\n", "local")
        #expect(local.status == 1 && local.stderr.contains("checksum can't be specified for non-HTTP(S) sources"), "\(local.stderr)")
        #expect(try r.cnc(["image", "inspect", "bad:1"]).status != 0)
        try BuildCLITests.expectClean(r)
    }
}
