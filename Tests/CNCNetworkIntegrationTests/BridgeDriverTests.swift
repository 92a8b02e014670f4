import CNCCore
import CNCNetwork
import CNCNftables
import CNCSystem
import Foundation
import Testing

@Suite(.serialized) struct BridgeDriverTests {
    @Test(.enabled(if: canUseKernel, "needs root, ip and nft"))
    func twoContainersReachEachOtherAndPublishedPortAnswersOnLocalhost() async throws {
        let root = try TestRoot()
        let web = try TestNetns(), client = try TestNetns()
        let www = "/tmp/cnc-www-" + token()
        let manager = NetworkManager.inProcess(root: root.path)
        var netName = ""
        defer {
            sh("kill $(cat \(www)/pid) 2>/dev/null")
            web.cleanup(); client.cleanup()
            sh("rm -rf \(www)")
            root.cleanup()
        }
        var o = NetworkCreateOptions(name: "app-" + token())
        o.subnet = try freeSubnet()
        let net = try manager.create(o)
        netName = net.name
        let bridge = try #require(net.bridge)
        #expect(sh("ip -br link show \(bridge)").output.contains("UP"))

        let port = try PortProbe.ephemeral(udp: false)
        let webID = ContainerID.random(), clientID = ContainerID.random()
        let webResult = try manager.attach(
            container: webID, netns: .path(web.path),
            requests: [NetworkAttachmentRequest(network: netName, aliases: ["web"], ports: [PublishedPort(hostIP: IPv4Address("127.0.0.1"), hostPort: port, containerPort: 8080)])],
            options: ContainerNetworkOptions(name: "app-web-1", hostname: "web1"))
        let clientResult = try manager.attach(
            container: clientID, netns: .path(client.path), requests: [NetworkAttachmentRequest(network: netName)],
            options: ContainerNetworkOptions(name: "app-client-1"))
        let webIP = try #require(webResult.attachments.first?.address)
        #expect(net.subnet?.contains(webIP) == true)
        #expect(webResult.attachments.first?.interface == "eth0")
        // Docker's hosts files: the container's own hostname, no peers (they resolve by DNS).
        let webHosts = try FileSystem.readText(webResult.hostsPath)
        #expect(webHosts.hasSuffix("\(webIP)\tweb1\n") && !webHosts.contains("app-client-1"), "\(webHosts)")
        #expect(!(try FileSystem.readText(clientResult.hostsPath)).contains("\(webIP)"))

        sh("mkdir -p \(www) && echo hello-from-web > \(www)/index.html")
        let started = web.run("busybox httpd -f -p 8080 -h \(www) >/dev/null 2>&1 & echo $! > \(www)/pid")
        #expect(started.status == 0, "\(started.output)")
        // From the other container, over the bridge (names: DNSResolverTests).
        let got = client.run("curl -s -m 5 http://\(webIP):8080/")
        #expect(got.output.contains("hello-from-web"), "\(got.output)")
        // From the host on 127.0.0.1 through the published port.
        let curl = sh("curl -s -m 5 http://127.0.0.1:\(port)/")
        #expect(curl.output.contains("hello-from-web"), "\(curl.output)")
        // The default route goes through the gateway (the network is not internal).
        #expect(client.run("ip route").output.contains("default via \(net.gateway?.description ?? "?")"))

        try manager.detach(container: webID)
        try manager.detach(container: clientID)
        try manager.remove(netName)
        // Nothing left: bridge, veths, nft table, leases, records.
        #expect(sh("ip link show \(bridge)").status != 0)
        #expect(!sh("ip -br link").output.contains("veth" + String(webID.rawValue.prefix(10))))
        #expect(sh("nft list table ip \(manager.firewall.name)").status != 0)
        #expect((try? FileSystem.listDirectory(root.path + "/networks/leases")) ?? [] == [])
        #expect((try? FileSystem.listDirectory(root.path + "/networks/containers")) ?? [] == [])
    }

