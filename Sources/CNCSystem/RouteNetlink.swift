import CNCCore
import Glibc

/// A network interface as rtnetlink reports it.
public struct LinkInfo: Sendable, Equatable {
    public var index: Int32
    public var name: String
    /// IFLA_INFO_KIND: "bridge", "veth", "macvlan"..., nil for physical/loopback.
    public var kind: String?
    public var masterIndex: Int32?
    public var isUp: Bool
}

/// An IPv4 route as rtnetlink reports it (main table and others).
public struct RouteInfo: Sendable, Equatable {
    /// Destination address as 4 bytes (all zero for the default route).
    public var destination: [UInt8]
    public var prefixLength: Int
    public var gateway: [UInt8]?
    public var outputIndex: Int32?
    public var table: UInt32
}

/// rtnetlink operations: links (bridge, veth, up, master, hairpin, delete), addresses and routes,
/// over one NETLINK_ROUTE socket. Each call is one request and one ack.
public struct RouteNetlink: Sendable {
    public let socket: NetlinkSocket

    public init(socket: NetlinkSocket) { self.socket = socket }

    // Message types and flags (linux/rtnetlink.h, linux/netlink.h).
    static let newLink: UInt16 = 16, delLink: UInt16 = 17, getLink: UInt16 = 18, setLink: UInt16 = 19
    static let newAddr: UInt16 = 20, newRoute: UInt16 = 24, getRoute: UInt16 = 26
    static let create: UInt16 = 0x400, excl: UInt16 = 0x200
    static let iffUp: UInt32 = 1

    static func ifinfomsg(family: UInt8 = 0, index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) -> [UInt8] {
        [family, 0, 0, 0] + NetlinkMessage.le32(UInt32(bitPattern: index))
            + NetlinkMessage.le32(flags) + NetlinkMessage.le32(change)
    }

    /// Creates a bridge `name` with a fixed MAC (so it does not change as ports come and go), up.
    public func createBridge(name: String, mac: [UInt8]) throws {
        var m = NetlinkMessage(type: Self.newLink, flags: Self.create | Self.excl,
                               header: Self.ifinfomsg(flags: Self.iffUp, change: Self.iffUp))
        m.attribute(3, string: name) // IFLA_IFNAME
        m.attribute(1, mac) // IFLA_ADDRESS
        m.beginNest(18) // IFLA_LINKINFO
        m.attribute(1, string: "bridge") // IFLA_INFO_KIND
        m.endNest()
        try socket.request(m, what: "create bridge \(name)")
    }

    /// Creates a veth pair: `hostName` here (enslaved to `masterIndex`, up) and `peerName` created
    /// directly in the namespace `peerNetnsFD`.
    public func createVethPair(hostName: String, peerName: String, peerNetnsFD: Int32, masterIndex: Int32?, mtu: UInt32? = nil) throws {
        var m = NetlinkMessage(type: Self.newLink, flags: Self.create | Self.excl,
                               header: Self.ifinfomsg(flags: Self.iffUp, change: Self.iffUp))
        m.attribute(3, string: hostName)
        if let mtu { m.attribute(4, u32: mtu) }
        if let masterIndex { m.attribute(10, u32: UInt32(bitPattern: masterIndex)) } // IFLA_MASTER
        m.beginNest(18)
        m.attribute(1, string: "veth")
        m.beginNest(2) // IFLA_INFO_DATA
        m.beginNest(1) // VETH_INFO_PEER: an ifinfomsg then the peer's attributes
        m.raw(Self.ifinfomsg())
        m.attribute(3, string: peerName)
        if let mtu { m.attribute(4, u32: mtu) }
        m.attribute(28, u32: UInt32(bitPattern: peerNetnsFD)) // IFLA_NET_NS_FD
        m.endNest()
        m.endNest()
        m.endNest()
        try socket.request(m, what: "create veth \(hostName)")
    }

    /// Creates a link of `kind` (macvlan, ipvlan, dummy...) with optional parent.
    public func createLink(name: String, kind: String, parentIndex: Int32? = nil) throws {
        var m = NetlinkMessage(type: Self.newLink, flags: Self.create | Self.excl, header: Self.ifinfomsg())
        m.attribute(3, string: name)
        if let parentIndex { m.attribute(5, u32: UInt32(bitPattern: parentIndex)) } // IFLA_LINK
        m.beginNest(18)
        m.attribute(1, string: kind)
        m.endNest()
        try socket.request(m, what: "create \(kind) \(name)")
    }

    public func setUp(index: Int32, name: String) throws {
        let m = NetlinkMessage(type: Self.setLink, flags: 0,
                               header: Self.ifinfomsg(index: index, flags: Self.iffUp, change: Self.iffUp))
        try socket.request(m, what: "set \(name) up")
    }

    /// Turns on hairpin mode on a bridge port, so traffic may leave through the port it came in on.
    public func setHairpin(index: Int32, name: String, on: Bool = true) throws {
        var m = NetlinkMessage(type: Self.setLink, flags: 0, header: Self.ifinfomsg(family: UInt8(AF_BRIDGE), index: index))
        m.beginNest(12 | 0x8000) // IFLA_PROTINFO | NLA_F_NESTED
        m.attribute(4, u8: on ? 1 : 0) // IFLA_BRPORT_MODE
        m.endNest()
        try socket.request(m, what: "set hairpin on \(name)")
    }

