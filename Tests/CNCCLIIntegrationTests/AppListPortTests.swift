import CNCCore
import CNCSystem
import Foundation
import Glibc
import Testing

/// A TCP socket listening on 127.0.0.1:port for as long as it lives: a host process holding a port.
final class HostListener {
    let fd: Int32
    let port: UInt16

    init() throws {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) } }
        let named = withUnsafeMutablePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        guard s >= 0, bound == 0, listen(s, 4) == 0, named == 0 else {
            if s >= 0 { close(s) }
            throw CNCError(.system, "cannot listen on 127.0.0.1: errno \(errno)")
        }
        fd = s
        port = UInt16(bigEndian: sa.sin_port)
    }

    deinit { close(fd) }
}

/// `cncapply ls`, the port preflight (a taken host port is found before anything of the app
/// starts, with the position of its ports entry) and the one error prefix, on the real runtime.
@Suite(.serialized) struct AppListPortTests {
    static func publishing(_ project: String, port: UInt16, env: String = "1", first: String = "") -> String {
        """
        name: \(project)
        services:
        \(first)  web:
            image: app:stable
            command: ["sleep", "1000"]
            stop_grace_period: 0s
            environment: {V: "\(env)"}
            ports:
              - "127.0.0.1:\(port):80"

        """
    }

    /// Removes every network of the root (the default one too), so no bridge outlives the test.
    static func removeNetworks(_ app: AppRoot) throws {
        let defs = (try? FileManager.default.contentsOfDirectory(atPath: app.root + "/networks/defs")) ?? []
        for d in defs where d.hasSuffix(".json") {
            let r = try CLI.run("cnc", ["network", "rm", "--root", app.root, String(d.dropLast(5))])
            #expect(r.status == 0, "network rm \(d): \(r.stderr)")
        }
    }

    @Test func lsListsRunningAppsAsCompose() throws {
        let app = try AppRoot()
        let file = try app.write(spec("lsapp"))
        #expect(try app.apply(["ls"]).stdout == "NAME  STATUS  REVISION  CONFIG FILES\n")
        #expect(try app.apply(["-f", file]).status == 0)
        let table = try app.apply(["ls"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout == "NAME   STATUS      REVISION  CONFIG FILES\nlsapp  running(3)  1         \(file)\n", "\(table.stdout)")
        #expect(try app.apply(["ls", "-q"]).stdout == "lsapp\n")
        // ps shows the image as the spec writes it, as `docker compose ps` (and `cnc ps`) do.
        let ps = try app.apply(["ps", "-p", "lsapp"]).stdout
        #expect(ps.contains(" app:stable ") && !ps.contains("docker.io/"), "\(ps)")
        #expect(try app.apply(["ls", "--format", "json"]).stdout
            == "[{\"Name\":\"lsapp\",\"Status\":\"running(3)\",\"Revision\":1,\"ConfigFiles\":\"\(file)\"}]\n")
        // A container stopped behind cncapply's back shows in the counts.
        #expect(try CLI.run("cnc", ["stop", "-t", "0", "--root", app.root, "lsapp-web-1"]).status == 0)
        #expect(try app.apply(["ls", "--filter", "name=ls"]).stdout.contains("lsapp  exited(1), running(2)  1"))
        // Down apps are hidden unless -a, as Compose hides projects with nothing running.
        #expect(try app.apply(["down", "-p", "lsapp"]).status == 0)
        #expect(try app.apply(["ls", "-q"]).stdout.isEmpty)
        #expect(try app.apply(["ls", "-a"]).stdout.contains("lsapp  down    1"))
        #expect(try app.apply(["ls", "--filter", "label=x"]).status == 64)
    }

    /// A host process on the port: apply and its dry run refuse before anything exists, at the
    /// ports entry's line and column; nothing of the app (not even its first service) was made.
    @Test func hostProcessOnThePortStopsTheApplyBeforeAnythingStarts() throws {
        let app = try AppRoot()
        defer { try? Self.removeNetworks(app) }
        let listener = try HostListener()
        let first = "  api:\n    image: app:stable\n    command: [\"sleep\", \"1000\"]\n    network_mode: none\n"
        let file = try app.write(Self.publishing("hp", port: listener.port, first: first))
        let expected = "Error: \(file):13:9: services.web.ports[0]: host port 127.0.0.1:\(listener.port) is already in use (by a host process)\n"
        for args in [["--dry-run"], [], ["diff"]] {
            let r = try app.apply((args.first == "diff" ? ["diff", "-f", file] : ["-f", file] + args))
            #expect(r.status == 1, "\(args): \(r.stdout)\(r.stderr)")
            #expect(r.stderr.hasSuffix(expected) && r.stderr.hasPrefix("Error: "), "\(args): \(r.stderr)")
        }
        #expect(try app.containers().isEmpty, "an app service was created")
        #expect(try app.apply(["history", "-p", "hp"]).stdout == "hp: no revisions\n")
        #expect(!(try CLI.run("cnc", ["network", "ls", "--root", app.root]).stdout.contains("hp_default")))
    }

    /// A port a cnc container publishes (DNAT, no socket to find by binding) is found from
    /// cnc's port records and names the container; the app's own ports are not conflicts.
    @Test func containerOnThePortAndTheAppsOwnPorts() throws {
        let app = try AppRoot()
        defer { try? Self.removeNetworks(app) }
        let taken = try PortProbe.ephemeral(udp: false)
        let holder = try CLI.run("cnc", ["run", "-d", "--root", app.root, "--name", "holder", "-p", "127.0.0.1:\(taken):80",
                                         "app:stable", "sleep", "1000"])
        #expect(holder.status == 0, "\(holder.stderr)")
        let file = try app.write(Self.publishing("cp", port: taken))
        let r = try app.apply(["-f", file])
        #expect(r.status == 1)
        #expect(r.stderr.hasSuffix("Error: \(file):9:9: services.web.ports[0]: host port 127.0.0.1:\(taken) is already in use (by container holder)\n"),
                "\(r.stderr)")
        #expect(Set(try app.containers().keys) == ["holder"])
        #expect(try CLI.run("cnc", ["rm", "-f", "--root", app.root, "holder"]).status == 0)

        // The app's own container holds its port: re-applying (a replace) is no conflict.
        #expect(try app.apply(["-f", file]).status == 0)
        let changed = try app.write(Self.publishing("cp", port: taken, env: "2"))
        let again = try app.apply(["-f", changed])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("web: replace"), "\(again.stdout)")
        #expect(try app.apply(["down", "-p", "cp"]).status == 0)
    }

    /// Errors carry one prefix: a failed `cnc pull` under cncapply reads `Error: failed to
    /// pull ...`, with neither cnc's prefix nor a second `Error:` inside.
    @Test func oneErrorPrefixAcrossTools() throws {
        let app = try AppRoot()
        let file = try app.write("name: pull\nservices:\n  web:\n    image: 127.0.0.1:1/nosuch:latest\n    network_mode: none\n")
        let r = try app.apply(["-f", file])
        #expect(r.status != 0)
        #expect(r.stderr.hasPrefix("Error: failed to pull 127.0.0.1:1/nosuch:latest: "), "\(r.stderr)")
        #expect(r.stderr.components(separatedBy: "Error: ").count == 2 && !r.stderr.contains("cnc: "), "\(r.stderr)")
        let missing = try app.apply(["rollback", "-p", "nosuch"])
        #expect(missing.status != 0 && missing.stderr.hasPrefix("Error: ") && !missing.stderr.contains("cncapply: "), "\(missing.stderr)")
    }
}