    @Test(.enabled(if: canUseKernel, "needs root, ip and nft"))
    func internalNetworkHasNoEgressRoute() async throws {
        let root = try TestRoot()
        let ns = try TestNetns()
        defer { ns.cleanup(); root.cleanup() }
        let manager = NetworkManager.inProcess(root: root.path)
        var o = NetworkCreateOptions(name: "int-" + token())
        o.subnet = try freeSubnet()
        o.internal = true
        let net = try manager.create(o)
        let id = ContainerID.random()
        let r = try manager.attach(container: id, netns: .path(ns.path), requests: [NetworkAttachmentRequest(network: net.name)])
        #expect(r.attachments.first?.gateway == nil)
        let routes = ns.run("ip route").output
        #expect(!routes.contains("default"), "\(routes)")
        #expect(routes.contains(net.subnet?.description ?? "?"))
        // The firewall drops forwarding out of an internal bridge.
        let rules = sh("nft list chain ip \(manager.firewall.name) forward").output
        #expect(rules.contains("iifname \"\(net.bridge ?? "?")\" drop"), "\(rules)")
        try manager.detach(container: id)
        try manager.remove(net.name)
    }

    @Test(.enabled(if: canUseKernel, "needs root, ip and nft"))
    func portConflictIsDetectedBeforeAnythingIsCreated() async throws {
        let root = try TestRoot()
        let a = try TestNetns(), b = try TestNetns()
        defer { a.cleanup(); b.cleanup(); root.cleanup() }
        let manager = NetworkManager.inProcess(root: root.path)
        var o = NetworkCreateOptions(name: "p-" + token())
        o.subnet = try freeSubnet()
        let net = try manager.create(o)
        let port = try PortProbe.ephemeral(udp: false)
        let p = [PublishedPort(hostPort: port, containerPort: 80)]
        let first = ContainerID.random(), second = ContainerID.random()
        _ = try manager.attach(container: first, netns: .path(a.path), requests: [NetworkAttachmentRequest(network: net.name, ports: p)])
        #expect {
            _ = try manager.attach(container: second, netns: .path(b.path), requests: [NetworkAttachmentRequest(network: net.name, ports: p)])
        } throws: { e in
            (e as? CNCError)?.code == .conflict && "\(e)".contains("already allocated")
        }
        // The failed attach left nothing: no veth, no record, one lease only.
        #expect(!sh("ip -br link").output.contains("veth" + String(second.rawValue.prefix(10))))
        #expect(try FileSystem.listDirectory(root.path + "/networks/containers") == [first.rawValue])
        try manager.detach(container: first)
        try manager.remove(net.name)
    }

    @Test(.enabled(if: canUseKernel, "needs root, ip and nft"))
    func sweepRemovesWhatADeadContainerLeft() async throws {
        let root = try TestRoot()
        let ns = try TestNetns()
        defer { ns.cleanup(); root.cleanup() }
        let manager = NetworkManager.inProcess(root: root.path)
        var o = NetworkCreateOptions(name: "s-" + token())
        o.subnet = try freeSubnet()
        let net = try manager.create(o)
        let id = ContainerID.random()
        let port = try PortProbe.ephemeral(udp: false)
        let r = try manager.attach(container: id, netns: .path(ns.path),
                                         requests: [NetworkAttachmentRequest(network: net.name, ports: [PublishedPort(hostPort: port, containerPort: 80)])])
        #expect(sh("nft list map ip \(manager.firewall.name) pub_tcp_any").output.contains("\(port)"))
        // The container dies without a detach (as after kill -9 of cnc): its namespace goes.
        ns.cleanup()
        let report = try manager.sweep()
        #expect(report.containers == [id.short])
        #expect(!sh("nft list map ip \(manager.firewall.name) pub_tcp_any").output.contains("\(port)"))
        #expect(!sh("ip -br link").output.contains(r.attachments.first?.hostInterface ?? "?"))
        #expect(((try? FileSystem.listDirectory(root.path + "/networks/leases/" + String(net.id.prefix(16)))) ?? []).filter { IPv4Address($0) != nil } == [])
        // A second sweep finds nothing.
        #expect(try manager.sweep().isEmpty)
        try manager.remove(net.name)
    }
}

