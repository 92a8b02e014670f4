import CNCCore
import CNCState
import Foundation
import Testing

/// `cnc` image commands run as a user would, each test in its own temp state root.
@Suite struct ImageCLITests {
    final class Root: @unchecked Sendable {
        let path: String
        init() {
            path = "/tmp/cnc-imgcli-\(UInt32.random(in: 0...UInt32.max))"
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func cnc(_ args: [String]) throws -> CLI.Result { try CLI.run("cnc", args + ["--root", path + "/root"]) }
        /// A busybox rootfs tar (Debian's busybox-static + applet symlinks), via python's tarfile.
        func busyboxTar() throws -> String {
            let tar = path + "/bb.tar"
            _ = try CLI.exec("/usr/bin/env", ["python3", "-c", """
                import tarfile, sys
                t = tarfile.open(sys.argv[1], 'w')
                t.add('/bin/busybox', arcname='bin/busybox')
                for a in ['sh', 'ls', 'echo', 'true', 'cat']:
                    i = tarfile.TarInfo('bin/' + a); i.type = tarfile.SYMTYPE; i.linkname = '/bin/busybox'; t.addfile(i)
                t.close()
                """, tar])
            return tar
        }
    }

    @Test func importListTagInspectRemove() throws {
        let r = Root()
        let tar = try r.busyboxTar()
        let imp = try r.cnc(["import", "-c", "CMD [\"sh\"]", "--change", "ENV A=1", "-m", "hi", tar, "bb:1"])
        #expect(imp.status == 0, "\(imp.stderr)")
        let id = imp.stdout.trimmingSpaces
        #expect(id.hasPrefix("sha256:"))
        #expect(try r.cnc(["tag", "bb:1", "localhost:5000/team/bb:2"]).status == 0)
        let list = try r.cnc(["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"])
        #expect(list.stdout.split(separator: "\n").sorted() == ["bb:1 \(id.dropFirst(7).prefix(12))", "localhost:5000/team/bb:2 \(id.dropFirst(7).prefix(12))"])
        #expect(try r.cnc(["images", "-q"]).stdout == "\(id.dropFirst(7).prefix(12))\n")
        let table = try r.cnc(["images", "--digests"]).stdout
        #expect(table.hasPrefix("REPOSITORY") && table.contains("DIGEST"))
        let cmd = try r.cnc(["image", "inspect", "--format", "{{json .Config.Cmd}} {{.Comment}}", "bb:1"])
        #expect(cmd.stdout == "[\"sh\"] hi\n")
        let hist = try r.cnc(["image", "history", "bb:1"])
        #expect(hist.stdout.contains("cnc import bb.tar"))
        let th = try r.cnc(["image", "tag-history", "localhost:5000/team/bb:2"])
        #expect(th.stdout.contains("tag"))
        let missing = try r.cnc(["image", "inspect", "nosuch"])
        #expect(missing.status == 1 && missing.stderr.contains("No such image: nosuch"))
        let bad = try r.cnc(["tag", "bb:1", "Bad::ref"])
        #expect(bad.status != 0 && bad.stderr.contains("invalid reference format"))
        let multi = try r.cnc(["rmi", String(id.dropFirst(7).prefix(12))])
        #expect(multi.status == 1 && multi.stderr.contains("must be forced"))
        #expect(try r.cnc(["rmi", "bb:1"]).stdout == "Untagged: bb:1\n")
        let last = try r.cnc(["rmi", "localhost:5000/team/bb:2"])
        #expect(last.stdout == "Untagged: localhost:5000/team/bb:2\nDeleted: \(id)\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: r.path + "/root/images/blobs/sha256").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: r.path + "/root/layers").isEmpty)
        #expect(try r.cnc(["image", "tag-history", "bb:1", "--format", "json"]).stdout.contains("\"rmi\""))
    }

