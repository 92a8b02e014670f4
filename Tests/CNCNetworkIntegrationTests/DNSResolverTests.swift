import CNCCore
import CNCDNSCore
import CNCNetwork
import CNCSystem
import Foundation
import Testing

/// cnc-dns through NetworkManager (namespaces made by `ip netns`, queries from the host to the
/// bridge's gateway): records follow attach and detach at once, the server lives exactly as
/// long as the network has containers, and hostile input does not take it down.
@Suite(.serialized) struct DNSResolverTests {
    static var canRun: Bool { canUseKernel && FileSystem.isExecutable(Host.helperDirectory + "/cnc-dns") }

    @Test(.enabled(if: canRun, "needs root, ip, nft and the built cnc-dns"))
    func resolverFollowsAttachDetachCrashAndSweep() throws {
        let root = try TestRoot()
        let a = try TestNetns(), b = try TestNetns()
        let manager = NetworkManager(root: root.path)
        defer {
            for n in [a, b] { n.cleanup() }
            _ = try? manager.sweep()
            for pid in resolversOf(root: root.path) { kill(pid, SIGKILL) }
            root.cleanup()
        }
        Host.setEnvironment("CNC_DNS_UPSTREAM", "none")  // nothing here may be forwarded
        var o = NetworkCreateOptions(name: "dns-" + token())
        o.subnet = try freeSubnet()
        let net = try manager.create(o)
        let gw = try #require(net.gateway).description
        #expect(runningResolver(root: root.path, networkID: net.id) == nil, "no server before the first container")

        let idA = ContainerID.random(), idB = ContainerID.random()
        let ra = try manager.attach(container: idA, netns: .path(a.path), requests: [NetworkAttachmentRequest(network: net.name, aliases: ["svc"])],
                                    options: ContainerNetworkOptions(name: "alpha"))
        let first = try #require(runningResolver(root: root.path, networkID: net.id), "started with the first container")
        #expect(ra.resolvConf.contains("nameserver \(gw)\n") && ra.resolvConf.contains("ndots:0"), "\(ra.resolvConf)")
        let rb = try manager.attach(container: idB, netns: .path(b.path), requests: [NetworkAttachmentRequest(network: net.name, aliases: ["svc"])],
                                    options: ContainerNetworkOptions(name: "beta"))
        #expect(runningResolver(root: root.path, networkID: net.id) == first, "one server per network")
        let ipA = try #require(ra.attachments.first?.address).description, ipB = try #require(rb.attachments.first?.address).description

        #expect(askDNS("svc", server: gw)?.addresses == [ipA, ipB].sorted(), "a shared alias: one A record per container")
        #expect(askDNS("ALPHA", server: gw)?.addresses == [ipA])
        #expect(askDNS("beta.\(net.name)", server: gw)?.addresses == [ipB])
        #expect(askDNS(idA.short, server: gw)?.addresses == [ipA], "the short ID")
        let aaaa = askDNS("alpha", type: DNSType.aaaa, server: gw)
        #expect(aaaa?.rcode == 0 && aaaa?.addresses == [], "NODATA, not NXDOMAIN")
        #expect(askDNS("elsewhere.test", server: gw)?.rcode == 2, "no upstream: SERVFAIL, at once")

        // Hostile input: garbage datagrams, a TCP peer that sends junk and one that never
        // finishes its message; the server answers the next query as before.
        for i in 0..<500 { _ = udpExchange((0..<(i % 60)).map { _ in UInt8.random(in: 0...255) }, server: gw, wait: false) }
        let junk = sh("bash -c 'exec 3<>/dev/tcp/\(gw)/53; printf \"\\377\\377garbage\" >&3; sleep 0.2'")
        #expect(junk.status == 0, "\(junk.output)")
        sh("(bash -c 'exec 3<>/dev/tcp/\(gw)/53; printf \"\\000\\100abc\" >&3; sleep 2') >/dev/null 2>&1 &")
        #expect(askDNS("alpha", server: gw)?.addresses == [ipA])
        #expect(runningResolver(root: root.path, networkID: net.id) == first, "still the same process")

        // A leave is visible to the very next query.
        try manager.detach(container: idB)
        #expect(askDNS("svc", server: gw)?.addresses == [ipA])
        #expect(askDNS("beta", server: gw)?.rcode == 2)

        // Gone with the last container.
        try manager.detach(container: idA)
        #expect(runningResolver(root: root.path, networkID: net.id) == nil)
        #expect(resolversOf(root: root.path).isEmpty)

        // A crashed server comes back with the next attach.
        _ = try manager.attach(container: idA, netns: .path(a.path), requests: [NetworkAttachmentRequest(network: net.name)],
                               options: ContainerNetworkOptions(name: "alpha"))
        let second = try #require(runningResolver(root: root.path, networkID: net.id))
        kill(second, SIGKILL)
        _ = try? Spawn.wait(second)
        let rb2 = try manager.attach(container: idB, netns: .path(b.path), requests: [NetworkAttachmentRequest(network: net.name)],
                                     options: ContainerNetworkOptions(name: "beta"))
        let third = try #require(runningResolver(root: root.path, networkID: net.id), "restarted")
        #expect(third != second)
        #expect(askDNS("beta", server: gw)?.addresses == [try #require(rb2.attachments.first?.address).description])

        // Containers that die without a detach: the sweep stops the server, and the network goes.
        a.cleanup(); b.cleanup()
        try manager.sweep()
        #expect(runningResolver(root: root.path, networkID: net.id) == nil)
        try manager.remove(net.name)
        #expect(resolversOf(root: root.path).isEmpty)
    }
}

