import CNCCore
import CNCSystem

/// Address leases of one network: one file per address, claimed atomically with O_EXCL, whose
/// content names the container. Crash-safe by construction: a claim is either there or not,
/// and a lease whose container has no live attachment is swept (NetworkManager+Sweep).
public struct IPAM: Sendable {
    public let directory: String
    public let subnet: IPv4Subnet
    public let gateway: IPv4Address?

    public init(directory: String, subnet: IPv4Subnet, gateway: IPv4Address?) {
        self.directory = directory
        self.subnet = subnet
        self.gateway = gateway
    }

    /// Current leases: address -> container ID (empty when the file is torn).
    public func leases() throws -> [IPv4Address: String] {
        guard FileSystem.isDirectory(directory) else { return [:] }
        var out: [IPv4Address: String] = [:]
        for name in try FileSystem.listDirectory(directory) {
            guard let a = IPv4Address(name) else { continue }
            out[a] = ((try? FileSystem.readText(directory + "/" + name)) ?? "").trimmingSpaces
        }
        return out
    }

    /// Claims `requested` or else the next free address after the one handed out last
    /// (round-robin, as Docker's IPAM does): an address just released is not given to the next
    /// container at once, so peers whose ARP caches still hold the old container's MAC for it
    /// do not send the new one's traffic into the void (seen: a replaced service unreachable
    /// for two minutes by its peers).
    public func claim(for container: String, requested: IPv4Address? = nil) throws -> IPv4Address {
        try FileSystem.createDirectory(directory, mode: 0o700)
        let content = Array((container + "\n").utf8)
        if let requested {
            guard subnet.isAssignable(requested), requested != gateway else {
                throw CNCError(.invalidArgument, "address \(requested) is not assignable in \(subnet)",
                               context: gateway.map { ["gateway": $0.description] } ?? [:])
            }
            guard try FileSystem.createExclusive(directory + "/\(requested)", content) else {
                let holder = ((try? FileSystem.readText(directory + "/\(requested)")) ?? "").trimmingSpaces
                throw CNCError(.conflict, "address \(requested) is already in use", context: ["container": String(holder.prefix(12))])
            }
            return requested
        }
        let taken = Set(try FileSystem.listDirectory(directory).compactMap(IPv4Address.init))
        let first = subnet.firstHost.value
        let last = subnet.prefixLength >= 31 ? subnet.broadcast.value : subnet.broadcast.value &- 1
        guard last >= first else { throw CNCError(.conflict, "no free address left in \(subnet)") }
        let count = last - first + 1
        var start: UInt32 = 0
        if let hint = (try? FileSystem.readText(nextHintPath)).flatMap({ IPv4Address($0.trimmingSpaces) }),
           hint.value >= first, hint.value <= last {
            start = hint.value - first
        }
        for i in 0..<count {
            let a = IPv4Address(first + (start + i) % count)
            if a == gateway || taken.contains(a) || !subnet.isAssignable(a) { continue }
            if try FileSystem.createExclusive(directory + "/\(a)", content) {
                // Best effort: a lost hint only means starting the search earlier next time, so
                // no fsyncs (they cost ~3 ms of every bridge start here, the default since
                // docker's default network became cnc's).
                let next = IPv4Address(first + (start + i + 1) % count)
                try? FileSystem.writeReplacing(Array(next.description.utf8), to: nextHintPath, mode: 0o600)
                return a
            }
        }
        throw CNCError(.conflict, "no free address left in \(subnet)")
    }

    /// Where the next search starts (not an address file, so leases() ignores it).
    var nextHintPath: String { directory + "/next" }

    public func release(_ address: IPv4Address) throws {
        try FileSystem.remove(directory + "/\(address)")
    }
}