    @Test(arguments: [("docker-archive", false), ("oci-archive", false), ("docker-archive", true), ("oci-archive", true)])
    func saveLoadRoundTrip(format: String, gzip: Bool) throws {
        let a = Root(), b = Root()
        let tar = try a.busyboxTar()
        #expect(try a.cnc(["import", "-c", "ENV X=1", tar, "app:v1"]).status == 0)
        let out = a.path + "/saved.tar"
        let s = try a.cnc(["save", "--format", format, "-o", out, "app:v1"])
        #expect(s.status == 0, "\(s.stderr)")
        var input = out
        if gzip {
            _ = try Self.tool("/usr/bin/gzip", ["-k", out])
            input = out + ".gz"
        }
        let l = try b.cnc(["load", "-i", input])
        #expect(l.status == 0, "\(l.stderr)")
        #expect(l.stdout == "Loaded image: app:v1\n")
        let ia = try a.cnc(["image", "inspect", "--format", "{{.Id}}", "app:v1"]).stdout
        let ib = try b.cnc(["image", "inspect", "--format", "{{.Id}}", "app:v1"]).stdout
        #expect(ia == ib && ia.hasPrefix("sha256:"), "the image ID (config digest) survives save/load")
        if format == "docker-archive" && !gzip {
            let sk = try Self.tool("/usr/bin/skopeo", ["inspect", "docker-archive:\(out)"])
            #expect(sk.status == 0, "\(sk.stderr)")
        }
    }

    /// Runs a system tool (CLI.run only runs the built binaries).
    static func tool(_ path: String, _ args: [String]) throws -> (status: Int32, stderr: String) {
        let r = try CLI.exec(path, args)
        return (r.status, r.stderr)
    }

    @Test func failedLoadLeavesNothing() throws {
        let r = Root()
        let bogus = r.path + "/bogus.tar"
        #expect(FileManager.default.createFile(atPath: bogus, contents: Data("not a tar at all".utf8)))
        let l = try r.cnc(["load", "-i", bogus])
        #expect(l.status != 0)
        #expect(l.stderr.contains("failed to load images"))
        for d in ["images/blobs/sha256", "layers", "tmp"] {
            #expect(try FileManager.default.contentsOfDirectory(atPath: r.path + "/root/" + d).isEmpty, "\(d)")
        }
    }

    @Test func concurrentProcessesKeepIndexJSONWhole() async throws {
        let r = Root()
        let tar = try r.busyboxTar()
        #expect(try r.cnc(["import", tar, "base:1"]).status == 0)
        try await withThrowingTaskGroup(of: Int32.self) { g in
            for i in 0..<8 {
                g.addTask { try r.cnc(["tag", "base:1", "p\(i):x"]).status }
            }
            for try await status in g { #expect(status == 0) }
        }
        let names = try r.cnc(["images", "--format", "{{.Repository}}"]).stdout.split(separator: "\n")
        #expect(names.count == 9)
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: r.path + "/root/images/index.json")))
        #expect(((index as? [String: Any])?["manifests"] as? [Any])?.count == 9)
    }

    @Test func imagesOfContainersInStateDBSurvivePruneAndRmi() async throws {
        let r = Root()
        let tar = try r.busyboxTar()
        let id = try r.cnc(["import", tar, "used:1"]).stdout.trimmingSpaces
        let db = try StateDB(path: r.path + "/root/state.db")
        try await db.recordApp(project: "p", specFiles: [], workingDirectory: "/", now: 0)
        try await db.upsertContainer(ContainerRecord(
            id: "c1", project: "p", service: "web", replica: 1, name: "p-web-1", configHash: "h", sectionHashes: [:],
            appliedSections: [:], image: "used:1", imageDigest: id, revision: 1, createdAt: 0))
        let rmi = try r.cnc(["rmi", "used:1"])
        #expect(rmi.status == 1 && rmi.stderr.contains("is used by a container"), "\(rmi.stderr)")
        #expect(try r.cnc(["image", "prune", "-a"]).status == 0)
        #expect(try r.cnc(["image", "inspect", "--format", "{{.Id}}", "used:1"]).stdout.trimmingSpaces == id)
    }

    @Test func pruneRemovesDanglingImages() throws {
        let r = Root()
        let tar = try r.busyboxTar()
        #expect(try r.cnc(["import", "-c", "ENV V=1", tar, "x:1"]).status == 0)
        #expect(try r.cnc(["import", "-c", "ENV V=2", tar, "x:1"]).status == 0)
        #expect(try r.cnc(["images", "-q"]).stdout.split(separator: "\n").count == 2)
        let p = try r.cnc(["image", "prune", "-f"])
        #expect(p.status == 0 && p.stdout.contains("deleted: sha256:"))
        #expect(try r.cnc(["images", "-q"]).stdout.split(separator: "\n").count == 1)
    }
}
