import CNCCore
import CNCPlanner
import CNCSpec

/// A fixed host port of the spec that something outside the app holds, found before the
/// apply starts anything (Compose finds it only when the second service fails to start).
public struct PortConflict: Sendable, Equatable {
    public enum Holder: Sendable, Equatable {
        /// A cnc container of another app, or one `cnc run -p` made.
        case container(String)
        /// A socket of a host process (found by binding the port).
        case hostProcess
    }

    public var service: String
    /// The index in the service's normalized `ports` list.
    public var index: Int
    public var port: PublishedPort
    public var holder: Holder

    public init(service: String, index: Int, port: PublishedPort, holder: Holder) {
        self.service = service
        self.index = index
        self.port = port
        self.holder = holder
    }

    /// The key path of the port entry, for the spec's SourceMap.
    public var path: String { "services.\(service).ports[\(index)]" }

    /// `host port 8080 is already in use (by container shop-web-1)`.
    public var message: String {
        let address = port.hostIP.map { "\($0):" } ?? ""
        let proto = port.proto == .tcp ? "" : "/\(port.proto.rawValue)"
        let by = switch holder {
        case .container(let name): "by container \(name)"
        case .hostProcess: "by a host process"
        }
        return "host port \(address)\(port.hostPort)\(proto) is already in use (\(by))"
    }
}

/// Every port conflict of an apply at once; nothing of the app was started.
public struct PortConflicts: Error, Sendable, CustomStringConvertible {
    public var conflicts: [PortConflict]

    public init(_ conflicts: [PortConflict]) { self.conflicts = conflicts }

    public var description: String { lines(at: { _ in nil }) }

    /// One line per conflict, `file:line:col: services.web.ports[0]: host port ...` where
    /// `locate` knows the position of the key path.
    public func lines(at locate: (String) -> SourceMark?) -> String {
        conflicts.map { c in (locate(c.path).map { "\($0): " } ?? "") + "\(c.path): \(c.message)" }.joined(separator: "\n")
    }

    /// As a CNCError (code conflict: exit 1), with positions from `sourceMap`.
    public func cncError(_ sourceMap: SourceMap?) -> CNCError {
        CNCError(.conflict, lines(at: { sourceMap?.mark($0) }))
    }
}

extension AppEngine {
    /// The fixed host ports the plan's creates, replaces and starts will publish that another
    /// container of this root or a host process holds. Ports the app's own containers hold
    /// (`own`: their ids) are not conflicts: they are the app's to hand over.
    public func portConflicts(in plan: Plan, own: Set<String>) async throws -> [PortConflict] {
        var wanted: [(service: String, index: Int, port: PublishedPort)] = []
        var seen: Set<String> = []
        for a in plan.actions where [.create, .replace, .start, .restart].contains(a.kind) {
            guard let s = a.target?.service, let spec = s.spec, seen.insert(s.name).inserted else { continue }
            // Only a bridge network publishes ports (host and none have no DNAT).
            switch spec.networkMode { case .bridge?, nil: break; default: continue }
            for (i, p) in spec.ports.enumerated() {
                guard let published = try? ServiceContainerFactory.publishedPorts(p) else { continue }
                for port in published where port.hostPort != 0 { wanted.append((s.name, i, port)) }
            }
        }
        guard !wanted.isEmpty else { return [] }
        let published = try await backend.publishedPorts()
        var out: [PortConflict] = []
        for w in wanted {
            let holders = published.filter { $0.port.conflicts(with: w.port) }
            if let other = holders.first(where: { !own.contains($0.container.rawValue) }) {
                out.append(PortConflict(service: w.service, index: w.index, port: w.port, holder: .container(other.name ?? other.container.short)))
            } else if holders.isEmpty, await backend.hostPortHeld(w.port) {
                out.append(PortConflict(service: w.service, index: w.index, port: w.port, holder: .hostProcess))
            }
        }
        return out
    }
}

extension PortConflicts {
    /// Runs `body`, turning port conflicts into one CNCError that points into the spec.
    public static func located<T>(_ sourceMap: SourceMap?, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as PortConflicts { throw e.cncError(sourceMap) }
    }
}
