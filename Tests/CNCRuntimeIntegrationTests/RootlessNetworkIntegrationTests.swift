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

    /// `ss -ltnpH` of the host's listeners on `port` (the test runs in the host's namespace).
    static func listeners(_ port: UInt16) -> String {
        let r = try? Spawn.capture("/usr/bin/ss", ["-ltnpH", "sport = :\(port)"], environment: [])
        return r.map { String(decoding: $0.stdout, as: UTF8.self) } ?? "ss failed"
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
        // An address the host does not have cannot be bound: a clear error, nothing left of that container.
        let other = try h.cnc(["run", "--rm", "--name", "other", "--network", "backend", "-p", "10.1.2.3:\(port + 1):80", "busybox", "true"])
        #expect(other.status == 125)
        #expect(other.err.contains("rootless cnc cannot publish port \(port + 1)/tcp on 10.1.2.3"), "\(other.err)")
        #expect(try h.cnc(["ps", "-a", "--format", "{{.Names}}"]).out == "web\n")

        // Removal: the port is free, the namespace, its pasta and the resolver are gone.
        #expect(try h.cnc(["rm", "-f", "web"]).status == 0)
        #expect(Self.eventually { PortProbe.isFree(address: [127, 0, 0, 1], port: port, udp: false) }, "port \(port) still held")
        #expect(Self.eventually { Self.leftovers(h).isEmpty }, "left running: \(Self.leftovers(h))")
        #expect(!FileSystem.exists(h.runtimeDir + "/cnc/netns/rootless"), "the rootless network namespace outlived its last container")
        let rm = try h.cnc(["network", "rm", "backend"])
        #expect(rm.status == 0, "\(rm.err)")
        #expect(Self.leftovers(h).isEmpty, "left running: \(Self.leftovers(h))")
    }

    @Test func cncapplyServicesResolveEachOtherOnTheProjectNetwork() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        try h.openTunForUsers()
        #expect(try h.cnc(["import", "busybox.tar", "busybox"]).status == 0)
        let spec = h.home + "/app.yaml"
        let port = Self.freePort()
        try FileSystem.writeAtomically("""
            name: demo
            services:
              web:
                image: busybox
                command: [httpd, -f, -p, "80", -h, /etc]
                ports: ["\(port):80"]
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
        // The project network's published port: bound on every host address, answering on 127.0.0.1.
        #expect(try Self.passwdFromHost(port: port).hasPrefix("root:x:0:0:"))
        #expect(Self.listeners(port).contains("0.0.0.0:\(port) "), "\(Self.listeners(port))")
        let down = try h.cnc(["down", "-f", spec], tool: "cncapply")
        #expect(down.status == 0, "\(down.err)")
        #expect(try h.cnc(["ps", "-a", "-q"]).out.isEmpty)
        #expect(Self.eventually { Self.leftovers(h).isEmpty }, "left running: \(Self.leftovers(h))")
        #expect(!FileSystem.exists(h.runtimeDir + "/cnc/netns/rootless"))
        #expect(!(try h.cnc(["network", "ls"]).out.contains("demo_")), "down leaves the project network behind")
        #expect(PortProbe.isFree(address: [0, 0, 0, 0], port: port, udp: false), "down leaves port \(port) bound")
    }

    @Test func publishedPortsOnAUserNetworkListenOnEveryHostAddress() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        try h.openTunForUsers()
        #expect(try h.cnc(["import", "busybox.tar", "busybox"]).status == 0)
        #expect(try h.cnc(["network", "create", "backend"]).status == 0)
        let p1 = Self.freePort()
        var p2 = Self.freePort()
        while p2 == p1 { p2 = Self.freePort() }
        // `-p P:80` and `-p 0.0.0.0:P:80` are every address, as podman's; `-p 80` gets a host port chosen.
        let web = try h.cnc(["run", "-d", "--name", "web", "--network", "backend", "-p", "\(p1):80", "-p", "0.0.0.0:\(p2):80", "-p", "80",
                             "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"])
        #expect(web.status == 0, "\(web.err)")
        let shown = try h.cnc(["port", "web"]).out
        let hostPorts = shown.split(separator: "\n").compactMap { line -> UInt16? in
            guard line.hasPrefix("80/tcp -> 0.0.0.0:") else { return nil }
            return UInt16(line.split(separator: ":").last ?? "")
        }
        #expect(hostPorts.count == 3, "\(shown)")
        #expect(hostPorts.contains(p1) && hostPorts.contains(p2), "\(shown)")
        let chosen = hostPorts.first { $0 != p1 && $0 != p2 } ?? 0
        #expect(chosen >= 1024, "\(shown)")
        #expect(try h.cnc(["ps", "--format", "{{.Ports}}"]).out.contains("0.0.0.0:\(chosen)->80/tcp"))
        for p in [p1, p2, chosen] {
            #expect(try Self.passwdFromHost(port: p).hasPrefix("root:x:0:0:"), "port \(p)")
            // Bound on the wildcard in the host's namespace, by the user's forwarder.
            let ss = Self.listeners(p)
            #expect(ss.contains("0.0.0.0:\(p) ") && ss.contains("cnc-net"), "\(ss)")
        }
        // A port taken on the host fails before anything is made.
        let taken = try h.cnc(["run", "-d", "--name", "web2", "--network", "backend", "-p", "\(p1):80", "busybox", "sleep", "60"])
        #expect(taken.status != 0)
        #expect(try h.cnc(["ps", "-q", "-f", "name=web2"]).out.isEmpty)
        _ = try h.cnc(["rm", "-f", "web2"])

        #expect(try h.cnc(["rm", "-f", "web"]).status == 0)
        for p in [p1, p2, chosen] {
            #expect(Self.eventually { PortProbe.isFree(address: [0, 0, 0, 0], port: p, udp: false) }, "port \(p) still held")
        }
        #expect(Self.eventually { Self.leftovers(h).isEmpty }, "left running: \(Self.leftovers(h))")
        #expect(!FileSystem.exists(h.runtimeDir + "/cnc/netns/rootless"))
    }

    @Test func connectDisconnectAndAliasesOnRootlessUserNetworks() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        try h.openTunForUsers()
        #expect(try h.cnc(["import", "busybox.tar", "busybox"]).status == 0)
        #expect(try h.cnc(["network", "create", "front"]).status == 0)
        #expect(try h.cnc(["network", "create", "back"]).status == 0)
        let db = try h.cnc(["run", "-d", "--name", "db", "--network", "back", "--network-alias", "database",
                            "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"])
        #expect(db.status == 0, "\(db.err)")
        let app = try h.cnc(["run", "-d", "--name", "app", "--network", "front", "busybox", "sleep", "300"])
        #expect(app.status == 0, "\(app.err)")
        let dbIP = try h.cnc(["inspect", "-f", "{{.NetworkSettings.Networks.back.IPAddress}}", "db"]).out.trimmingSpaces
        let backPrefix = dbIP.split(separator: ".").prefix(3).joined(separator: ".") + "."
        #expect(dbIP.hasPrefix("10."), "\(dbIP)")
        // Not on db's network: no interface there.
        #expect(!(try h.cnc(["exec", "app", "ip", "-4", "addr"]).out.contains(backPrefix)))
        let connect = try h.cnc(["network", "connect", "--alias", "store", "back", "app"])
        #expect(connect.status == 0, "\(connect.err)")
        #expect(try h.cnc(["exec", "app", "ip", "-4", "addr"]).out.contains(backPrefix))
        // (busybox's wget -T crashes: no timeout flag)
        for host in [dbIP, "database"] {
            let got = try h.cnc(["exec", "app", "sh", "-c", "for i in $(seq 50); do wget -q -O - http://\(host)/passwd && exit 0; sleep 0.1; done; exit 1"])
            #expect(got.out.hasPrefix("root:x:0:0:"), "\(host): \(got.out) \(got.err)")
        }
        // db resolves app by the alias given at connect, and app by its name (cnc-dns in the rootless namespace).
        for name in ["store", "app"] {
            let ping = try h.cnc(["exec", "db", "sh", "-c", "for i in $(seq 50); do ping -c 1 -W 2 \(name) >/dev/null && exit 0; sleep 0.1; done; exit 1"])
            #expect(ping.status == 0, "\(name): \(ping.err)")
        }
        // and app resolves db by its --network-alias on the network they now share.
        let alias = try h.cnc(["exec", "app", "nslookup", "database", dbIP.split(separator: ".").prefix(3).joined(separator: ".") + ".1"])
        #expect(alias.out.contains(dbIP), "\(alias.out) \(alias.err)")
        let disconnect = try h.cnc(["network", "disconnect", "back", "app"])
        #expect(disconnect.status == 0, "\(disconnect.err)")
        #expect(!(try h.cnc(["exec", "app", "ip", "-4", "addr"]).out.contains(backPrefix)))
        #expect(try h.cnc(["exec", "db", "ping", "-c", "1", "-W", "1", "store"]).status != 0)

        #expect(try h.cnc(["rm", "-f", "db", "app"]).status == 0)
        #expect(try h.cnc(["network", "rm", "front", "back"]).status == 0)
        #expect(Self.eventually { Self.leftovers(h).isEmpty }, "left running: \(Self.leftovers(h))")
        #expect(!FileSystem.exists(h.runtimeDir + "/cnc/netns/rootless"))
    }

    @Test func macvlanIpvlanAndCNINetworksAreRefusedRootless() throws {
        let h = try RootlessHarness()
        defer { h.tearDown() }
        try h.openTunForUsers()
        for driver in ["macvlan", "ipvlan"] {
            let r = try h.cnc(["network", "create", "-d", driver, "-o", "parent=lo", "lan"])
            #expect(r.status != 0)
            #expect(r.err.contains("rootless cnc does not support \(driver) networks: rootless networks live in the user's rootless network namespace"),
                    "\(r.err)")
        }
        let conflist = h.home + "/net.conflist"
        try FileSystem.writeAtomically(#"{"cniVersion": "1.0.0", "name": "lan", "plugins": [{"type": "bridge"}]}"#, to: conflist)
        try FileSystem.setOwner(conflist, uid: h.uid, gid: h.gid)
        let cni = try h.cnc(["network", "create", "-d", "cni", "--conflist", conflist, "lan"])
        #expect(cni.status != 0)
        #expect(cni.err.contains("rootless cnc does not support CNI networks"), "\(cni.err)")
        #expect(!(try h.cnc(["network", "ls"]).out.contains("lan")), "a refused network was made")

        // In an app spec: the error points at the driver key; nothing of the app is made.
        #expect(try h.cnc(["import", "busybox.tar", "busybox"]).status == 0)
        let spec = h.home + "/app.yaml"
        try FileSystem.writeAtomically("""
            name: demo
            services:
              web:
                image: busybox
                command: [sleep, "100"]
                networks: [lan]
            networks:
              lan:
                driver: macvlan
                driver_opts: {parent: lo}

            """, to: spec)
        try FileSystem.setOwner(spec, uid: h.uid, gid: h.gid)
        let up = try h.cnc(["-f", spec], tool: "cncapply")
        #expect(up.status != 0)
        #expect(up.err.contains("\(spec):9:13: networks.lan.driver: rootless cnc does not support macvlan networks"), "\(up.err)")
        #expect(try h.cnc(["ps", "-a", "-q"]).out.isEmpty)
        #expect(!(try h.cnc(["network", "ls"]).out.contains("demo_")))
        #expect(!FileSystem.exists(h.runtimeDir + "/cnc/netns/rootless"))
        #expect(Self.leftovers(h).isEmpty, "left running: \(Self.leftovers(h))")
    }
}
