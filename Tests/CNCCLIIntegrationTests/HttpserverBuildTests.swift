import CNCTestSupport
import Foundation
import Glibc
import Testing

/// examples/httpserver built from its Dockerfile the way `make demo` builds it: the lint finds
/// nothing, the build stage compiles with Debian's gcc from the toolchain image, and the final
/// image is the static binary alone, running as a non-root user.
///
/// The toolchain image comes from scripts/make-toolchain-image.sh --from-installed (the files of
/// this host's gcc, libc6-dev and dash packages, offline, ~10-20 s): `make demo`'s mmdebstrap
/// bootstrap reaches Debian's mirror, which a test may not, and would cost ~2.5 min once.
@Suite(.serialized) struct HttpserverBuildTests {
    static var top: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    static var hasToolchainPackages: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/gcc") && FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/libc.a")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/apt-cache")
    }

    @Test(.enabled(if: BusyboxRoot.canRun && hasToolchainPackages, "needs root, the built binaries, and gcc + libc6-dev installed"))
    func dockerfileFollowsTheLintAndBuildsAStaticScratchImage() throws {
        let r = try BusyboxRoot()
        let example = Self.top + "/examples/httpserver"
        let check = try r.cnc(["build", "--check", example])
        #expect(check.status == 0 && check.stdout.isEmpty, "\(check.stdout)")

        let toolchain = try CLI.exec("/bin/bash", [Self.top + "/scripts/make-toolchain-image.sh", "--from-installed", "--root", r.root],
                                     env: ["CNC": CLI.binDir + "/cnc"])
        #expect(toolchain.status == 0 && toolchain.stdout == "cnc-toolchain:bookworm\n", "\(toolchain.stderr)")
        // A root that has it already: nothing to do.
        let again = try CLI.exec("/bin/bash", [Self.top + "/scripts/make-toolchain-image.sh", "--from-installed", "--root", r.root],
                                 env: ["CNC": CLI.binDir + "/cnc"])
        #expect(again.status == 0 && again.stdout == "cnc-toolchain:bookworm\n", "\(again.stderr)")

        let build = try r.cnc(["build", "--build-arg", "VERSION=v7", "-t", "httpserver:v7", example])
        #expect(build.status == 0, "\(build.stderr)")
        #expect(build.stderr.contains("RUN gcc -static -O2 -Wall -o /httpserver server.c"), "\(build.stderr)")
        #expect(!build.stderr.contains("WARNING"), "no lint finding is printed: \(build.stderr)")
        let config = try BuildCLITests.image(r, "inspect", ["--format", "{{json .Config}}", "httpserver:v7"]).stdout
        #expect(config.contains("\"Entrypoint\":[\"/httpserver\"]") && config.contains("\"User\":\"65534:65534\"")
                && config.contains("VERSION=v7") && config.contains("8080/tcp"), "\(config)")
        // One layer: the binary. No shell, no compiler.
        let layers = try BuildCLITests.image(r, "inspect", ["--format", "{{len .RootFS.Layers}}", "httpserver:v7"]).stdout
        #expect(layers == "1\n", "\(layers)")
        #expect(try r.cnc(["run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", "httpserver:v7", "-c", "true"]).status != 0)

        // It serves: its own health check (`httpserver -check`) answers from inside the container.
        let run = try r.cnc(["run", "-d", "--network", "none", "--name", "web", "httpserver:v7"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try r.eventually { try r.cnc(["exec", "web", "/httpserver", "-check"]).status == 0 })
        #expect(try r.cnc(["exec", "web", "/httpserver", "-check"]).status == 0)
        // A rebuild with nothing changed is all cache.
        let cached = try r.cnc(["build", "--build-arg", "VERSION=v7", "-t", "httpserver:v7", example])
        #expect(cached.stderr.contains("CACHED") && !cached.stderr.contains("#4 DONE"), "\(cached.stderr)")
        try BuildCLITests.expectCleanOfBuilds(r)
    }
}
