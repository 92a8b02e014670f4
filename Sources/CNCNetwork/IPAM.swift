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

    /// Claims `requested` or else the lowest free address for `container`.
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
        var candidate = subnet.firstHost.value
        let last = subnet.broadcast.value
        while candidate < last || (subnet.prefixLength >= 31 && candidate <= last) {
            let a = IPv4Address(candidate)
            candidate &+= 1
            if a == gateway || taken.contains(a) || !subnet.isAssignable(a) { continue }
            if try FileSystem.createExclusive(directory + "/\(a)", content) { return a }
        }
        throw CNCError(.conflict, "no free address left in \(subnet)")
    }

    public func release(_ address: IPv4Address) throws {
        try FileSystem.remove(directory + "/\(address)")
    }
}
