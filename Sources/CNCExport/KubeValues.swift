import CNCCore

/// Kubernetes' spellings of cnc's values: names, label syntax, quantities, seconds.
enum KubeValues {
    /// A DNS-1123 label (what Kubernetes requires of Service and most object names): lowercase
    /// letters, digits and '-', at most 63, starting and ending with a letter or digit.
    static func isName(_ s: String) -> Bool {
        guard let first = s.utf8.first, let last = s.utf8.last, s.utf8.count <= 63 else { return false }
        return isLowerAlnum(first) && isLowerAlnum(last) && s.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// `s` made a DNS-1123 label: lowercased, '_' and '.' as '-', other characters dropped.
    static func name(_ s: String) -> String {
        var out = ""
        for c in s.lowercased() {
            if c.isASCII, c.isLetter || c.isNumber { out.append(c) } else if c == "_" || c == "." || c == "-" { out.append("-") }
        }
        while out.hasPrefix("-") { out.removeFirst() }
        if out.count > 63 { out = String(out.prefix(63)) }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "x" : out
    }

    private static func isLowerAlnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) }
    private static func isAlnum(_ b: UInt8) -> Bool { isLowerAlnum(b) || (b >= 0x41 && b <= 0x5a) }

    /// A label's name part or value: at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends (a value may be empty).
    static func isLabelPart(_ s: String, allowEmpty: Bool) -> Bool {
        if s.isEmpty { return allowEmpty }
        guard s.utf8.count <= 63, let f = s.utf8.first, let l = s.utf8.last, isAlnum(f), isAlnum(l) else { return false }
        return s.utf8.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// `prefix/name` or `name`, the prefix a DNS subdomain.
    static func isLabelKey(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let last = parts.last, isLabelPart(String(last), allowEmpty: false) else { return false }
        if parts.count == 2 {
            let prefix = String(parts[0])
            return !prefix.isEmpty && prefix.utf8.count <= 253
                && prefix.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isName(String($0)) }
        }
        return true
    }

    static func isLabel(_ key: String, _ value: String) -> Bool { isLabelKey(key) && isLabelPart(value, allowEmpty: true) }

    /// 0.5 -> "500m", 2 -> "2" (millicores rounded up).
    static func cpu(_ q: CPUQuantity) -> String {
        if q.nanoCPUs % 1_000_000_000 == 0 { return String(q.nanoCPUs / 1_000_000_000) }
        return String((q.nanoCPUs + 999_999) / 1_000_000) + "m"
    }

    /// 256m -> "256Mi", 1g -> "1Gi", else the largest binary unit that divides it (bytes last).
    static func memory(_ b: ByteSize) -> String {
        for (unit, factor) in [("Ti", Int64(1) << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)] where b.bytes % factor == 0 {
            return String(b.bytes / factor) + unit
        }
        return String(b.bytes)
    }

    /// Whole seconds, rounded up, at least `minimum`.
    static func seconds(_ d: CNCDuration, minimum: Int64 = 1) -> Int64 {
        max(minimum, (d.nanoseconds + 999_999_999) / 1_000_000_000)
    }

    static func isWholeSeconds(_ d: CNCDuration) -> Bool { d.nanoseconds % 1_000_000_000 == 0 }
}

/// Terse constructors for the JSON trees export builds.
enum J {
    static func s(_ v: String) -> JSONValue { .string(v) }
    static func i<I: BinaryInteger>(_ v: I) -> JSONValue { .int(Int64(v)) }
    static func strings(_ v: [String]) -> JSONValue { .array(v.map { .string($0) }) }
    static func map(_ v: [String: String]) -> JSONValue { .object(v.mapValues { .string($0) }) }
    /// An object without the nil fields.
    static func o(_ fields: [(String, JSONValue?)]) -> JSONValue {
        var out: [String: JSONValue] = [:]
        for (k, v) in fields { if let v { out[k] = v } }
        return .object(out)
    }
}
