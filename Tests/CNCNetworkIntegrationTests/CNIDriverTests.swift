import CNCCore
import CNCNetwork
import CNCNftables
import CNCSystem
import Foundation
import Testing

let hasCNI = canUseKernel && FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/macvlan")

/// Whether this kernel can make a link of `kind` on a bridge parent (this host has no ipvlan).
func kernelSupports(_ kind: String) -> Bool {
    let br = "cncp" + token(8), child = "cncq" + token(8)
    defer { sh("ip link del \(child); ip link del \(br)") }
    return sh("ip link add \(br) type bridge && ip link add link \(br) name \(child) type \(kind)").status == 0
}
let hasIPVLAN = hasCNI && kernelSupports("ipvlan")

@Suite(.serialized) struct CNIDriverTests {
    /// macvlan through the CNI driver: two namespaces on a parent made for the test reach each
    /// other; DEL frees the host-local leases. The parent is an empty bridge, not a dummy: this
    /// kernel has no dummy driver, and a bridge with no ports is just as isolated.
    @Test(.enabled(if: hasCNI, "needs root and containernetworking-plugins"))
    func macvlanOnATestParent() throws { try underlay(.macvlan) }

    @Test(.enabled(if: hasIPVLAN, "needs root, containernetworking-plugins and the kernel's ipvlan driver"))
    func ipvlanOnATestParent() throws { try underlay(.ipvlan) }

    func underlay(_ driver: NetworkDriver) throws {
        let root = try TestRoot()
        let a = try TestNetns(), b = try TestNetns()
        let parent = "cncd" + token(8)
        defer { a.cleanup(); b.cleanup(); sh("ip link del \(parent)"); root.cleanup() }
        #expect(sh("ip link add \(parent) type bridge && ip link set \(parent) up").status == 0)
        let manager = NetworkManager.inProcess(root: root.path)
        var o = NetworkCreateOptions(name: "mv-" + token())
        o.driver = driver
        o.parent = parent
        o.subnet = try freeSubnet()
        let net = try manager.create(o)
        let idA = ContainerID.random(), idB = ContainerID.random()
        let ra = try manager.attach(container: idA, netns: .path(a.path), requests: [NetworkAttachmentRequest(network: net.name)])
        let rb = try manager.attach(container: idB, netns: .path(b.path), requests: [NetworkAttachmentRequest(network: net.name)],
                                    options: ContainerNetworkOptions(name: "bee"))
        let ipB = try #require(rb.attachments.first?.address)
        #expect(net.subnet?.contains(ipB) == true)
        #expect(a.run("ip -d link show eth0").output.contains(driver.rawValue))
        let ping = a.run("busybox ping -c 1 -W 3 \(ipB)")
        #expect(ping.status == 0, "\(ping.output)")
        #expect(try FileSystem.readText(ra.hostsPath).contains("\(ipB)\tbee"))
        try manager.cniCheck(network: net.name, container: idB)
        try manager.detach(container: idA)
        try manager.detach(container: idB)
        // host-local keeps one file per lease: DEL (given the cached result) removed them.
        let leases = (try? FileSystem.listDirectory(root.path + "/networks/cni/ipam/" + net.name)) ?? []
        #expect(leases.filter { IPv4Address($0) != nil }.isEmpty, "\(leases)")
        #expect((try? FileSystem.listDirectory(root.path + "/networks/cni/results")) ?? [] == [])
        try manager.remove(net.name)
    }

    /// A user conflist (`driver: cni`): the CNI bridge plugin with host-local IPAM.
    @Test(.enabled(if: hasCNI, "needs root and containernetworking-plugins"))
    func bridgeConflist() throws {
        let root = try TestRoot()
        let a = try TestNetns(), b = try TestNetns()
        let bridge = "cncb" + token(8)
        defer { a.cleanup(); b.cleanup(); sh("ip link del \(bridge)"); root.cleanup() }
        let subnet = try freeSubnet()
        let name = "cb-" + token()
        let text = """
        {"cniVersion": "1.0.0", "name": "\(name)", "plugins": [
          {"type": "bridge", "bridge": "\(bridge)", "isGateway": true, "ipMasq": false,
           "ipam": {"type": "host-local", "ranges": [[{"subnet": "\(subnet)"}]], "dataDir": "\(root.path)/ipam"}}]}
        """
        let manager = NetworkManager.inProcess(root: root.path)
        var o = NetworkCreateOptions(name: name)
        o.driver = .cni
        o.conflist = try CNIConflist.parse(Array(text.utf8), path: "test")
        let net = try manager.create(o)
        let idA = ContainerID.random(), idB = ContainerID.random()
        _ = try manager.attach(container: idA, netns: .path(a.path), requests: [NetworkAttachmentRequest(network: net.name)])
        let rb = try manager.attach(container: idB, netns: .path(b.path), requests: [NetworkAttachmentRequest(network: net.name)])
        let ipB = try #require(rb.attachments.first?.address)
        #expect(subnet.contains(ipB))
        #expect(a.run("busybox ping -c 1 -W 3 \(ipB)").status == 0)
        try manager.cniCheck(network: net.name, container: idA)
        try manager.detach(container: idA)
        try manager.detach(container: idB)
        #expect(!sh("ip -br link").output.contains("veth") || !sh("ip -br link show master \(bridge)").output.contains("veth"))
        #expect(((try? FileSystem.listDirectory(root.path + "/ipam/" + name)) ?? []).filter { IPv4Address($0) != nil }.isEmpty)
        try manager.remove(net.name)
    }
}
