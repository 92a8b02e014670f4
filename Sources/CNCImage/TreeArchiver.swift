import CArchive
import CNCCore
import CNCSystem

/// Writes files from disk into a tar as they are (type, mode, owner ids, mtime, symlink target,
/// device numbers, extended attributes other than trusted.*, hard links within the archive),
/// through libarchive's disk reader: `cnc export` (a container's whole filesystem) and
/// `cnc commit` (its upper dir as an image layer, whiteouts converted). Walks depth-first in
/// byte order, a directory before its content, as Docker's archiver does. Owner names are
/// never looked up: the host's /etc/passwd says nothing about a container's users.
public final class TreeArchiver {
    // Used by one thread.
    let tar: TarWriter
    private let disk: OpaquePointer
    private let links: OpaquePointer
    /// Owner ids as written (a user-namespaced container's files carry host ids on disk:
    /// `IDMap.containerID(forHost:)` gives them back as the container sees them).
    public var mapOwner: ((_ uid: UInt32, _ gid: UInt32) -> (UInt32, UInt32))? = nil

    public init(_ tar: TarWriter) throws {
        guard let disk = archive_read_disk_new(), let links = archive_entry_linkresolver_new() else {
            throw CNCError(.internal, "libarchive: cannot make a disk reader")
        }
        self.tar = tar
        self.disk = disk
        self.links = links
        archive_read_disk_set_symlink_physical(disk)
        archive_entry_linkresolver_set_strategy(links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED)
    }

    deinit {
        archive_entry_linkresolver_free(links)
        archive_read_free(disk)
    }

    /// Every entry below `root` (not `root` itself), named relative to it.
    public func addTree(_ root: String) throws {
        try walk(root, "") { source, name, _ in try add(source, as: name) }
    }

    /// The walk: calls `visit(source path, archive name, entry info)` for each entry below
    /// `root`; `visit` returns false to skip a directory's content.
    func walk(_ root: String, _ prefix: String, _ visit: (String, String, FileSystem.EntryInfo) throws -> Bool) throws {
        let dir = prefix.isEmpty ? root : root + "/" + prefix
        let names = try FileSystem.listDirectory(dir).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for n in names {
            let name = prefix.isEmpty ? n : prefix + "/" + n
            // Gone since the listing (a running container): Docker skips it too.
            guard let info = FileSystem.entryInfo(root + "/" + name) else { continue }
            let descend = try visit(root + "/" + name, name, info)
            if descend && info.kind == .directory { try walk(root, name, visit) }
        }
    }

    /// Adds `source` as `name` (directories without their content).
    @discardableResult
    public func add(_ source: String, as name: String, dropXattr: (String) -> Bool = { $0.hasPrefix("trusted.") }) throws -> Bool {
        guard let e = archive_entry_new() else { throw CNCError(.internal, "archive_entry_new failed") }
        var entry: OpaquePointer? = e
        var spare: OpaquePointer?
        defer {
            if let entry { archive_entry_free(entry) }
            if let spare { archive_entry_free(spare) }
        }
        archive_entry_copy_sourcepath(e, source)
        archive_entry_copy_pathname(e, name)
        guard archive_read_disk_entry_from_file(disk, e, -1, nil) == ARCHIVE_OK else {
            // Removed while we walked (a running container): skip it as Docker does.
            if !FileSystem.exists(source) { return false }
            let text = archive_error_string(disk).map { String(cString: $0) } ?? "unknown error"
            throw CNCError(.io, "failed to read \(source) for the tar", cause: text)
        }
        archive_entry_copy_pathname(e, name)
        if let mapOwner {
            let (u, g) = mapOwner(UInt32(truncatingIfNeeded: archive_entry_uid(e)), UInt32(truncatingIfNeeded: archive_entry_gid(e)))
            archive_entry_set_uid(e, Int64(u))
            archive_entry_set_gid(e, Int64(g))
        }
        archive_entry_unset_atime(e)
        archive_entry_unset_ctime(e)
        archive_entry_unset_birthtime(e)
        clampMtime(e)
        filterXattrs(e, dropXattr)
        archive_entry_linkify(links, &entry, &spare)
        guard let out = entry else { return true }
        guard archive_write_header(tar.a, out) == ARCHIVE_OK else { throw tar.error("header \(name)") }
        if archive_entry_filetype(out) == 0o100000 && archive_entry_size(out) > 0 && archive_entry_hardlink(out) == nil {
            try copyContent(source, name: name, size: archive_entry_size(out))
        }
        return true
    }

    /// An empty regular file `name` (a whiteout or an opaque marker), stamped like `like`.
    /// `TarWriter.mtimeClamp`: an entry newer than the epoch gets the epoch.
    private func clampMtime(_ e: OpaquePointer) {
        if let clamp = tar.mtimeClamp, Int64(archive_entry_mtime(e)) >= clamp { archive_entry_set_mtime(e, time_t(clamp), 0) }
    }

    func addMarker(_ name: String, mode: UInt32, like source: String) throws {
        guard let e = archive_entry_new() else { throw CNCError(.internal, "archive_entry_new failed") }
        defer { archive_entry_free(e) }
        archive_entry_copy_sourcepath(e, source)
        _ = archive_read_disk_entry_from_file(disk, e, -1, nil)
        archive_entry_copy_pathname(e, name)
        archive_entry_set_filetype(e, 0o100000)
        archive_entry_set_perm(e, mode_t(mode))
        archive_entry_set_size(e, 0)
        archive_entry_set_rdev(e, 0)
        archive_entry_set_nlink(e, 1)
        archive_entry_set_symlink(e, nil)
        archive_entry_unset_atime(e)
        archive_entry_unset_ctime(e)
        archive_entry_unset_birthtime(e)
        clampMtime(e)
        archive_entry_xattr_clear(e)
        guard archive_write_header(tar.a, e) == ARCHIVE_OK else { throw tar.error("header \(name)") }
    }

    private func filterXattrs(_ e: OpaquePointer, _ drop: (String) -> Bool) {
        guard archive_entry_xattr_reset(e) > 0 else { return }
        var keep: [(String, [UInt8])] = []
        var namePtr: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        var dropped = false
        while archive_entry_xattr_next(e, &namePtr, &value, &size) == ARCHIVE_OK {
            guard let namePtr else { continue }
            let key = String(cString: namePtr)
            if drop(key) { dropped = true; continue }
            keep.append((key, value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []))
        }
        guard dropped else { return }
        archive_entry_xattr_clear(e)
        for (k, v) in keep { v.withUnsafeBytes { archive_entry_xattr_add_entry(e, k, $0.baseAddress, $0.count) } }
    }

    private func copyContent(_ source: String, name: String, size: Int64) throws {
        let f = try FileStream.openForReading(source)
        defer { f.close() }
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        var done: Int64 = 0
        while done < size {
            let want = Int(min(Int64(buf.count), size - done))
            let n = try buf.withUnsafeMutableBytes { try f.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
            if n == 0 {
                // The file shrank while we read it (a running container): pad as tar requires.
                let zeros = [UInt8](repeating: 0, count: want)
                try zeros.withUnsafeBytes { try tar.writeData($0, name) }
                done += Int64(want)
                continue
            }
            try buf.withUnsafeBytes { try tar.writeData(UnsafeRawBufferPointer(rebasing: $0[0..<n]), name) }
            done += Int64(n)
        }
    }
}
