import CNCCore

/// A host port a container of this root publishes now.
public struct PublishedPortHolder: Sendable, Equatable {
    public var container: ContainerID
    /// The container's name, when the record has one.
    public var name: String?
    public var port: PublishedPort

    public init(container: ContainerID, name: String?, port: PublishedPort) {
        self.container = container
        self.name = name
        self.port = port
    }
}

extension NetworkManager {
    /// Every host port published by a container whose namespace still lives: what a new
    /// publication must not take (the DNAT maps bind no socket, so probing the port alone
    /// would not see these). Reads the records only: no lock, nothing changes.
    public func publishedPorts() throws -> [PublishedPortHolder] {
        try records().filter(isAlive).flatMap { r in
            r.attachments.flatMap { a in a.ports.map { PublishedPortHolder(container: r.container, name: r.options.name, port: $0) } }
        }
    }
}
