import CNCCore
import CNCSystem
import Foundation

/// Runs CNI plugins per the CNI spec: the network configuration on stdin, CNI_* variables in
/// the environment, the result (or an error object) on stdout.
public struct CNIPluginRunner: Sendable {
    public var searchPath: [String]

    public init(searchPath: [String]) { self.searchPath = searchPath }

    public func locate(_ type: String) throws -> String {
        guard !type.contains("/") else { throw CNCError(.invalidArgument, "invalid CNI plugin type \"\(type)\"") }
        for dir in searchPath where FileSystem.isExecutable(dir + "/" + type) { return dir + "/" + type }
        throw CNCError(.notFound, "CNI plugin \(type) not found in \(searchPath.joined(separator: ":"))")
    }

    /// Executes `type` with `command` (ADD, CHECK, DEL) and returns its parsed stdout (null when empty).
    public func exec(_ type: String, command: String, config: JSONValue, containerID: String, netns: String,
                     interface: String, args: String = "") throws -> JSONValue {
        let path = try locate(type)
        let env = [
            "CNI_COMMAND=\(command)", "CNI_CONTAINERID=\(containerID)", "CNI_NETNS=\(netns)",
            "CNI_IFNAME=\(interface)", "CNI_PATH=\(searchPath.joined(separator: ":"))",
            "CNI_ARGS=\(args)", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        ]
        let stdin = try CNCSystem.Pipe(), stdout = try CNCSystem.Pipe(), stderr = try CNCSystem.Pipe()
        var opts = Spawn.Options()
        opts.fdMap = [stdin.read.raw, stdout.write.raw, stderr.write.raw]
        // A failed spawn closes every end as the pipes go.
        let pid = try Spawn.spawn(path, arguments: [path], environment: env, options: opts)
        stdin.read.close(); stdout.write.close(); stderr.write.close()
        let input = try CanonicalJSON.encode(config)
        try? FileSystem.writeAll(stdin.write.raw, input, path: "stdin of \(type)")
        stdin.write.close()
        let out = FD.readAll(stdout.read.raw)
        let err = FD.readAll(stderr.read.raw)
        stdout.read.close(); stderr.read.close()
        let status = try Spawn.wait(pid)
        let parsed: JSONValue = out.isEmpty ? .null : ((try? JSONDecoder().decode(JSONValue.self, from: Data(out))) ?? .string(String(decoding: out, as: UTF8.self)))
        guard status == .exited(0) else {
            var msg = "exit \(status.shellStatus)"
            if case .string(let m)? = parsed["msg"] { msg = m }
            if case .string(let d)? = parsed["details"], !d.isEmpty { msg += ": " + d }
            let stderrText = String(decoding: err, as: UTF8.self).trimmingSpaces
            if !stderrText.isEmpty { msg += " (" + String(stderrText.prefix(300)) + ")" }
            throw CNCError(.network, "CNI plugin \(type) \(command) failed", cause: msg)
        }
        return parsed
    }
}

/// The address a CNI result gives the container: the first IPv4 of `ips`.
struct CNIAddress {
    var address: IPv4Address
    var prefixLength: Int
    var gateway: IPv4Address?

    init?(result: JSONValue) {
        guard case .array(let ips)? = result["ips"] else { return nil }
        for ip in ips {
            guard case .string(let cidr)? = ip["address"] else { continue }
            let parts = cidr.split(separator: "/")
            guard parts.count == 2, let a = IPv4Address(String(parts[0])), let p = Int(parts[1]) else { continue }
            address = a
            prefixLength = p
            if case .string(let g)? = ip["gateway"] { gateway = IPv4Address(g) } else { gateway = nil }
            return
        }
        return nil
    }
}

extension NetworkManager {
    /// The conflist cnc runs for a CNI-backed network.
    func conflist(for net: NetworkConfig) throws -> JSONValue {
        switch net.driver {
        case .cni:
            guard let list = net.conflist else { throw CNCError(.invalidSpec, "network \(net.name) has no conflist") }
            return list
        case .macvlan, .ipvlan:
            guard let subnet = net.subnet, let parent = net.parent else {
                throw CNCError(.invalidSpec, "network \(net.name) needs a subnet and a parent")
            }
            var range: [String: JSONValue] = ["subnet": .string(subnet.description)]
            if let gw = net.gateway { range["gateway"] = .string(gw.description) }
            var ipam: [String: JSONValue] = [
                "type": .string("host-local"), "ranges": .array([.array([.object(range)])]),
                "dataDir": .string(paths.cniIPAM),
            ]
            if !net.internal { ipam["routes"] = .array([.object(["dst": .string("0.0.0.0/0")])]) }
            let plugin: [String: JSONValue] = [
                "type": .string(net.driver.rawValue), "master": .string(parent),
                "mode": .string(net.driver == .macvlan ? "bridge" : "l2"), "ipam": .object(ipam),
            ]
            return .object(["cniVersion": .string("1.0.0"), "name": .string(net.name), "plugins": .array([.object(plugin)])])
        case .bridge:
            throw CNCError(.internal, "network \(net.name) uses the native bridge driver, not CNI")
        }
    }

    func writeConflist(_ net: NetworkConfig) throws {
        try FileSystem.createDirectory(paths.cni, mode: 0o700)
        try FileSystem.writeAtomically(try CanonicalJSON.encode(try conflist(for: net), pretty: true), to: paths.conflist(net.name), mode: 0o600)
    }

    func cachePath(_ net: NetworkConfig, _ container: ContainerID, _ interface: String) -> String {
        paths.cniResults + "/\(net.name)-\(container.rawValue)-\(interface).json"
    }

