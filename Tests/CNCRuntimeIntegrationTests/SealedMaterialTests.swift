import CNCCore
import CNCRuntime
import CNCSystem
import Foundation
import Testing

/// Sealed material (secret variables and files) on the real kernel: the workload sees it, the
/// state root never holds it, and it goes with the container (or with the sweep, orphaned).
@Suite struct SealedMaterialTests {
    @Test func sealedValuesReachTheWorkloadAndNeverTheStateRoot() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let rt = try h.runtime()
        // The file holds the variable's value, so the command can compare them without naming it.
        let value = "sv-" + ContainerID.random().short, content = value
        var c = ContainerConfig(id: ContainerID.random(), name: "sealed", image: "busybox", lowerDirs: [CNCHarness.rootfs])
        c.env = ["S=<secret: .env.enc hmac-sha256:0>", "P=plain"]
        c.cmd = ["sh", "-c", "case \"$S\" in sv-*) ;; *) exit 3;; esac; test \"$P\" = plain && test \"$(cat /run/secrets/f)\" = \"$S\" && ! echo x 2>/dev/null > /run/secrets/f"]
        let sealed = SealedMaterial(env: ["S=\(value)"], files: [.init(target: "/run/secrets/f", content: Array(content.utf8), uid: 0, gid: 0, mode: 0o400)])
        c = try rt.create(c, sealed: sealed)
        #expect(c.sealedEnv == ["S"])
        let dir = try #require(rt.store.sealedDirectory(c.id))
        #expect(FileSystem.isTmpfs(dir))
        let stored = try CLIProbe.grep([value, content], under: h.root)
        #expect(stored.isEmpty, "\(stored)")
        try rt.start(c.id).detach()
        #expect(try rt.wait("sealed") == 0)
        try rt.remove("sealed")
        #expect(!FileSystem.exists(dir))

        // An orphan (its container gone without `rm`) is swept.
        let orphan = try #require(rt.store.sealedDirectory(ContainerID.random()))
        try FileSystem.createDirectory(orphan, mode: 0o700)
        try FileSystem.writeReplacing(Array("x".utf8), to: orphan + "/env", mode: 0o600)
        rt.sweepIncomplete(grace: 0)
        #expect(!FileSystem.exists(orphan))
    }
}

/// Files under a directory whose bytes contain any of the needles.
enum CLIProbe {
    static func grep(_ needles: [String], under dir: String) throws -> [String] {
        var hits: [String] = []
        guard let walker = FileManager.default.enumerator(atPath: dir) else { return [] }
        for case let rel as String in walker {
            let path = dir + "/" + rel
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue, let data = FileManager.default.contents(atPath: path) else { continue }
            for n in needles where data.range(of: Data(n.utf8)) != nil { hits.append(path) }
        }
        return hits
    }
}