extension DNSResolverTests {
    /// Names cnc-dns does not own go to the upstream in the client's protocol: over TCP for a
    /// TCP client (the whole answer), over UDP for a UDP one, where an answer longer than the
    /// client takes comes back cut, with TC set, so the client retries over TCP. The upstream is
    /// a stub on 127.0.0.0/8 (UDP and TCP) whose UDP answers ignore the 512-byte limit.
    @Test(.enabled(if: canRun, "needs root, ip, nft and the built cnc-dns"))
    func forwardsOverTCPAndTruncatesLongUDPAnswers() throws {
        let root = try TestRoot()
        let ns = try TestNetns()
        let manager = NetworkManager(root: root.path)
        let upstream = try StubDNSServer(address: "127.0.0.\(Int.random(in: 100...180))", answer: "198.51.100.1", answers: 100)
        defer {
            ns.cleanup()
            _ = try? manager.sweep()
            for pid in resolversOf(root: root.path) { kill(pid, SIGKILL) }
            upstream.stop()
            root.cleanup()
            Host.setEnvironment("CNC_DNS_UPSTREAM", "none")
        }
        Host.setEnvironment("CNC_DNS_UPSTREAM", upstream.upstream)
        var o = NetworkCreateOptions(name: "fwd-" + token())
        o.subnet = try freeSubnet()
        let net = try manager.create(o)
        let gw = try #require(net.gateway).description
        let id = ContainerID.random()
        _ = try manager.attach(container: id, netns: .path(ns.path), requests: [NetworkAttachmentRequest(network: net.name)],
                               options: ContainerNetworkOptions(name: "asker"))
        func counts(_ r: [UInt8]) -> (tc: Bool, questions: Int, answers: Int) {
            (r[2] & 0x02 != 0, Int(r[4]) << 8 | Int(r[5]), Int(r[6]) << 8 | Int(r[7]))
        }
        // UDP: 100 A records (~1.6 KB) do not fit a 512-byte client: header, TC, the question.
        let query = dnsQuery("big.test")
        let udp = try #require(udpExchange(query, server: gw))
        #expect(udp.count <= 512 && udp.count == query.count, "\(udp.count) bytes")
        #expect(counts(udp) == (true, 1, 0) && udp[0] == 0x4a && udp[1] == 0x11 && udp[12...] == query[12...])
        #expect(upstream.names == ["big.test"] && upstream.tcpNames.isEmpty)
        // TCP: forwarded over TCP, the whole answer.
        let tcp = try #require(tcpExchange(query, server: gw))
        #expect(counts(tcp) == (false, 1, 100), "\(tcp.count) bytes")
        #expect(upstream.tcpNames == ["big.test"])
        // Names it owns are answered over TCP as well, never forwarded.
        let own = try #require(tcpExchange(dnsQuery("asker"), server: gw))
        #expect(counts(own) == (false, 1, 1))
        #expect(!upstream.names.contains("asker"))
        try manager.detach(container: id)
        try manager.remove(net.name)
    }
}