@Suite(.serialized) struct BridgeDriverRecoveryTests {
    /// A container that died without a detach (kill -9 of cnc, a crashed runtime) does not block
    /// the next start asking for its address and port: the attach releases it first.
    @Test(.enabled(if: canUseKernel, "needs root, ip and nft"))
    func deadContainersAddressAndPortAreReusable() throws {
        let root = try TestRoot()
        let first = try TestNetns(), second = try TestNetns()
        defer { first.cleanup(); second.cleanup(); root.cleanup() }
        let manager = NetworkManager.inProcess(root: root.path)
        var o = NetworkCreateOptions(name: "r-" + token())
        let subnet = try freeSubnet()
        o.subnet = subnet
        let net = try manager.create(o)
        let ip = IPv4Address(subnet.network.value + 9)
        let port = try PortProbe.ephemeral(udp: false)
        let req = NetworkAttachmentRequest(network: net.name, ip: ip, ports: [PublishedPort(hostIP: IPv4Address("127.0.0.1"), hostPort: port, containerPort: 80)])
        let dead = ContainerID.random(), next = ContainerID.random()
        _ = try manager.attach(container: dead, netns: .path(first.path), requests: [req])
        first.cleanup()
        let r = try manager.attach(container: next, netns: .path(second.path), requests: [req])
        #expect(r.attachments.first?.address == ip)
        #expect(try FileSystem.listDirectory(root.path + "/networks/containers") == [next.rawValue])
        // connect / disconnect cycles on a live container.
        var o2 = NetworkCreateOptions(name: "r2-" + token())
        o2.subnet = try freeSubnet()
        let net2 = try manager.create(o2)
        let c = try manager.connect(container: next, request: NetworkAttachmentRequest(network: net2.name, aliases: ["side"]))
        #expect(c.attachments.map(\.interface) == ["eth0", "eth1"])
        #expect(second.run("ip -o -4 addr show eth1").output.contains(net2.subnet?.network.description.dropLast(1) ?? "?"))
        try manager.disconnect(container: next, network: net2.name)
        #expect(!second.run("ip -o link").output.contains("eth1"))
        #expect(manager.attachments(of: next).count == 1)
        try manager.detach(container: next)
        try manager.remove(net.name)
        try manager.remove(net2.name)
    }
}

@Suite struct UDPPublishingTests {
    /// `-p 127.0.0.1:PORT:5353/udp`: a datagram to the host port reaches the container and the
    /// reply comes back (python3 plays server and client; busybox nc has no UDP).
    @Test(.enabled(if: canUseKernel && FileSystem.isExecutable("/usr/bin/python3"), "needs root, ip, nft and python3"))
    func udpPortAnswersOnLocalhost() throws {
        let root = try TestRoot()
        let ns = try TestNetns()
        let pidFile = root.path + "/udp.pid"
        defer { sh("kill $(cat \(pidFile)) 2>/dev/null"); ns.cleanup(); root.cleanup() }
        let manager = NetworkManager.inProcess(root: root.path)
        var o = NetworkCreateOptions(name: "u-" + token())
        o.subnet = try freeSubnet()
        let net = try manager.create(o)
        let port = try PortProbe.ephemeral(udp: true)
        let id = ContainerID.random()
        _ = try manager.attach(container: id, netns: .path(ns.path), requests: [NetworkAttachmentRequest(
            network: net.name, ports: [PublishedPort(hostIP: IPv4Address("127.0.0.1"), hostPort: port, containerPort: 5353, proto: .udp)])])
        let server = "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',5353))\nwhile True:\n d,a=s.recvfrom(100)\n s.sendto(b'echo:'+d,a)\n"
        try FileSystem.writeAtomically(server, to: root.path + "/server.py")
        #expect(ns.run("python3 \(root.path)/server.py >/dev/null 2>&1 & echo $! > \(pidFile)").status == 0)
        let client = """
        import socket,time
        s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(0.5)
        for i in range(20):
            s.sendto(b'hi',('127.0.0.1',\(port)))
            try:
                print(s.recvfrom(100)[0].decode()); break
            except socket.timeout:
                time.sleep(0.1)
        """
        try FileSystem.writeAtomically(client, to: root.path + "/client.py")
        let got = sh("python3 \(root.path)/client.py")
        #expect(got.output.contains("echo:hi"), "\(got.output)")
        try manager.detach(container: id)
        try manager.remove(net.name)
    }
}
