import CNCCore

/// One changed leaf between two configurations: `environment.PORT "80" -> "8080"`.
public struct ConfigChange: Sendable, Codable, Equatable, CustomStringConvertible {
    public var path: String
    public var old: JSONValue?
    public var new: JSONValue?

    public init(path: String, old: JSONValue?, new: JSONValue?) {
        self.path = path
        self.old = old
        self.new = new
    }

    public var description: String {
        switch (old, new) {
        case (nil, let n?): "\(path) added \(Self.render(n))"
        case (let o?, nil): "\(path) removed (was \(Self.render(o)))"
        case (let o?, let n?): "\(path) \(Self.render(o)) -> \(Self.render(n))"
        case (nil, nil): path
        }
    }

    static func render(_ v: JSONValue) -> String {
        let text = (try? CanonicalJSON.string(v)) ?? "?"
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }
}

/// Differences between applied and desired sections, leaf by leaf, in a stable order.
public enum SectionDiff {
    public static func changes(old: [String: JSONValue], new: [String: JSONValue]) -> [ConfigChange] {
        var out: [ConfigChange] = []
        for key in Set(old.keys).union(new.keys).sorted() {
            walk(key, old[key], new[key], into: &out)
        }
        return out
    }

    static func walk(_ path: String, _ a: JSONValue?, _ b: JSONValue?, into out: inout [ConfigChange]) {
        if a == b { return }
        // A null section is the same as an absent one.
        let a = a == .null ? nil : a
        let b = b == .null ? nil : b
        if a == b { return }
        if case .object(let x)? = a, case .object(let y)? = b {
            for key in Set(x.keys).union(y.keys).sorted() {
                walk(path + "." + key, x[key], y[key], into: &out)
            }
            return
        }
        out.append(ConfigChange(path: path, old: a, new: b))
    }
}
