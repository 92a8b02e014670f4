import CNCCore
import CNCImage
import CNCSystem
import CNCTestSupport
import Foundation
import Testing

/// `cnc run` / `cnc create` pull a missing image as docker's do (`--pull missing|always|never`),
/// against a real registry on 127.0.0.1, with real containers.
@Suite struct PullOnRunTests {
    static var canRun: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: (RegistryCLITests.cnc as NSString).deletingLastPathComponent + "/cnc-init")
    }

    @Test(.enabled(if: canRun, "needs root and the built cnc, cnc-init, cnc-registry"))
    func runAndCreatePullPerPolicy() throws {
        let (reg, tmp, ref) = try Self.pushedImage()
        let cnc = RegistryCLITests.cnc
        let source = ["--root", tmp.path + "/src"], b = ["--root", tmp.path + "/b"]
        defer {
            for root in [source, b] {
                let ids = ((try? run(cnc, ["ps", "-aq", "--no-trunc"] + root))?.out ?? "").split(separator: "\n").map(String.init)
                if !ids.isEmpty { _ = try? run(cnc, ["rm", "-f"] + root + ids) }
            }
        }
        func containers() throws -> String { try run(cnc, ["ps", "-aq"] + b).out }

        // missing (the default): docker's line, the pull's progress on stderr, then the run.
        let first = try run(cnc, ["run", "--rm", "--network", "none"] + b + [ref, "echo", "ran"])
        #expect(first.status == 0 && first.out == "ran\n", "\(first.out) \(first.err)")
        #expect(first.err.hasPrefix("Unable to find image '\(ref)' locally\n"), "\(first.err)")
        #expect(first.err.contains("Pulling from pull/bb") && first.err.contains("Digest: sha256:"), "\(first.err)")
        // docker run's status line, and no reference line after it.
        #expect(first.err.hasSuffix("\nStatus: Downloaded newer image for \(ref)\n"), "\(first.err)")
        // Present: no pull, nothing on stderr.
        let again = try run(cnc, ["run", "--rm", "--network", "none"] + b + [ref, "echo", "ran"])
        #expect(again.status == 0 && again.out == "ran\n" && again.err.isEmpty, "\(again.err)")
        // always: pulls though present (no "Unable to find").
        let always = try run(cnc, ["run", "--rm", "--network", "none", "--pull", "always"] + b + [ref, "echo", "ran"])
        #expect(always.status == 0 && always.out == "ran\n", "\(always.err)")
        #expect(always.err.contains("Pulling from pull/bb") && !always.err.contains("Unable to find"), "\(always.err)")
        // never: present runs; missing is docker's error, exit 125, nothing created.
        #expect(try run(cnc, ["run", "--rm", "--network", "none", "--pull", "never"] + b + [ref, "true"]).status == 0)
        let other = "\(reg.host)/pull/other:1"
        let never = try run(cnc, ["run", "--rm", "--pull", "never"] + b + [other, "true"])
        #expect(never.status == 125 && never.err == "Error: No such image: \(other)\n", "\(never.err)")
        let neverCreate = try run(cnc, ["create", "--pull", "never"] + b + [other, "true"])
        #expect(neverCreate.status == 125 && neverCreate.err == "Error: No such image: \(other)\n", "\(neverCreate.err)")
        #expect(try containers().isEmpty)
        // A bad value: docker's words, 125, for run and create alike.
        for verb in ["run", "create"] {
            let bad = try run(cnc, [verb, "--pull", "sometimes"] + b + [ref, "true"])
            #expect(bad.status == 125 && bad.err.contains(#"invalid pull option: 'sometimes': must be one of "always", "missing" or "never""#), "\(bad.err)")
        }
        // A repository the registry lacks: a clear error, 125, nothing left behind.
        let nope = "\(reg.host)/pull/nope:1"
        let missing = try run(cnc, ["run", "--rm"] + b + [nope, "true"])
        #expect(missing.status == 125, "\(missing.err)")
        #expect(missing.err.hasPrefix("Unable to find image '\(nope)' locally\n") && missing.err.contains("Error: failed to pull \(nope)")
                && missing.err.contains("not found"), "\(missing.err)")
        #expect(try containers().isEmpty)
        #expect(try run(cnc, ["image", "inspect", nope] + b).status != 0)
        #expect(try FileSystem.listDirectory(tmp.path + "/b/tmp").isEmpty)

        // create pulls too; its stdout is the container's ID alone.
        #expect(try run(cnc, ["rmi", ref] + b).status == 0)
        let created = try run(cnc, ["create", "--network", "none"] + b + [ref, "true"])
        #expect(created.status == 0 && created.out.range(of: "^[0-9a-f]{64}\n$", options: .regularExpression) != nil, "\(created.out) \(created.err)")
        #expect(created.err.hasPrefix("Unable to find image '\(ref)' locally\n"), "\(created.err)")
        #expect(try containers().split(separator: "\n").count == 1)
    }

    /// `cnc pull` prints what docker's does: "Using default tag: latest" for a name without a
    /// tag, "Downloaded newer image" then "Image is up to date", the reference; a failure exits 1.
    @Test(.enabled(if: canRun, "needs root and the built cnc, cnc-init, cnc-registry"))
    func pullSaysWhatDockersPullSays() throws {
        let (reg, tmp, ref) = try Self.pushedImage()
        let cnc = RegistryCLITests.cnc
        let b = ["--root", tmp.path + "/b"]
        let first = try run(cnc, ["pull"] + b + [ref])
        #expect(first.status == 0 && first.out.hasPrefix("1: Pulling from pull/bb\n")
                && first.out.hasSuffix("\nStatus: Downloaded newer image for \(ref)\n\(ref)\n"), "\(first.out)\(first.err)")
        let again = try run(cnc, ["pull"] + b + [ref])
        #expect(again.status == 0 && again.out.hasSuffix("\nStatus: Image is up to date for \(ref)\n\(ref)\n"), "\(again.out)\(again.err)")
        let untagged = try run(cnc, ["pull"] + b + ["\(reg.host)/pull/bb"])
        #expect(untagged.status == 1 && untagged.out == "Using default tag: latest\n"
                && untagged.err.hasPrefix("Error: manifest for \(reg.host)/pull/bb:latest not found"), "\(untagged.out)\(untagged.err)")
        // Nothing listens there (a port just freed on 127.0.0.1): docker's pull exits 1 too.
        let port = try freePort()
        let down = try run(cnc, ["pull"] + b + ["127.0.0.1:\(port)/x:1"])
        #expect(down.status == 1 && down.out == "" && down.err.hasPrefix("Error: "), "\(down.out)\(down.err)")
    }

    /// A registry on 127.0.0.1 holding busybox as REGISTRY/pull/bb:1 (pushed from the root
    /// TMP/src); TMP/b is left for the test's pulls.
    static func pushedImage() throws -> (TestRegistry, TempDir, String) {
        let reg = try TestRegistry()
        let tmp = try TempDir()
        let source = ["--root", tmp.path + "/src"]
        try BusyboxRootfs.writeTar(to: tmp.path + "/bb.tar")
        let ref = "\(reg.host)/pull/bb:1"
        #expect(try run(RegistryCLITests.cnc, ["import", tmp.path + "/bb.tar", ref] + source).status == 0)
        #expect(try run(RegistryCLITests.cnc, ["push", ref] + source).status == 0)
        return (reg, tmp, ref)
    }
}
