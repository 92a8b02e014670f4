import CArchive
import CNCCore
import CNCSystem

/// Applies one tar entry at a time to a RootedDirectory, refusing anything unsafe.
struct EntryApplier {
    let root: RootedDirectory
    let layer: String
    let policy: UnpackPolicy
    var written: Int64 = 0
    var dropped: [String] = []
    var lastEntry: String?
    /// Directories whose mode and mtime are set last (children change mtimes), deepest first.
    private var directoryMeta: [(components: [String], mode: UInt32, mtime: (Int, Int))] = []
    /// Paths this layer whited out; a directory created there later must be opaque.
    private var whiteouts: Set<String> = []
    private var buffer = [UInt8]()

    // File types as tar/libarchive encode them (AE_IF* are cast macros Swift cannot import).
    static let typeMask: UInt32 = 0o170000
    static let regular: UInt32 = 0o100000, directory: UInt32 = 0o040000, symlink: UInt32 = 0o120000
    static let char: UInt32 = 0o020000, block: UInt32 = 0o060000, fifo: UInt32 = 0o010000, socket: UInt32 = 0o140000

    static let whiteoutPrefix = ".wh."
    static let opaqueMarker = ".wh..wh..opq"

    init(root: RootedDirectory, layer: String, policy: UnpackPolicy) {
        self.root = root
        self.layer = layer
        self.policy = policy
    }

    func refuse(_ entry: String, _ why: String) -> CNCError {
        CNCError(.integrity, "failed to unpack layer \(layer): refused entry \"\(entry)\": \(why)",
                 context: ["layer": layer, "entry": entry])
    }

    func failure(_ entry: String, _ cause: any Error) -> CNCError {
        CNCError.wrap(cause, "failed to unpack layer \(layer): entry \"\(entry)\"", context: ["layer": layer, "entry": entry])
    }

