import CNCCore
import CNCImage
import CNCSystem
import CNCTestSupport
import Foundation
import Testing

/// `cnc push`, `pull`, `login`, `logout` as a user runs them, against a real registry.
@Suite struct RegistryCLITests {
    static var cnc: String {
        var dir = URL(fileURLWithPath: Bundle.main.bundlePath).deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("cnc").path) {
            dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        }
        return dir.appendingPathComponent("cnc").path
    }

    @Test func pushPullLoginAndClearErrors() throws {
        let reg = try TestRegistry(htpasswd: ("user", "secret"))
        let tmp = try TempDir()
        let a = ["--root", tmp.path + "/a"], b = ["--root", tmp.path + "/b"]
        try BusyboxRootfs.writeTar(to: tmp.path + "/bb.tar")
        let ref = "\(reg.host)/cli/bb:1"
        #expect(try run(Self.cnc, ["import", tmp.path + "/bb.tar", ref] + a).status == 0)
        let denied = try run(Self.cnc, ["push", ref] + a)
        #expect(denied.status != 0 && denied.err.contains("run cnc login \(reg.host)"), "\(denied.err)")
        let bad = try run(Self.cnc, ["login", "-u", "user", "--password-stdin", reg.host] + a, stdin: Data("wrong\n".utf8))
        #expect(bad.status != 0 && bad.err.contains("401"), "\(bad.err)")
        let ok = try run(Self.cnc, ["login", "-u", "user", "--password-stdin", reg.host] + a, stdin: Data("secret\n".utf8))
        #expect(ok.status == 0 && ok.out == "Login Succeeded\n", "\(ok.err)")
        let push = try run(Self.cnc, ["push", ref] + a)
        #expect(push.status == 0, "\(push.err)")
        #expect(push.out.contains("Pushed"))
        let auth = ["--authfile", tmp.path + "/a/auth.json"]
        let pull = try run(Self.cnc, ["pull", ref] + b + auth)
        #expect(pull.status == 0, "\(pull.err)")
        let ids = try [a, b].map { try run(Self.cnc, ["image", "inspect", "--format", "{{.Id}}", ref] + $0).out }
        #expect(ids[0] == ids[1] && ids[0].hasPrefix("sha256:"))
        let digests = try run(Self.cnc, ["images", "--digests", "--format", "{{.Digest}}"] + b).out
        #expect(digests.hasPrefix("sha256:"))
        let missing = try run(Self.cnc, ["pull", "\(reg.host)/cli/nope:1"] + b + auth)
        #expect(missing.status == 1 && missing.err.contains("not found"), "\(missing.err)")
        let port = try freePort()
        let unreachable = try run(Self.cnc, ["pull", "127.0.0.1:\(port)/x/y:1"] + b, env: ["CNC_RETRY_BACKOFF": "0.01"])
        #expect(unreachable.status != 0 && unreachable.err.contains("failed to reach registry 127.0.0.1:\(port)"), "\(unreachable.err)")
        #expect(unreachable.err.contains("connection refused"))
        let badRef = try run(Self.cnc, ["pull", "Not//Valid"] + b)
        #expect(badRef.status != 0 && badRef.err.contains("invalid reference format"))
        #expect(try run(Self.cnc, ["logout", reg.host] + a).out.contains("Removing login credentials"))
        #expect(try run(Self.cnc, ["push", ref] + a).status != 0)
        // Nothing of the failed pulls stayed.
        #expect(try FileSystem.listDirectory(tmp.path + "/b/tmp").isEmpty)
    }
}
