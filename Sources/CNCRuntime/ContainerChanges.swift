import CNCSystem

/// One line of `cnc diff`: `A /path` (added), `C /path` (changed), `D /path` (deleted).
public struct ContainerChange: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case changed = "C", added = "A", deleted = "D" }
    public var kind: Kind
    public var path: String
    public init(_ kind: Kind, _ path: String) { self.kind = kind; self.path = path }
    public var description: String { "\(kind.rawValue) \(path)" }
}

/// A read-only view of one layer directory: what `ContainerChanges` needs of the container's
/// upper dir and of the image's layers (the real one reads the disk; tests use tables).
public protocol LayerTree {
    /// The names in directory `path` ("/" is the layer's root), sorted byte-wise.
    func names(in path: String) -> [String]
    func info(_ path: String) -> FileSystem.EntryInfo?
    /// trusted.overlay.opaque=y on directory `path`.
    func isOpaque(_ path: String) -> Bool
}

/// A layer directory on disk.
public struct DiskLayerTree: LayerTree {
    public let root: String
    public init(root: String) { self.root = root }
    func full(_ path: String) -> String { path == "/" ? root : root + path }
    public func names(in path: String) -> [String] {
        ((try? FileSystem.listDirectory(full(path))) ?? []).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
    public func info(_ path: String) -> FileSystem.EntryInfo? { FileSystem.entryInfo(full(path)) }
    public func isOpaque(_ path: String) -> Bool { FileSystem.isOpaqueDirectory(full(path)) }
}

/// The changes of a container's overlay upper dir against its image's layers, as `docker diff`
/// lists them for overlay2 (moby's `changes` walk): depth-first in byte order; a whiteout
/// (char 0/0) or an opaque directory is `D`; anything else is `A`, or `C` when a lower layer
/// has the path — except a directory whose size, mode and mtime equal the lower one's (copied
/// up only because something below it changed). The parent of an `A`/`D` is listed as `C`
/// before it unless it was already listed.
public enum ContainerChanges {
    /// What the runtime itself makes in a container's root as mount points when the image
    /// lacks them; Docker keeps these in its "init layer", so they are never a change.
    public static let runtimeMountPoints: Set<String> = ["/proc", "/sys", "/dev", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"]

    public static func changes(upper: any LayerTree, lowers: [any LayerTree], hidden: Set<String> = runtimeMountPoints) -> [ContainerChange] {
        var out: [ContainerChange] = []
        var changedDirs: Set<String> = []
        func walk(_ dir: String) {
            for name in upper.names(in: dir) {
                let path = dir == "/" ? "/" + name : dir + "/" + name
                guard !hidden.contains(path), let f = upper.info(path) else { continue }
                var kind = ContainerChange.Kind.added
                var unchanged = false
                if f.isWhiteout || (f.kind == .directory && upper.isOpaque(path)) {
                    kind = .deleted
                } else if let lower = lowers.lazy.compactMap({ $0.info(path) }).first {
                    kind = .changed
                    if lower.kind == .directory && f.kind == .directory && lower.size == f.size && lower.permissions == f.permissions
                        && (sameTime(lower, f) || onlyHidden(dir: path, upper: upper, hidden: hidden)) {
                        unchanged = true
                    }
                }
                if !unchanged {
                    if f.kind == .directory { changedDirs.insert(path) }
                    if kind != .changed {
                        let parent = parentPath(path)
                        if parent != "/" && !changedDirs.contains(parent) {
                            out.append(ContainerChange(.changed, parent))
                            changedDirs.insert(parent)
                        }
                    }
                    out.append(ContainerChange(kind, path))
                }
                if f.kind == .directory { walk(path) }
            }
        }
        walk("/")
        return out
    }

    /// Tar and Go's tar writer keep whole seconds: equal, or the same second with either side
    /// at exactly 0 ns (moby's sameFsTime).
    static func sameTime(_ a: FileSystem.EntryInfo, _ b: FileSystem.EntryInfo) -> Bool {
        a.mtimeSeconds == b.mtimeSeconds && (a.mtimeNanos == b.mtimeNanos || a.mtimeNanos == 0 || b.mtimeNanos == 0)
    }

    /// True when directory `dir` of the upper layer holds only runtime mount points: it was
    /// copied up for them alone (Docker's init layer would hold that copy).
    static func onlyHidden(dir: String, upper: any LayerTree, hidden: Set<String>) -> Bool {
        let names = upper.names(in: dir)
        return !names.isEmpty && names.allSatisfy { hidden.contains(dir + "/" + $0) }
    }

    public static func parentPath(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}
