import CNCCore
import CNCSystem

/// `cnc diff`, `cnc export` and `cnc commit`: what a container changed, and its filesystem.
extension Runtime {
    /// The container's upper dir (its changes); an error for a container that keeps them on a
    /// tmpfs of its own (`--rm`: nothing outside its mount namespace can reach them).
    public func upperDirectory(_ c: Container) throws -> String {
        let upper = c.directory + "/upper"
        guard FileSystem.isDirectory(upper) else {
            throw CNCError(.unsupported, "container \(c.config.name) was created with --rm: its changes live on a tmpfs inside the container, out of cnc's reach")
        }
        return upper
    }

    /// `docker diff`'s list for the container (running or not).
    public func changes(_ c: Container) throws -> [ContainerChange] {
        let upper = try upperDirectory(c)
        return ContainerChanges.changes(upper: DiskLayerTree(root: upper), lowers: c.config.lowerDirs.map { DiskLayerTree(root: $0) })
    }

    /// Runs `body` with the path of the container's filesystem as its image and changes make
    /// it (no /proc, volumes or other mounts), read-only, running or not: a read-only overlay
    /// whose top layer is the upper dir, in a helper's private mount namespace. Not a walk of
    /// the layers in Swift: the kernel already applies whiteouts and opaque directories
    /// exactly as the container sees them, and nothing is mounted on the host.
    public func withFilesystem(_ c: Container, _ body: (String) throws -> Void) throws {
        _ = try upperDirectory(c)
        try holdRootfs(c, readOnly: true, body)
    }
}