/// `cnc run` with busybox's nslookup against cnc-dns, forwarding to a stub upstream the test runs.
@Suite(.serialized) struct RunDNSTests {
    /// A temp root with a busybox rootfs in it (for `--rootfs`).
    static func busyboxRoot() throws -> (TestRoot, String) {
        let root = try TestRoot()
        let rootfs = root.path + "/rootfs"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/make-busybox-rootfs.sh").path
        #expect(sh("bash \(script) \(rootfs)").status == 0)
        return (root, rootfs)
    }

    /// `cnc rename` renames in name resolution at once, as docker does in its DNS: the new name
    /// resolves, the old one not; hosts files list no peers (Docker's), so they do not change.
    @Test(.enabled(if: RunNetworkingTests.canRun && DNSResolverTests.canRun, "needs root and the built cnc, cnc-init, cnc-monitor, cnc-dns"))
    func renameUpdatesNameResolution() throws {
        let (root, rootfs) = try Self.busyboxRoot()
        let cnc = "CNC_LIBEXEC=\(RunNetworkingTests.binDir) CNC_DNS_UPSTREAM=none \(RunNetworkingTests.binDir)/cnc --root \(root.path)"
        func run(_ args: String) -> (status: Int32, output: String) { sh("\(cnc) \(args)") }
        defer {
            _ = run("rm -f $(\(cnc) ps -aq)")
            _ = run("network rm rennet cnc")
            root.cleanup()
        }
        let subnet = try freeSubnet()
        let prefix = subnet.firstHost.description.split(separator: ".").prefix(3).joined(separator: ".")
        #expect(run("network create --subnet \(subnet) rennet").status == 0)
        #expect(run("run -d --name web --network rennet --network-alias websvc --ip \(prefix).10 --rootfs \(rootfs) busybox sleep 600").status == 0)
        #expect(run("run -d --name peer --network rennet --ip \(prefix).11 --rootfs \(rootfs) busybox sleep 600").status == 0)
        #expect(run("exec peer nslookup web").output.contains("Address: \(prefix).10"))

        let renamed = run("rename web front")
        #expect(renamed.status == 0, "\(renamed.output)")
        let front = run("exec peer nslookup front")
        #expect(front.status == 0 && front.output.contains("Name:\tfront\nAddress: \(prefix).10\n"), "\(front.output)")
        let old = run("exec peer nslookup web")
        #expect(old.status != 0 && !old.output.contains("\(prefix).10"), "the old name is gone: \(old.output)")
        #expect(run("exec peer nslookup websvc").output.contains("Address: \(prefix).10"), "aliases stay")
        // The hosts files, as Docker's: no peers (names are DNS's), its own hostname only.
        func hostNames(_ container: String, _ address: String) -> [String] {
            let hosts = run("exec \(container) cat /etc/hosts").output
            return hosts.split(separator: "\n").filter { $0.hasPrefix(address + "\t") || $0.hasPrefix(address + " ") }
                .flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().map(String.init) }
        }
        #expect(hostNames("peer", "\(prefix).10").isEmpty)
        let hostname = run("exec front hostname").output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hostNames("front", "\(prefix).10") == [hostname])
        let record = try String(contentsOfFile: root.path + "/networks/dns/records", encoding: .utf8)
        let words = record.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        #expect(words.contains("front") && !words.contains("web"), "\(record)")
    }

    @Test(.enabled(if: RunNetworkingTests.canRun && DNSResolverTests.canRun, "needs root and the built cnc, cnc-init, cnc-monitor, cnc-dns"))
    func containersResolveEachOtherAndForwardToTheUpstream() throws {
        let (root, rootfs) = try Self.busyboxRoot()
        // Every query that leaves cnc-dns goes to stubs on 127.0.0.0/8: the network's upstream
        // (CNC_DNS_UPSTREAM) and a silent server given with --dns.
        let upstream = try StubDNSServer(address: "127.0.0.\(Int.random(in: 100...180))", answer: "198.51.100.7")
        let silent = try StubDNSServer(address: "127.0.0.\(Int.random(in: 181...250))", port: 53, answer: nil)
        let cnc = "CNC_LIBEXEC=\(RunNetworkingTests.binDir) CNC_DNS_UPSTREAM=\(upstream.upstream) \(RunNetworkingTests.binDir)/cnc --root \(root.path)"
        func run(_ args: String) -> (status: Int32, output: String) { sh("\(cnc) \(args)") }
        defer {
            _ = run("rm -f $(\(cnc) ps -aq)")
            _ = run("network rm appnet cnc")
            upstream.stop(); silent.stop()
            root.cleanup()
        }
        let subnet = try freeSubnet()
        let gw = subnet.firstHost.description
        let prefix = gw.split(separator: ".").prefix(3).joined(separator: ".")
        #expect(run("network create --subnet \(subnet) appnet").status == 0)
        for (name, host) in [("web", 10), ("web2", 11)] {
            let r = run("run -d --name \(name) --network appnet --network-alias websvc --ip \(prefix).\(host) --rootfs \(rootfs) busybox sleep 600")
            #expect(r.status == 0, "\(r.output)")
        }
        func lookup(_ args: String, extra: String = "") -> (status: Int32, output: String) {
            run("run --rm --network appnet \(extra) --rootfs \(rootfs) busybox nslookup \(args)")
        }
        let resolv = run("run --rm --network appnet --rootfs \(rootfs) busybox cat /etc/resolv.conf").output
        #expect(resolv.contains("nameserver \(gw)\n") && resolv.contains("ndots:0") && !resolv.contains("10.255."), "\(resolv)")

        let web = lookup("web")
        #expect(web.status == 0 && web.output.contains("Name:\tweb\nAddress: \(prefix).10\n"), "\(web.output)")
        let alias = lookup("websvc \(gw)")
        #expect(alias.output.contains("Address: \(prefix).10\n") && alias.output.contains("Address: \(prefix).11\n"), "\(alias.output)")
        let aaaa = lookup("-type=aaaa web")
        #expect(aaaa.status == 0 && !aaaa.output.contains("can't find"), "NODATA: \(aaaa.output)")

        // Forwarded: the stub's answer, and the stub saw the query (no other server was asked).
        let out = lookup("example.test")
        #expect(out.output.contains("Address: 198.51.100.7"), "\(out.output)")
        #expect(upstream.names.contains("example.test"))
        #expect(!upstream.names.contains("web") && !upstream.names.contains("websvc"), "local names are never forwarded")
        // --dns: that container's queries go to its own server (silent here: SERVFAIL, no hang).
        let t0 = Date()
        let failed = lookup("other.test", extra: "--dns \(silent.address)")
        #expect(failed.output.contains("SERVFAIL"), "\(failed.output)")
        #expect(Date().timeIntervalSince(t0) < 30)
        #expect(silent.names.contains("other.test") && !upstream.names.contains("other.test"))

        // A leave and a replacement (same name, new address) are visible at once.
        #expect(run("rm -f web2").status == 0)
        let after = lookup("websvc")
        #expect(after.output.contains("\(prefix).10") && !after.output.contains("\(prefix).11"), "\(after.output)")
        #expect(run("rm -f web").status == 0)
        #expect(run("run -d --name web --network appnet --ip \(prefix).12 --rootfs \(rootfs) busybox sleep 600").status == 0)
        let replaced = lookup("web")
        #expect(replaced.output.contains("Address: \(prefix).12") && !replaced.output.contains("\(prefix).10"), "\(replaced.output)")
        // Programs resolving through libc (busybox wget: static glibc, no NSS) find peers too.
        let ping = run("run --rm --network appnet --rootfs \(rootfs) busybox ping -c 1 -W 2 web")
        #expect(ping.output.contains("\(prefix).12"), "\(ping.output)")

        // Gone with the last container; the default network never gets one.
        let netID = try NetworkManager(root: root.path).network("appnet").id
        #expect(runningResolver(root: root.path, networkID: netID) != nil)
        #expect(run("rm -f web").status == 0)
        #expect(runningResolver(root: root.path, networkID: netID) == nil)
        #expect(resolversOf(root: root.path).isEmpty)
        let plain = run("run --rm --network bridge --rootfs \(rootfs) busybox cat /etc/resolv.conf").output
        #expect(!plain.contains("ndots:0") && !plain.contains("nameserver 10.88."), "\(plain)")
        #expect(resolversOf(root: root.path).isEmpty, "no DNS server for the default network")
        #expect(run("network rm appnet").status == 0)
    }
}
