import Foundation
import Glibc
import Testing

/// `cncapply export --to swarm --push` deployed on a real Docker Swarm (scripts/e2e/swarm-export.sh:
/// a private dockerd in a network namespace it makes, a registry on that namespace's 127.0.0.1,
/// `docker stack deploy`, a web server checked on its published port and a client that reaches
/// it by service name; everything removed at the end). About 30 s here.
@Suite struct SwarmExportTests {
    static var canRun: Bool {
        getuid() == 0 && ["/usr/sbin/dockerd", "/usr/bin/docker", "/usr/bin/docker-registry", "/usr/bin/nsenter"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/scripts/e2e/swarm-export.sh"

    @Test(.enabled(if: canRun, "needs root, Debian's docker.io (dockerd, docker) and docker-registry"))
    func exportedStackRunsOnARealSwarm() throws {
        let r = try CLI.exec("/bin/bash", [Self.script, CLI.binDir])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("swarm-export: web answers on its published port; the client reached web by service name"))
        #expect(r.stdout.contains("swarm-export: ok"))
        // Everything it started is gone: no namespace, dockerd or registry of its own left.
        let netns = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        #expect(!netns.contains { $0.hasPrefix("cnc-swarm-") }, "\(netns)")
        let left = try CLI.exec("/usr/bin/pgrep", ["-f", "/tmp/cnc-swarm\\."])
        #expect(left.stdout.isEmpty, "left running: \(left.stdout)")
    }
}