    /// Deletes a link by name; a missing link is not an error (returns false).
    @discardableResult
    public func deleteLink(name: String) throws -> Bool {
        var m = NetlinkMessage(type: Self.delLink, flags: 0, header: Self.ifinfomsg())
        m.attribute(3, string: name)
        do {
            try socket.request(m, what: "delete link \(name)")
            return true
        } catch let e as CNCError where e.errnoCode == ENODEV {
            return false
        }
    }

    /// The link called `name`, or nil.
    public func link(named name: String) throws -> LinkInfo? {
        var m = NetlinkMessage(type: Self.getLink, flags: 0, header: Self.ifinfomsg())
        m.attribute(3, string: name)
        m.attribute(29, u32: 1) // IFLA_EXT_MASK: RTEXT_FILTER_VF, keeps replies small
        do {
            let replies = try socket.request(m, what: "get link \(name)")
            return replies.compactMap(Self.parseLink).first
        } catch let e as CNCError where e.errnoCode == ENODEV {
            return nil
        }
    }

    /// Every link in this namespace.
    public func links() throws -> [LinkInfo] {
        let m = NetlinkMessage(type: Self.getLink, flags: 0, header: Self.ifinfomsg())
        return try socket.dump(m, what: "list links").compactMap(Self.parseLink)
    }

    static func parseLink(_ r: NetlinkReply) -> LinkInfo? {
        guard r.type == newLink, r.payload.count >= 16 else { return nil }
        let index = Int32(bitPattern: Netlink.u32(r.payload[...], 4))
        let flags = Netlink.u32(r.payload[...], 8)
        let attrs = r.attributes(after: 16)
        guard let name = attrs[3].map(Netlink.string) else { return nil }
        var kind: String?
        if let info = attrs[18] { kind = Netlink.parseAttributes(info, from: 0)[1].map(Netlink.string) }
        let master = attrs[10].flatMap { $0.count >= 4 ? Int32(bitPattern: Netlink.u32($0[...], 0)) : nil }
        return LinkInfo(index: index, name: name, kind: kind, masterIndex: master, isUp: flags & iffUp != 0)
    }

    /// Adds an IPv4 address `address`/`prefixLength` to the link `index`.
    public func addAddress(index: Int32, address: [UInt8], prefixLength: Int, name: String) throws {
        guard address.count == 4 else { throw CNCError(.invalidArgument, "IPv4 address must have 4 bytes, got \(address.count)") }
        let header: [UInt8] = [UInt8(AF_INET), UInt8(prefixLength), 0, 0] + NetlinkMessage.le32(UInt32(bitPattern: index))
        var m = NetlinkMessage(type: Self.newAddr, flags: Self.create | Self.excl, header: header)
        m.attribute(2, address) // IFA_LOCAL
        m.attribute(1, address) // IFA_ADDRESS
        if prefixLength < 31 {
            var bcast = address
            let host = prefixLength >= 32 ? 0 : UInt32.max >> UInt32(prefixLength)
            for i in 0..<4 { bcast[i] |= UInt8((host >> UInt32(24 - 8 * i)) & 0xff) }
            m.attribute(4, bcast) // IFA_BROADCAST
        }
        try socket.request(m, what: "add address \(address.map(String.init).joined(separator: "."))/\(prefixLength) to \(name)")
    }

    /// Adds a route to `destination`/`prefixLength` via `gateway` (or on-link through `outputIndex`).
    public func addRoute(destination: [UInt8], prefixLength: Int, gateway: [UInt8]?, outputIndex: Int32?) throws {
        let scope: UInt8 = gateway == nil ? 253 /* RT_SCOPE_LINK */ : 0
        let header: [UInt8] = [UInt8(AF_INET), UInt8(prefixLength), 0, 0, 254 /* main */, 3 /* RTPROT_BOOT */, scope, 1 /* unicast */]
            + NetlinkMessage.le32(0)
        var m = NetlinkMessage(type: Self.newRoute, flags: Self.create | Self.excl, header: header)
        if prefixLength > 0 { m.attribute(1, destination) } // RTA_DST
        if let gateway { m.attribute(5, gateway) } // RTA_GATEWAY
        if let outputIndex { m.attribute(4, u32: UInt32(bitPattern: outputIndex)) } // RTA_OIF
        try socket.request(m, what: "add route \(destination.map(String.init).joined(separator: "."))/\(prefixLength)")
    }

    /// Every IPv4 route of every table.
    public func routes() throws -> [RouteInfo] {
        let header: [UInt8] = [UInt8(AF_INET)] + [UInt8](repeating: 0, count: 11)
        let m = NetlinkMessage(type: Self.getRoute, flags: 0, header: header)
        return try socket.dump(m, what: "list routes").compactMap { r in
            guard r.type == 24, r.payload.count >= 12 else { return nil }
            let attrs = r.attributes(after: 12)
            var table = UInt32(r.payload[4])
            if let t = attrs[15], t.count >= 4 { table = Netlink.u32(t[...], 0) }
            let oif = attrs[4].flatMap { $0.count >= 4 ? Int32(bitPattern: Netlink.u32($0[...], 0)) : nil }
            return RouteInfo(destination: attrs[1] ?? [0, 0, 0, 0], prefixLength: Int(r.payload[1]),
                             gateway: attrs[5], outputIndex: oif, table: table)
        }
    }
}
