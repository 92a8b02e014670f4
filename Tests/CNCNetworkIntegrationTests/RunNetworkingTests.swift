import CNCCore
import CNCNetwork
import CNCNftables
import CNCSystem
import Foundation
import Testing

/// `cnc run` through the real runtime with bridge networking (the built binaries).
@Suite(.serialized) struct RunNetworkingTests {
    static let binDir: String = {
        var dir = FileSystem.directoryName(FileSystem.readLink("/proc/self/exe") ?? "")
        while dir.count > 1, !FileSystem.isExecutable(dir + "/cnc") { dir = FileSystem.directoryName(dir) }
        return dir
    }()
    static var canRun: Bool { canUseKernel && FileSystem.isExecutable(binDir + "/cnc-init") && FileSystem.isExecutable(binDir + "/cnc-monitor") }

    /// A busybox rootfs (scripts/make-busybox-rootfs.sh) under `root`.
    static func busyboxRootfs(in root: TestRoot) -> String {
        let rootfs = root.path + "/rootfs"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/make-busybox-rootfs.sh").path
        #expect(sh("bash \(script) \(rootfs)").status == 0)
        return rootfs
    }

    @Test(.enabled(if: canRun, "needs root and the built cnc, cnc-init, cnc-monitor"))
    // (No `wget -T`: Debian's busybox-static crashes with it.)
    func servicesResolveEachOtherPublishHairpinAndCleanUp() throws {
        let root = try TestRoot()
        let rootfs = Self.busyboxRootfs(in: root)
        #expect(sh("mkdir -p \(rootfs)/www && echo hello-net > \(rootfs)/www/index.html").status == 0)
        let cnc = "CNC_LIBEXEC=\(Self.binDir) \(Self.binDir)/cnc --root \(root.path)"
        func run(_ args: String) -> (status: Int32, output: String) { sh("\(cnc) \(args)") }
        defer {
            _ = run("rm -f web")  // best-effort cleanup
            _ = run("network prune -f")
            root.cleanup()
        }
        let subnet = try freeSubnet()
        let gateway = subnet.firstHost
        #expect(run("network create --subnet \(subnet) appnet").status == 0)
        let local = try PortProbe.ephemeral(udp: false), any = try PortProbe.ephemeral(udp: false)
        let web = run("run -d --name web --network appnet --network-alias websvc -p 127.0.0.1:\(local):80 -p \(any):80 --rootfs \(rootfs) busybox httpd -f -p 80 -h /www")
        #expect(web.status == 0, "\(web.output)")
        // Give httpd a moment to listen.
        var up = false
        for _ in 0..<100 where !up {
            up = sh("curl -s -m 1 http://127.0.0.1:\(local)/").output.contains("hello-net")
            if !up { usleep(20_000) }
        }
        #expect(up, "published port on 127.0.0.1 answers")
        // By alias and by container name from another container on the network.
        for name in ["websvc", "web"] {
            let got = run("run --rm --network appnet --rootfs \(rootfs) busybox wget -q -O - http://\(name)/")
            #expect(got.output.contains("hello-net"), "\(name): \(got.output)")
        }
        // Hairpin: through a host address (the gateway) to the published port, from another
        // container and from the publishing container itself.
        let other = run("run --rm --network appnet --rootfs \(rootfs) busybox wget -q -O - http://\(gateway):\(any)/")
        #expect(other.output.contains("hello-net"), "\(other.output)")
        let own = run("exec web wget -q -O - http://\(gateway):\(any)/")
        #expect(own.output.contains("hello-net"), "\(own.output)")
        // A second container asking for the same host port fails before it starts.
        let clash = run("run --rm --network appnet -p 127.0.0.1:\(local):80 --rootfs \(rootfs) busybox true")
        #expect(clash.status != 0 && clash.output.contains("already allocated"), "\(clash.output)")

        // Internal networks have no route out; --network none has only lo.
        #expect(run("network create --internal --subnet \(try freeSubnet()) quiet").status == 0)
        let routes = run("run --rm --network quiet --rootfs \(rootfs) busybox ip route").output
        #expect(!routes.contains("default") && routes.contains("dev eth0"), "\(routes)")
        #expect(run("run --rm --network none --rootfs \(rootfs) busybox ip -o link").output.split(separator: "\n").count == 1)

        // After removal of every container and network nothing is left.
        let veth = run("network inspect appnet").output.range(of: #"veth[0-9a-z]+"#, options: .regularExpression).map { String(run("network inspect appnet").output[$0]) } ?? "vethnone"
        #expect(run("rm -f web").status == 0)
        #expect(run("network rm appnet quiet").status == 0)
        #expect(!sh("ip -br link").output.contains(veth))
        #expect(sh("nft list table ip \(FirewallTable.forRoot(root.path, isDefault: false).name)").status != 0)
        #expect(((try? FileSystem.listDirectory(root.path + "/networks/leases")) ?? []).isEmpty)
        #expect(((try? FileSystem.listDirectory(root.path + "/networks/containers")) ?? []).isEmpty)
        #expect(((try? FileSystem.listDirectory(root.path + "/networks/defs")) ?? []).isEmpty)
    }

    /// Docker's default: a run without --network joins the default bridge. The static `cnc`
    /// front attaches it itself; the one firewall change (the new network's rules) goes through
    /// the `cnc-net nft` helper, whose errors read as libnftables' in-process ones.
    @Test(.enabled(if: canRun, "needs root and the built cnc, cnc-net, cnc-init, cnc-monitor"))
    func defaultBridgeFromTheStaticFrontAndItsNftHelper() throws {
        let root = try TestRoot()
        let rootfs = Self.busyboxRootfs(in: root)
        let cnc = "\(Self.binDir)/cnc --root \(root.path)"
        let table = FirewallTable.forRoot(root.path, isDefault: false).name
        defer {
            _ = sh("\(cnc) network rm cnc")
            root.cleanup()
        }
        for _ in 0..<2 {  // the first run makes the default network, the second finds it
            let r = sh("\(cnc) run --rm --rootfs \(rootfs) busybox ip -o -4 addr show eth0")
            #expect(r.status == 0 && r.output.contains("inet 10."), "\(r.output)")
        }
        #expect(sh("nft list table ip \(table)").status == 0, "the default network's rules")
        let none = sh("\(cnc) run --rm --network none --rootfs \(rootfs) busybox ls /sys/class/net")
        #expect(none.output == "lo\n", "\(none.output)")

        let missing = "list table ip cnc_absent_\(ContainerID.random().short)"
        func cause(_ runner: any NftablesRunner) -> String? {
            do { try runner.run(missing, what: "list"); return nil } catch let e as CNCError { return e.cause } catch { return "\(error)" }
        }
        let viaHelper = cause(NftablesHelper(path: Self.binDir + "/cnc-net"))
        let inProcess = cause(try Nftables())
        #expect(viaHelper != nil && viaHelper == inProcess, "\(viaHelper ?? "no error") vs \(inProcess ?? "no error")")
        #expect(try NftablesHelper(path: Self.binDir + "/cnc-net").listJSON("list table ip \(table)", what: "list")["nftables"] != nil)

        #expect(sh("\(cnc) network rm cnc").status == 0)
        #expect(sh("nft list table ip \(table)").status != 0, "table \(table) left behind")
    }
}
