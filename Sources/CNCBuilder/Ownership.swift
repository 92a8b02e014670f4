import CNCCore

/// `--chown=USER[:GROUP]` and `--chmod=MODE` of COPY/ADD: names are looked up in the image's
/// own /etc/passwd and /etc/group (never the host's).
struct Ownership: Equatable {
    var uid: UInt32
    var gid: UInt32

    static func parse(_ text: String, view: LayeredView) throws -> Ownership {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let user = parts[0]
        func fail(_ why: String) -> CNCError {
            CNCError(.invalidArgument, "unable to convert uid/gid chown string to host mapping: \(why)")
        }
        var primary: UInt32?
        let uid: UInt32
        if let n = UInt32(user) {
            uid = n
        } else {
            guard let entry = lookup(view.readText("etc/passwd"), user) else { throw fail("can't find uid for user \(user): no such user: \(user)") }
            uid = entry.0
            primary = entry.1
        }
        guard parts.count == 2 else { return Ownership(uid: uid, gid: primary ?? uid) }
        let group = parts[1]
        if let n = UInt32(group) { return Ownership(uid: uid, gid: n) }
        guard let entry = lookup(view.readText("etc/group"), group) else { throw fail("can't find gid for group \(group): no such group: \(group)") }
        return Ownership(uid: uid, gid: entry.0)
    }

    /// name:x:id:gid... lines: (id, third field) of `name`.
    static func lookup(_ text: String?, _ name: String) -> (UInt32, UInt32)? {
        for line in (text ?? "").split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 3, f[0] == name, let id = UInt32(f[2]) else { continue }
            return (id, f.count > 3 ? UInt32(f[3]) ?? id : id)
        }
        return nil
    }

    static func mode(_ text: String) throws -> UInt32 {
        guard !text.isEmpty, text.count <= 4, let m = UInt32(text, radix: 8), m <= 0o7777 else {
            throw CNCError(.invalidArgument, "invalid chmod parameter: \(text) (want an octal mode such as 755)")
        }
        return m
    }
}
