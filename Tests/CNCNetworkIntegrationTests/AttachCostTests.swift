import CNCCore
import CNCNetwork
import CNCNftables
import CNCSystem
import Foundation
import Testing

@Suite struct AttachCostTests {
    /// Prints the cost of attach and detach (the benchmark is bench/network.sh); asserts only
    /// that repeated attach/detach leaves nothing behind.
    @Test(.enabled(if: canUseKernel, "needs root, ip and nft"))
    func repeatedAttachDetachLeavesNothing() throws {
        let root = try TestRoot()
        let ns = try TestNetns()
        defer { ns.cleanup(); root.cleanup() }
        let manager = NetworkManager.inProcess(root: root.path)
        var o = NetworkCreateOptions(name: "cost-" + token())
        o.subnet = try freeSubnet()
        let net = try manager.create(o)
        var attach: [Double] = [], detach: [Double] = []
        for _ in 0..<10 {
            let id = ContainerID.random()
            let t0 = Date()
            _ = try manager.attach(container: id, netns: .path(ns.path), requests: [NetworkAttachmentRequest(network: net.name, ports: [PublishedPort(hostPort: 0, containerPort: 80)])])
            let t1 = Date()
            try manager.detach(container: id)
            attach.append(t1.timeIntervalSince(t0) * 1000)
            detach.append(Date().timeIntervalSince(t1) * 1000)
        }
        print("attach ms:", attach.map { String(format: "%.2f", $0) }.joined(separator: " "))
        print("detach ms:", detach.map { String(format: "%.2f", $0) }.joined(separator: " "))
        #expect(ns.run("ip -br link").output.split(separator: "\n").count == 1) // only lo
        try manager.remove(net.name)
    }
}