    /// The per-plugin configuration: the plugin's own keys plus the list's name and version,
    /// the previous result, and runtimeConfig for the capabilities it declares.
    func pluginConfig(_ plugin: JSONValue, list: JSONValue, prevResult: JSONValue?, ports: [PublishedPort]) -> JSONValue {
        guard case .object(var o) = plugin else { return plugin }
        o["name"] = list["name"] ?? .string("cnc")
        o["cniVersion"] = list["cniVersion"] ?? .string("1.0.0")
        if let prevResult, prevResult != .null { o["prevResult"] = prevResult }
        if case .object(let caps)? = plugin["capabilities"], caps["portMappings"] == .bool(true), !ports.isEmpty {
            o["runtimeConfig"] = .object(["portMappings": .array(ports.map { p in
                var m: [String: JSONValue] = ["hostPort": .int(Int64(p.hostPort)), "containerPort": .int(Int64(p.containerPort)),
                                              "protocol": .string(p.proto.rawValue)]
                if let ip = p.hostIP { m["hostIP"] = .string(ip.description) }
                return .object(m)
            })])
        }
        o.removeValue(forKey: "capabilities")
        return .object(o)
    }

    func plugins(_ list: JSONValue) -> [JSONValue] {
        if case .array(let p)? = list["plugins"] { return p }
        return []
    }

    /// ADD through every plugin of the network's conflist, then caches the result (with the
    /// ports) for CHECK and DEL, as libcni does.
    func cniAdd(_ net: NetworkConfig, container: ContainerID, netnsPath: String, interface: String,
                ip: IPv4Address?, ports: [PublishedPort]) throws -> CNIAddress {
        let list = try conflist(for: net)
        let runner = CNIPluginRunner(searchPath: cniPluginPath)
        var prev: JSONValue? = nil
        let args = ip.map { "IgnoreUnknown=1;IP=\($0)" } ?? ""
        for plugin in plugins(list) {
            guard case .string(let type)? = plugin["type"] else { throw CNCError(.invalidSpec, "a plugin of network \(net.name) has no type") }
            prev = try runner.exec(type, command: "ADD", config: pluginConfig(plugin, list: list, prevResult: prev, ports: ports),
                                   containerID: container.rawValue, netns: netnsPath, interface: interface, args: args)
        }
        let result = prev ?? .null
        try FileSystem.createDirectory(paths.cniResults, mode: 0o700)
        let cache: JSONValue = .object([
            "kind": .string("cniCacheV1"), "containerId": .string(container.rawValue), "ifName": .string(interface),
            "networkName": .string(net.name), "config": list, "result": result,
            "ports": .array(ports.map { p in .string(p.description) }),
            "portMappings": .string(String(decoding: (try? CanonicalJSON.encode(ports)) ?? [], as: UTF8.self)),
        ])
        try FileSystem.writeReplacing(try CanonicalJSON.encode(cache), to: cachePath(net, container, interface), mode: 0o600)
        guard let addr = CNIAddress(result: result) else {
            throw CNCError(.network, "CNI network \(net.name) returned no IPv4 address")
        }
        return addr
    }

    /// CHECK through every plugin with the cached result.
    public func cniCheck(network name: String, container: ContainerID, interface: String = "eth0") throws {
        let net = try network(name)
        let cached = try decode(JSONValue.self, cachePath(net, container, interface))
        guard let record = try? decode(AttachmentRecord.self, paths.record(container.rawValue)) else {
            throw CNCError(.notFound, "container \(container.short) is not attached")
        }
        let list = cached["config"] ?? .null
        let runner = CNIPluginRunner(searchPath: cniPluginPath)
        let ports = record.attachments.first { $0.networkID == net.id }?.ports ?? []
        for plugin in plugins(list) {
            guard case .string(let type)? = plugin["type"] else { continue }
            _ = try runner.exec(type, command: "CHECK", config: pluginConfig(plugin, list: list, prevResult: cached["result"], ports: ports),
                                containerID: container.rawValue, netns: record.netnsPath, interface: interface)
        }
    }

    /// DEL through the plugins in reverse order with the cached ADD result as prevResult; the
    /// cache entry goes once DEL succeeded. Without a cache, DEL runs with the current conflist.
    func cniDel(_ net: NetworkConfig, container: ContainerID, netnsPath: String, interface: String) throws {
        let path = cachePath(net, container, interface)
        let cached = try? decode(JSONValue.self, path)
        let list = try cached?["config"] ?? conflist(for: net)
        var ports: [PublishedPort] = []
        if case .string(let s)? = cached?["portMappings"] {
            ports = (try? JSONDecoder().decode([PublishedPort].self, from: Data(s.utf8))) ?? []
        }
        let runner = CNIPluginRunner(searchPath: cniPluginPath)
        for plugin in plugins(list).reversed() {
            guard case .string(let type)? = plugin["type"] else { continue }
            _ = try runner.exec(type, command: "DEL", config: pluginConfig(plugin, list: list, prevResult: cached?["result"], ports: ports),
                                containerID: container.rawValue, netns: netnsPath, interface: interface)
        }
        try FileSystem.remove(path)
    }
}

/// Reading user conflists.
public enum CNIConflist {
    /// Parses a conflist file's bytes; it must be an object with a name and a non-empty plugins array.
    public static func parse(_ bytes: [UInt8], path: String) throws -> JSONValue {
        let v: JSONValue
        do { v = try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) } catch {
            throw CNCError.failed("parse", "CNI conflist \(path)", code: .invalidArgument, cause: error)
        }
        guard case .string? = v["name"], case .array(let p)? = v["plugins"], !p.isEmpty else {
            throw CNCError(.invalidArgument, "CNI conflist \(path) needs \"name\" and a non-empty \"plugins\" array")
        }
        return v
    }
}
