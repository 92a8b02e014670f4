import CNCCore

/// Where the systemd driver puts a container: the transient scope `cnc-<id>.scope` in
/// `cnc.slice` (cgroup path "cnc/<id>") or in the slice a `--cgroup-parent NAME.slice` names,
/// and the scope's cgroup below each hierarchy's root (systemd nests slices by their dashes:
/// "a-b.slice" lives in "a.slice"). Pure: the driver and its tests share it.
public struct SystemdScope: Sendable, Equatable {
    /// The slice for cnc's default parent "cnc".
    public static let defaultSlice = "cnc.slice"
    public static let unitPrefix = "cnc-"

    /// e.g. "cnc.slice"
    public let slice: String
    /// e.g. "cnc-<id>.scope"
    public let unit: String
    /// The scope's cgroup relative to a hierarchy's root, e.g. "cnc.slice/cnc-<id>.scope".
    public internal(set) var cgroupPath: String
    /// The slice is cnc's own (parent "cnc"), which goes once it is empty.
    public let ownSlice: Bool

    /// `path`: a CgroupManager path, "<parent>/<container id>".
    public init(path: String) throws {
        try CgroupManagers.validate(path)
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count == 2, let id = parts.last, Self.isUnitNameBody(id) else {
            throw Self.parentError
        }
        slice = try Self.slice(forParent: parts[0])
        unit = Self.unitPrefix + id + ".scope"
        cgroupPath = try Self.sliceCgroupPath(slice) + "/" + unit
        ownSlice = slice == Self.defaultSlice
    }

    /// Docker's refusal of a cgroup parent the systemd driver cannot use.
    public static let parentError = CNCError(.invalidArgument, "cgroup-parent for systemd cgroup should be a valid slice named as \"xxx.slice\"")

    /// The slice a parent names: "cnc" is cnc's own slice, anything else must be "NAME.slice".
    public static func slice(forParent parent: String) throws -> String {
        if parent == "cnc" { return defaultSlice }
        guard parent.hasSuffix(".slice"), !parent.contains("/") else { throw parentError }
        _ = try sliceCgroupPath(parent)
        return parent
    }

    /// "a-b.slice" -> "a.slice/a-b.slice" (systemd's slice nesting); "-.slice" is the root ("").
    public static func sliceCgroupPath(_ slice: String) throws -> String {
        guard slice.hasSuffix(".slice") else { throw parentError }
        let body = String(slice.dropLast(6))
        if body == "-" { return "" }
        guard isUnitNameBody(body), !body.hasPrefix("-"), !body.hasSuffix("-"), !body.contains("--") else { throw parentError }
        var out: [String] = []
        var prefix = ""
        for part in body.split(separator: "-") {
            prefix += prefix.isEmpty ? String(part) : "-" + part
            out.append(prefix + ".slice")
        }
        return out.joined(separator: "/")
    }

    /// Characters systemd allows in a unit name (unit_name_is_valid), not empty.
    static func isUnitNameBody(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count < 240 && s.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: ":") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") || c == UInt8(ascii: "-")
        }
    }
}
