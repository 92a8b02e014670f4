import Foundation
import Synchronization

/// Compose's naming rules and small syntax checks used across the spec.
enum Names {
    private static func ascii(_ s: String, first: (UInt8) -> Bool, rest: (UInt8) -> Bool, minCount: Int = 1) -> Bool {
        let u = Array(s.utf8)
        guard u.count >= minCount, let f = u.first, first(f) else { return false }
        return u.dropFirst().allSatisfy(rest)
    }
    static func isAlnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) }
    static func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) }

    /// Service, network, volume, config and secret keys: `^[a-zA-Z0-9._-]+$`.
    static func isResourceKey(_ s: String) -> Bool {
        let ok: (UInt8) -> Bool = { isAlnum($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d }
        return ascii(s, first: ok, rest: ok)
    }

    /// `^[a-zA-Z0-9][a-zA-Z0-9_.-]+$` (Docker's container names).
    static func isContainerName(_ s: String) -> Bool {
        ascii(s, first: isAlnum, rest: { isAlnum($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d }, minCount: 2)
    }

    /// `^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`.
    static func isProfile(_ s: String) -> Bool {
        ascii(s, first: isAlnum, rest: { isAlnum($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d })
    }

    /// Compose project names: `^[a-z0-9][a-z0-9_-]*$`.
    static func isProjectName(_ s: String) -> Bool {
        ascii(s, first: isLowerAlnum, rest: { isLowerAlnum($0) || $0 == 0x5f || $0 == 0x2d })
    }

    /// A directory name made into a project name: lowercased, other characters dropped.
    static func normalizeProjectName(_ s: String) -> String {
        let kept = Array(s.lowercased().utf8).filter { isLowerAlnum($0) || $0 == 0x5f || $0 == 0x2d }
        let trimmed = kept.drop(while: { !isLowerAlnum($0) })
        return String(decoding: trimmed, as: UTF8.self)
    }

    /// RFC 1123 host names.
    static func isHostname(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let u = Array(label.utf8)
            guard (1...63).contains(u.count), let f = u.first, let l = u.last, isAlnum(f), isAlnum(l) else { return false }
            return u.allSatisfy { isAlnum($0) || $0 == 0x2d }
        }
    }
}

/// Syntax checks for addresses and subnets written in a spec.
enum IPAddress {
    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy { $0.isASCII && $0.isNumber } && (Int(p) ?? 256) <= 255
        }
    }

    static func isIPv6(_ s: String) -> Bool {
        guard s.contains(":"), s.count <= 45 else { return false }
        var text = Substring(s)
        var groupsNeeded = 8
        if let lastColon = text.lastIndex(of: ":"), isIPv4(String(text[text.index(after: lastColon)...])) {
            text = text[...lastColon]
            if text.hasSuffix(":"), !text.hasSuffix("::") { text = text.dropLast() }
            groupsNeeded = 6
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        var groups = 0
        for half in halves where !half.isEmpty {
            for g in half.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(g.count), g.allSatisfy({ $0.isHexDigit }) else { return false }
                groups += 1
            }
        }
        return halves.count == 2 ? groups < groupsNeeded : groups == groupsNeeded
    }

    /// The 32-bit value of a dotted IPv4 address.
    static func ipv4Value(_ s: String) -> UInt32? {
        guard isIPv4(s) else { return nil }
        return s.split(separator: ".").reduce(UInt32(0)) { $0 << 8 | (UInt32($1) ?? 0) }
    }

    /// Whether IPv4 `address` lies in `cidr`; nil when `cidr` is not an IPv4 subnet.
    static func ipv4(_ address: String, isIn cidr: String) -> Bool? {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bits = Int(parts[1]), (0...32).contains(bits),
              let net = ipv4Value(String(parts[0])), let a = ipv4Value(address) else { return nil }
        let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
        return a & mask == net & mask
    }

    /// `10.0.0.0/24` or `fd00::/64`.
    static func isCIDR(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bits = Int(parts[1]) else { return false }
        let addr = String(parts[0])
        if isIPv4(addr) { return (0...32).contains(bits) }
        if isIPv6(addr) { return (0...128).contains(bits) }
        return false
    }
}

/// Splits a command string the way a POSIX shell would (Compose does this for string commands).
enum ShellWords {
    struct Problem: Error { let message: String }

    static func split(_ s: String) -> Result<[String], Problem> {
        var words: [String] = []
        var cur = ""
        var inWord = false
        var it = Array(s)
        var i = 0
        while i < it.count {
            let c = it[i]
            switch c {
            case " ", "\t", "\n":
                if inWord { words.append(cur); cur = ""; inWord = false }
            case "'":
                inWord = true
                guard let end = it[(i + 1)...].firstIndex(of: "'") else { return .failure(Problem(message: "unterminated single quote in \"\(s)\"")) }
                cur += String(it[(i + 1)..<end])
                i = end
            case "\"":
                inWord = true
                var j = i + 1
                var closed = false
                while j < it.count {
                    if it[j] == "\\", j + 1 < it.count, "\"\\$`".contains(it[j + 1]) { cur.append(it[j + 1]); j += 2; continue }
                    if it[j] == "\"" { closed = true; break }
                    cur.append(it[j]); j += 1
                }
                guard closed else { return .failure(Problem(message: "unterminated double quote in \"\(s)\"")) }
                i = j
            case "\\":
                inWord = true
                if i + 1 < it.count { cur.append(it[i + 1]); i += 1 }
            default:
                inWord = true
                cur.append(c)
            }
            i += 1
        }
        if inWord { words.append(cur) }
        it.removeAll()
        return .success(words)
    }
}

/// Reading files named by a spec (env files, includes).
enum SpecFiles {
    /// The largest file a spec may name (specs, includes, env files): 16 MiB.
    static let maxSize = 16 << 20

    static func readText(_ path: String) -> String? {
        readBytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A regular file's bytes; nil for a missing, unreadable, special (/dev/zero, a FIFO) or huge file.
    static func readBytes(_ path: String) -> [UInt8]? {
        looked.withLock { _ = $0.insert(path) }
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path),
              attrs[.type] as? FileAttributeType == .typeRegular,
              let size = attrs[.size] as? NSNumber, size.intValue <= maxSize,
              let data = FileManager.default.contents(atPath: path)
        else { return nil }
        return [UInt8](data)
    }

    static func exists(_ path: String) -> Bool {
        looked.withLock { _ = $0.insert(path) }
        return FileManager.default.fileExists(atPath: path)
    }

    /// Every path this process's spec loads read or looked for (cncapply's no-op record).
    static let looked = Mutex<Set<String>>([])
}

extension SpecLoader {
    /// Every file the spec loads of this process read or looked for, found or not (includes,
    /// extends, env files, secrets): what a later change to the spec's inputs can touch.
    public static var filesLookedAt: Set<String> { SpecFiles.looked.withLock { $0 } }
}
