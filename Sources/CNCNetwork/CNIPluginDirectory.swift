import CNCCore
import CNCSystem

/// Where the CNI plugin binaries are, and which ones are there.
public struct CNIPluginDirectory: Sendable, Codable, Equatable {
    /// Directories searched, in order (Debian installs to /usr/lib/cni; upstream to /opt/cni/bin).
    public static let defaultSearchPath = ["/usr/lib/cni", "/opt/cni/bin"]

    /// The first directory that holds plugins, if any.
    public var directory: String?
    public var plugins: [String]

    /// Lists executables in the first search-path directory that has any.
    public static func discover(searchPath: [String] = defaultSearchPath) -> CNIPluginDirectory {
        for dir in searchPath {
            guard let names = try? FileSystem.listDirectory(dir) else { continue }
            let plugins = names.filter { FileSystem.isExecutable(dir + "/" + $0) }
            if !plugins.isEmpty { return CNIPluginDirectory(directory: dir, plugins: plugins) }
        }
        return CNIPluginDirectory(directory: nil, plugins: [])
    }
}
