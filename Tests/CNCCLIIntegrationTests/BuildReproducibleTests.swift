import CNCCore
import Foundation
import Testing

/// Reproducible builds on the real kernel: with SOURCE_DATE_EPOCH (build arg or environment) or
/// `--reproducible`, two `--no-cache` builds give the same image ID and layer digests.
@Suite(.serialized) struct BuildReproducibleTests {
    static let dockerfile = """
        FROM bb:1
        COPY app.txt /app/
        RUN mkdir -p /data/sub && echo one > /data/sub/a && echo two > /data/b && touch /data && rm /etc/motd
        WORKDIR /data
        CMD ["cat", "/app/app.txt"]
        """

    static func build(_ r: BusyboxRoot, _ ctx: String, _ args: [String], env: String = "") throws -> (id: String, layers: String) {
        let iid = r.dir + "/iid"
        let b = try CLI.exec("/bin/sh", ["-c", "r=\"$1\"; i=\"$2\"; shift 2; \(env) \"$0\" build --root \"$r\" --no-cache --iidfile \"$i\" \"$@\"",
                                         CLI.binDir + "/cnc", r.root, iid] + args + [ctx])
        #expect(b.status == 0, "\(b.stderr)")
        let id = try String(contentsOfFile: iid, encoding: .utf8)
        let layers = try BuildCLITests.image(r, "inspect", ["--format", "{{json .RootFS.Layers}}", id]).stdout
        return (id, layers)
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func sameInputsGiveTheSameImage() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", ["Dockerfile": Self.dockerfile, "app.txt": "hello\n"])
        // Without an epoch the times differ (the control: this test can fail).
        let plain1 = try Self.build(r, ctx, [])
        usleep(1_100_000)
        let plain2 = try Self.build(r, ctx, [])
        #expect(plain1.id != plain2.id)

        let a = try Self.build(r, ctx, ["--build-arg", "SOURCE_DATE_EPOCH=1700000000"])
        usleep(1_100_000)
        let b = try Self.build(r, ctx, [], env: "SOURCE_DATE_EPOCH=1700000000")
        #expect(a.id == b.id, "\(a.layers)\n\(b.layers)")
        #expect(a.layers == b.layers)
        let created = try BuildCLITests.image(r, "inspect", ["--format", "{{.Created}}", a.id]).stdout
        #expect(created.contains("2023-11-14T22:13:20"), "\(created)")
        let history = try r.cnc(["history", "--format", "{{.CreatedAt}}", a.id]).stdout
        #expect(history.split(separator: "\n").dropLast().allSatisfy { $0.contains("2023-11-14") }, "\(history)")

        let z1 = try Self.build(r, ctx, ["--reproducible"])
        usleep(1_100_000)
        let z2 = try Self.build(r, ctx, ["--reproducible"])
        #expect(z1.id == z2.id && z1.layers == z2.layers)
        #expect(z1.id != a.id)
        // A clamped layer's entries carry the epoch, not the build's time.
        let run = try r.cnc(["run", "--rm", "--entrypoint", "stat", z1.id.trimmingCharacters(in: .whitespaces), "-c", "%Y", "/data/b"])
        #expect(run.stdout == "0\n", "\(run.stdout)\(run.stderr)")
        let bad = try r.cnc(["build", "--build-arg", "SOURCE_DATE_EPOCH=yesterday", ctx])
        #expect(bad.status == 1 && bad.stderr.contains("Error: invalid SOURCE_DATE_EPOCH: yesterday"), "\(bad.stderr)")
        try BuildCLITests.expectClean(r)
    }
}
