import CNCCore
import CNCNetwork
import CNCSystem
import Foundation
import Testing

/// Runs `/bin/sh -c command`; returns the exit status and combined output.
@discardableResult
func sh(_ command: String) -> (status: Int32, output: String) {
    // Output goes through a file, not a pipe: a daemon the command starts (httpd) may inherit
    // the descriptor, and a pipe would then never reach EOF.
    let log = "/tmp/cnc-nettest-out-" + token(12)
    defer { try? FileSystem.remove(log) }
    // Spawn, not Foundation.Process: Process detects the end of its child through a socket the
    // child inherits, which a daemon started by the command would hold open forever.
    let argv = ["/usr/bin/timeout", "60", "/bin/sh", "-c", "exec >\(log) 2>&1 </dev/null; " + command]
    // CNC_DNS_UPSTREAM=none: a network's DNS server forwards nothing unless the command says
    // where (a stub of the test's own); no test may query the host's resolvers.
    guard let pid = try? Spawn.spawn(argv[0], arguments: argv, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "CNC_DNS_UPSTREAM=none"]),
          let end = try? Spawn.wait(pid) else { return (127, "spawn failed") }
    return (end.shellStatus, (try? FileSystem.readText(log)) ?? "")
}

/// A unique short token for names of things tests create.
func token(_ n: Int = 6) -> String {
    String((0..<n).map { _ in "0123456789abcdef".randomElement() ?? "0" })
}

/// A random 10.x.y.0/24 that overlaps no route on this host.
func freeSubnet() throws -> IPv4Subnet {
    let routes = sh("ip -4 route show table all").output
    for _ in 0..<200 {
        let s = IPv4Subnet(network: IPv4Address(UInt32(10 << 24) | UInt32.random(in: 100...250) << 16 | UInt32.random(in: 0...255) << 8), prefixLength: 24)
        let prefix = s.network.description.split(separator: ".").prefix(3).joined(separator: ".") + "."
        if !routes.contains(prefix) { return s }
    }
    throw CNCError(.conflict, "no free test subnet")
}

/// A private state root under /tmp, removed with everything in it.
final class TestRoot {
    let path: String
    init() throws {
        path = "/tmp/cnc-nettest-" + token(10)
        try FileSystem.createDirectory(path, mode: 0o700)
    }
    /// Removes the root and, should a test have failed halfway, the kernel objects its
    /// networks made: bridges named in the definitions and the root's nftables table.
    func cleanup() {
        for file in (try? FileSystem.listDirectory(path + "/networks/defs")) ?? [] {
            let text = (try? FileSystem.readText(path + "/networks/defs/" + file)) ?? ""
            if let r = text.range(of: #""bridge" *: *"([a-z0-9-]+)""#, options: .regularExpression) {
                let name = text[r].split(separator: "\"").dropFirst(2).first.map(String.init) ?? ""
                if name.hasPrefix("cnc-") { sh("ip link del \(name)") }
            }
        }
        sh("nft delete table ip \(FirewallTable.forRoot(path, isDefault: false).name)")
        try? FileSystem.removeTree(path)
    }
}

/// A named network namespace (`ip netns add`), deleted by `cleanup()`.
final class TestNetns {
    let name: String
    var path: String { "/run/netns/" + name }
    init() throws {
        name = "cnct-" + token(8)
        let r = sh("ip netns add \(name)")
        guard r.status == 0 else { throw CNCError(.system, "ip netns add failed: \(r.output)") }
    }
    /// Runs a command inside the namespace, with `hosts` bind-mounted over /etc/hosts.
    func run(_ command: String, hosts: String? = nil) -> (status: Int32, output: String) {
        let mount = hosts.map { "mount --bind \($0) /etc/hosts && " } ?? ""
        let quoted = (mount + command).replacingOccurrences(of: "'", with: "'\\''")
        return sh("ip netns exec \(name) unshare --mount sh -c '\(quoted)'")
    }
    func cleanup() { sh("ip netns del \(name)") }
}

/// Real-kernel tests need root and the tools they verify with.
let canUseKernel: Bool = Host.effectiveUserID == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
    && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft")
