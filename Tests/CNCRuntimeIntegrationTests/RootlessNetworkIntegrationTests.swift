import CNCCore
import CNCSystem
import Foundation
import Testing

/// Rootless user networks on the real kernel, as a throwaway user (RootlessHarness): cnc's
/// bridge driver inside the user's rootless network namespace, pasta outside. Part of the
/// serialized "Rootless cnc" suite: two throwaway users' first commands run side by side
/// once left the test process waiting on its runuser pipes (not understood yet).
extension RootlessIntegrationTests {
    /// A free TCP port on 127.0.0.1.
    static func freePort() -> UInt16 {
        var port: UInt16 = 19_000 + UInt16.random(in: 0..<1000)
        while !PortProbe.isFree(address: [127, 0, 0, 1], port: port, udp: false) { port += 1 }
        return port
    }

    /// `body` retried (every 50 ms, up to `tries`) until it returns true.
    static func eventually(_ tries: Int = 100, _ body: () throws -> Bool) rethrows -> Bool {
        for _ in 0..<tries {
            if try body() { return true }
            usleep(50_000)
        }
        return false
    }

    /// The host's curl of http://127.0.0.1:PORT/passwd, retried (every 50 ms, up to `tries`)
    /// until the container's busybox httpd serves its /etc/passwd ("root:..."); the last body otherwise.
    static func passwdFromHost(port: UInt16, tries: Int = 100) throws -> String {
        var body = ""
        _ = try eventually(tries) {
            body = String(decoding: try Spawn.capture("/usr/bin/curl", ["-s", "-m", "2", "http://127.0.0.1:\(port)/passwd"], environment: []).stdout,
                          as: UTF8.self)
            return body.hasPrefix("root:")
        }
        return body
    }

    /// What the user runs besides the pause process (pasta, cnc-dns, monitors...); zombies
    /// (waiting for the host's init to reap them) are not running.
    static func leftovers(_ h: RootlessHarness) -> [String] {
        h.runningProcesses().filter { $0 != h.pausePID }.map { p in "\(p) " + ((try? FileSystem.readText("/proc/\(p)/cmdline")) ?? "")
            .split(separator: "\0").joined(separator: " ") }
    }

    @Test func containersOnAUserNetworkReachEachOtherByNameAndPublishOnTheHostsLoopback() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        try h.openTunForUsers()
        #expect(try h.cnc(["import", "busybox.tar", "busybox"]).status == 0)
        let created = try h.cnc(["network", "create", "backend"])
        #expect(created.status == 0, "\(created.err)")
        let port = Self.freePort()
        let web = try h.cnc(["run", "-d", "--name", "web", "--network", "backend", "-p", "127.0.0.1:\(port):80",
                             "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"])
        #expect(web.status == 0, "\(web.err)")
        // Another container on the network: by name (cnc-dns in the rootless namespace) and by address.
        let ip = try h.cnc(["inspect", "-f", "{{.NetworkSettings.Networks.backend.IPAddress}}", "web"]).out.trimmingSpaces
        #expect(ip.hasPrefix("10."), "\(ip)")
        let client = try h.cnc(["run", "--rm", "--network", "backend", "busybox", "sh", "-c",
                                "ping -c 1 -W 5 web >/dev/null && echo ping-ok; for i in $(seq 50); do wget -q -O - http://web/passwd && break; sleep 0.1; done; "
                                + "wget -q -O - http://\(ip)/group | head -c 5"])
        #expect(client.status == 0, "\(client.err)")
        #expect(client.out.hasPrefix("ping-ok\nroot:x:0:0:"), "\(client.out)")
        #expect(client.out.hasSuffix("root:"), "\(client.out)")
        // The published port answers on the host's 127.0.0.1.
        let body = try Self.passwdFromHost(port: port)
        #expect(body.hasPrefix("root:x:0:0:"), "the container's httpd answers on the host's 127.0.0.1:\(port)")
        #expect(FileSystem.exists(h.runtimeDir + "/cnc/netns/pasta.pid"))

        // Removal: the port is free, the namespace, its pasta and the resolver are gone.
        #expect(try h.cnc(["rm", "-f", "web"]).status == 0)
        #expect(Self.eventually { PortProbe.isFree(address: [127, 0, 0, 1], port: port, udp: false) }, "port \(port) still held")
        #expect(Self.eventually { Self.leftovers(h).isEmpty }, "left running: \(Self.leftovers(h))")
        #expect(!FileSystem.exists(h.runtimeDir + "/cnc/netns/rootless"), "the rootless network namespace outlived its last container")
        let rm = try h.cnc(["network", "rm", "backend"])
        #expect(rm.status == 0, "\(rm.err)")
        #expect(Self.leftovers(h).isEmpty, "left running: \(Self.leftovers(h))")
        // A user network's ports answer on the host's loopback only: other addresses are refused.
        let other = try h.cnc(["run", "--rm", "--network", "backend", "-p", "10.1.2.3:\(port):80", "busybox", "true"])
        #expect(other.status == 125)
    }

    @Test func cncapplyServicesResolveEachOtherOnTheProjectNetwork() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        try h.openTunForUsers()
        #expect(try h.cnc(["import", "busybox.tar", "busybox"]).status == 0)
        let spec = h.home + "/app.yaml"
        try FileSystem.writeAtomically("""
            name: demo
            services:
              web:
                image: busybox
                command: [httpd, -f, -p, "80", -h, /etc]
              client:
                image: busybox
                command: [sh, -c, "for i in $$(seq 100); do wget -q -O - http://web/passwd && break; sleep 0.1; done; exec sleep 1000"]

            """, to: spec)
        try FileSystem.setOwner(spec, uid: h.uid, gid: h.gid)
        let up = try h.cnc(["-f", spec], tool: "cncapply")
        #expect(up.status == 0, "\(up.err)")
        var logs = ""
        #expect(try Self.eventually(200) {
            logs = try h.cnc(["logs", "demo-client-1"]).out
            return logs.contains("root:x:0:0:")
        }, "client did not reach web by its service name: \(logs)")
        let down = try h.cnc(["down", "-f", spec], tool: "cncapply")
        #expect(down.status == 0, "\(down.err)")
        #expect(try h.cnc(["ps", "-a", "-q"]).out.isEmpty)
        #expect(Self.eventually { Self.leftovers(h).isEmpty }, "left running: \(Self.leftovers(h))")
        #expect(!FileSystem.exists(h.runtimeDir + "/cnc/netns/rootless"))
        #expect(!(try h.cnc(["network", "ls"]).out.contains("demo_")), "down leaves the project network behind")
    }
}