    /// Splits a tar name into safe components: no absolute names, no "..", "." and "" dropped.
    static func components(_ name: String) -> Result<[String], PathProblem> {
        if name.hasPrefix("/") { return .failure(PathProblem(text: "absolute path")) }
        var out: [String] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { return .failure(PathProblem(text: "path leaves the layer (\"..\")")) }
            out.append(String(part))
        }
        return .success(out)
    }

    mutating func apply(_ entry: OpaquePointer, archive a: OpaquePointer, box: TarFeed) throws {
        guard let cName = archive_entry_pathname(entry) ?? archive_entry_pathname_utf8(entry) else {
            throw refuse("?", "entry without a name")
        }
        let name = String(cString: cName)
        lastEntry = name
        let comps: [String]
        switch Self.components(name) {
        case .success(let c): comps = c
        case .failure(let why): throw refuse(name, why.text)
        }
        guard let base = comps.last else { return }  // "./": the layer root itself
        let dirComps = comps.dropLast()
        let type = UInt32(archive_entry_filetype(entry)) & Self.typeMask
        let hardlink = archive_entry_hardlink(entry).map { String(cString: $0) }

        // Whiteouts.
        if base.hasPrefix(Self.whiteoutPrefix) {
            if base == Self.opaqueMarker {
                do { try markOpaque(Array(dirComps)) } catch { throw failure(name, error) }
                return
            }
            if base.hasPrefix(".wh..wh.") {
                dropped.append("\(name) (aufs metadata)")
                return
            }
            let target = String(base.dropFirst(Self.whiteoutPrefix.count))
            if target.isEmpty || target == "." || target == ".." || target.hasPrefix(Self.whiteoutPrefix) {
                throw refuse(name, "invalid whiteout name")
            }
            do {
                let pfd = try root.parent(dirComps, create: true)
                if root.kind(pfd, target) == .missing {
                    try root.makeNode(pfd, target, mode: 0o020000, major: 0, minor: 0, display: display(comps.dropLast() + [target]))
                    whiteouts.insert((dirComps + [target]).joined(separator: "/"))
                }
            } catch { throw failure(name, error) }
            return
        }

        let declared = archive_entry_size_is_set(entry) != 0 ? Int64(archive_entry_size(entry)) : 0
        if declared < 0 || declared > policy.maxBytes - written {
            throw refuse(name, "size \(declared) exceeds the unpack limit of \(policy.maxBytes) bytes")
        }
        let mode = UInt32(archive_entry_perm(entry)) & 0o7777
        let uid = UInt32(truncatingIfNeeded: archive_entry_uid(entry))
        let gid = UInt32(truncatingIfNeeded: archive_entry_gid(entry))
        let mtime = (Int(archive_entry_mtime(entry)), Int(archive_entry_mtime_nsec(entry)))
        let path = display(comps[...])

        do {
            if let hardlink {
                try applyHardlink(name: name, target: hardlink, dirComps: dirComps, base: base, path: path)
                return
            }
            switch type {
            case Self.directory:
                let pfd = try root.parent(dirComps, create: true)
                try root.makeDirectory(pfd, base, display: path)
                let dfd = try root.openChildDirectory(pfd, base, display: path)
                defer { FileDescriptorOps.close(dfd) }
                if policy.preserveOwnership { try FileDescriptorOps.chown(dfd, uid: uid, gid: gid, display: path) }
                try applyXattrs(entry, fd: dfd, path: path)
                if whiteouts.contains(comps.joined(separator: "/")) {
                    try setOpaque(dfd, path: path)
                }
                directoryMeta.append((comps, mode, mtime))
            case Self.regular:
                let pfd = try root.parent(dirComps, create: true)
                let fd = try root.createFile(pfd, base, display: path)
                defer { FileDescriptorOps.close(fd) }
                try writeData(archive: a, fd: fd, declared: declared, name: name, path: path)
                if policy.preserveOwnership && (uid != 0 || gid != 0) {
                    try FileDescriptorOps.chown(fd, uid: uid, gid: gid, display: path)
                }
                try FileDescriptorOps.chmod(fd, mode: mode, display: path)
                try applyXattrs(entry, fd: fd, path: path)
                try FileDescriptorOps.setTimes(fd, mtime: mtime, display: path)
            case Self.symlink:
                guard let t = archive_entry_symlink(entry) else { throw refuse(name, "symlink without a target") }
                let pfd = try root.parent(dirComps, create: true)
                // The target is stored as is: it is only ever followed inside the container's root
                // (and by this unpacker only with RESOLVE_IN_ROOT).
                try root.symlink(String(cString: t), pfd, base, display: path)
                if policy.preserveOwnership && (uid != 0 || gid != 0) {
                    try root.changeOwner(pfd, base, uid: uid, gid: gid, display: path)
                }
                try root.setTimes(pfd, base, mtime: mtime, display: path)
            case Self.char, Self.block:
                let major = UInt32(archive_entry_rdevmajor(entry)), minor = UInt32(archive_entry_rdevminor(entry))
                switch policy.devices {
                case .drop:
                    dropped.append("\(name) (device node \(major):\(minor))")
                case .refuse:
                    throw refuse(name, "device node \(major):\(minor) (device policy: refuse)")
                case .keep:
                    if type == Self.char && major == 0 && minor == 0 {
                        throw refuse(name, "a 0/0 character device would act as an overlay whiteout")
                    }
                    let pfd = try root.parent(dirComps, create: true)
                    try root.makeNode(pfd, base, mode: type | mode, major: major, minor: minor, display: path)
                    if policy.preserveOwnership { try root.changeOwner(pfd, base, uid: uid, gid: gid, display: path) }
                }
            case Self.fifo:
                let pfd = try root.parent(dirComps, create: true)
                try root.makeNode(pfd, base, mode: type | mode, major: 0, minor: 0, display: path)
                if policy.preserveOwnership { try root.changeOwner(pfd, base, uid: uid, gid: gid, display: path) }
            default:
                dropped.append("\(name) (unsupported type 0o\(String(type, radix: 8)))")
            }
        } catch let e as CNCError where e.context["entry"] != nil {
            throw e
        } catch {
            throw failure(name, error)
        }
    }

    private func display(_ comps: ArraySlice<String>) -> String {
        root.path + "/" + comps.joined(separator: "/")
    }

    private mutating func applyHardlink(name: String, target: String, dirComps: ArraySlice<String>, base: String, path: String) throws {
        let tcomps: [String]
        switch Self.components(target) {
        case .success(let c): tcomps = c
        case .failure(let why): throw refuse(name, "hard link target \"\(target)\": \(why.text)")
        }
        guard let tbase = tcomps.last else { throw refuse(name, "hard link to the layer root") }
        let src = try root.parent(tcomps.dropLast(), create: false)
        let srcKind = root.kind(src, tbase)
        guard srcKind != .missing else { throw refuse(name, "hard link target \"\(target)\" is not in this layer") }
        guard srcKind != .directory else { throw refuse(name, "hard link to a directory") }
        // parent() reuses one cached fd: keep our own handle on the source directory.
        let srcDup = try retainDirectory(src, path: display(tcomps.dropLast()))
        defer { FileDescriptorOps.close(srcDup) }
        let dst = try root.parent(dirComps, create: true)
        try root.hardlink(from: srcDup, tbase, to: dst, base, display: path)
    }

    private func retainDirectory(_ fd: Int32, path: String) throws -> Int32 {
        try root.duplicate(fd, display: path)
    }

    private mutating func writeData(archive a: OpaquePointer, fd: Int32, declared: Int64, name: String, path: String) throws {
        var buf: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        var end: Int64 = 0
        while true {
            let r = archive_read_data_block(a, &buf, &size, &offset)
            if r == ARCHIVE_EOF { break }
            guard r == ARCHIVE_OK || r == ARCHIVE_WARN else {
                let text = archive_error_string(a).map { String(cString: $0) } ?? "read error"
                throw refuse(name, "bad data: \(text)")
            }
            if size == 0 { continue }
            guard offset >= 0, Int64(offset) + Int64(size) <= declared else {
                throw refuse(name, "data beyond the entry's declared size \(declared)")
            }
            written += Int64(size)
            if written > policy.maxBytes {
                throw refuse(name, "layer content exceeds the unpack limit of \(policy.maxBytes) bytes")
            }
            guard let buf else { continue }
            try FileDescriptorOps.pwriteAll(fd, UnsafeRawBufferPointer(start: buf, count: size), offset: Int64(offset), display: path)
            end = max(end, Int64(offset) + Int64(size))
        }
        // Sparse files end in a hole: give the file its full size.
        if end < declared { try FileDescriptorOps.truncate(fd, size: declared, display: path) }
    }

    /// Only user.* and security.capability survive: trusted.* (overlay's own metadata, e.g. a
    /// forged trusted.overlay.opaque) and security labels are never taken from a layer.
    private mutating func applyXattrs(_ entry: OpaquePointer, fd: Int32, path: String) throws {
        guard archive_entry_xattr_reset(entry) > 0 else { return }
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK {
            guard let name else { continue }
            let key = String(cString: name)
            guard key.hasPrefix("user.") || key == "security.capability" else {
                dropped.append("\(path) xattr \(key)")
                continue
            }
            try FileDescriptorOps.setXattr(fd, name: key, value: UnsafeRawBufferPointer(start: value, count: size), display: path)
        }
    }

    private mutating func markOpaque(_ dirComps: [String]) throws {
        let path = display(dirComps[...])
        let dfd: Int32
        if let last = dirComps.last {
            let pfd = try root.parent(dirComps.dropLast(), create: true)
            try root.makeDirectory(pfd, last, display: path)
            dfd = try root.openChildDirectory(pfd, last, display: path)
        } else {
            dfd = try root.duplicate(root.fd, display: path)
        }
        defer { FileDescriptorOps.close(dfd) }
        try setOpaque(dfd, path: path)
    }

    private func setOpaque(_ dfd: Int32, path: String) throws {
        let y: [UInt8] = [UInt8(ascii: "y")]
        try y.withUnsafeBytes { try FileDescriptorOps.setXattr(dfd, name: "trusted.overlay.opaque", value: $0, display: path) }
    }

    /// Sets the deferred directory modes and times, deepest first.
    mutating func finish() throws {
        for d in directoryMeta.reversed() {
            let path = display(d.components[...])
            guard let last = d.components.last else { continue }
            let pfd = try root.parent(d.components.dropLast(), create: false)
            let dfd = try root.openChildDirectory(pfd, last, display: path)
            defer { FileDescriptorOps.close(dfd) }
            try FileDescriptorOps.chmod(dfd, mode: d.mode, display: path)
            try FileDescriptorOps.setTimes(dfd, mtime: d.mtime, display: path)
        }
        directoryMeta = []
    }
}

/// Why a tar name was refused.
struct PathProblem: Error { let text: String }
