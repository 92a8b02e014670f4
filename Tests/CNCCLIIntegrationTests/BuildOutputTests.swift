import CNCCore
import Foundation
import Testing

/// `cnc build -o type=docker|oci,dest=FILE` on the real kernel: the archive is written instead
/// of the tag (buildx's exporters), `cnc load` of the docker archive gives the same image ID,
/// the OCI tar is a layout whose blobs match their digests.
@Suite(.serialized) struct BuildOutputTests {
    static let dockerfile = "FROM bb:1\nRUN echo exported > /out.txt\nCMD [\"cat\", \"/out.txt\"]\n"

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func dockerArchiveLoadsAsTheSameImage() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", ["Dockerfile": Self.dockerfile])
        let tar = r.dir + "/out.tar"
        let b = try r.cnc(["build", "-o", "type=docker,dest=" + tar, "--iidfile", r.dir + "/iid", "-t", "exp:1", ctx])
        #expect(b.status == 0, "\(b.stderr)")
        let id = try String(contentsOfFile: r.dir + "/iid", encoding: .utf8)
        #expect(id.hasPrefix("sha256:"))
        // Written instead of tagged: the store has no exp:1 until the archive is loaded.
        #expect(try r.cnc(["image", "inspect", "exp:1"]).status != 0)
        let load = try r.cnc(["load", "-i", tar])
        #expect(load.status == 0 && load.stdout.contains("Loaded image: exp:1"), "\(load.stdout)\(load.stderr)")
        #expect(try ApplyBuildCLITests.imageID(r, "exp:1") == id)
        #expect(try r.cnc(["run", "--rm", "exp:1"]).stdout == "exported\n")
        // dest=- streams the same archive to standard output.
        let piped = try CLI.exec("/bin/sh", ["-c", "\"$0\" build --root \"$1\" -q -o type=docker,dest=- -t exp:2 \"$2\" > \"$3\"",
                                             CLI.binDir + "/cnc", r.root, ctx, r.dir + "/piped.tar"])
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(try r.cnc(["load", "-i", r.dir + "/piped.tar"]).stdout.contains("Loaded image: exp:2"))
        #expect(try ApplyBuildCLITests.imageID(r, "exp:2") == id)
        try BuildCLITests.expectClean(r)
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func ociArchiveIsALayoutWithBlobsByDigest() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", ["Dockerfile": Self.dockerfile])
        let tar = r.dir + "/oci.tar"
        let b = try r.cnc(["build", "-o", "type=oci,dest=" + tar, "-t", "exp:1", ctx])
        #expect(b.status == 0, "\(b.stderr)")
        let out = r.dir + "/oci"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        #expect(try CLI.exec("/bin/tar", ["-xf", tar, "-C", out]).status == 0)
        let layout = try String(contentsOfFile: out + "/oci-layout", encoding: .utf8)
        #expect(layout.contains("\"imageLayoutVersion\":\"1.0.0\""), "\(layout)")
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/index.json"))) as? [String: Any]
        let manifests = index?["manifests"] as? [[String: Any]] ?? []
        #expect(manifests.count == 1)
        let manifestDigest = manifests.first?["digest"] as? String ?? ""
        // As BuildKit's (containerd's) exporter: the OCI ref name is the tag, the full name is containerd's.
        let annotations = manifests.first?["annotations"] as? [String: String] ?? [:]
        #expect(annotations["org.opencontainers.image.ref.name"] == "1", "\(annotations)")
        #expect(annotations["io.containerd.image.name"] == "docker.io/library/exp:1", "\(annotations)")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/skopeo") {
            let inspect = try CLI.exec("/usr/bin/skopeo", ["inspect", "--raw", "oci-archive:" + tar + ":1"])
            #expect(inspect.status == 0 && inspect.stdout.contains(#""layers""#), "\(inspect.stderr)")
        }
        // Every blob file is named by its own sha256; the manifest's config and layers are there.
        let blobs = try FileManager.default.contentsOfDirectory(atPath: out + "/blobs/sha256")
        #expect(blobs.count >= 4, "\(blobs)")
        for blob in blobs {
            let sum = try CLI.exec("/usr/bin/sha256sum", [out + "/blobs/sha256/" + blob]).stdout
            #expect(sum.hasPrefix(blob), "blob \(blob) is not named by its digest")
        }
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/blobs/sha256/" + manifestDigest.dropFirst(7)))) as? [String: Any]
        let config = (manifest?["config"] as? [String: Any])?["digest"] as? String ?? ""
        let layers = (manifest?["layers"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String }
        #expect(layers.count == 2)
        for d in [config] + layers { #expect(blobs.contains(String(d.dropFirst(7))), "\(d) missing") }
        #expect(try r.cnc(["image", "inspect", "exp:1"]).status != 0)
        // Bad outputs are refused before anything is built.
        let noDest = try r.cnc(["build", "-o", "type=oci", ctx])
        #expect(noDest.status == 1 && noDest.stderr.contains("output file is required for oci exporter"), "\(noDest.stderr)")
        let local = try r.cnc(["build", "-o", "type=local,dest=" + r.dir + "/dir", ctx])
        #expect(local.status == 1 && local.stderr.contains("not supported yet: -o type=local"), "\(local.stderr)")
        try BuildCLITests.expectClean(r)
    }
}
