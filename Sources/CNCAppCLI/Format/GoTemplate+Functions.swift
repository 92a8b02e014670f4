import CNCCore
import Foundation

extension GoTemplate {
    /// The names `function` knows: a template naming another one does not parse (Go's rule).
    static let functionNames: Set<String> = ["json", "upper", "lower", "title", "join", "split", "pad", "truncate", "len", "index",
                                             "print", "println", "printf", "not", "and", "or", "eq", "ne", "lt", "le", "gt", "ge"]

    /// Go's template builtins and the functions docker's CLI adds.
    static func function(_ name: String, _ args: [JSONValue?]) throws -> JSONValue? {
        func need(_ n: Int) throws {
            guard args.count == n else {
                throw CNCError(.invalidArgument, "template: wrong number of args for \(name): want \(n) got \(args.count)")
            }
        }
        func text(_ i: Int) -> String { args[i].map(plain) ?? "" }
        switch name {
        case "json":
            try need(1)
            return .string(String(decoding: try CanonicalJSON.encode(args[0] ?? .null), as: UTF8.self))
        case "upper": try need(1); return .string(text(0).uppercased())
        case "lower": try need(1); return .string(text(0).lowercased())
        case "title": try need(1); return .string(text(0).capitalized)
        case "join":
            try need(2)
            guard case .array(let a)? = args[0] else { return .string(text(0)) }
            return .string(a.map(plain).joined(separator: text(1)))
        case "split":
            try need(2)
            return .array(text(0).components(separatedBy: text(1)).map { .string($0) })
        case "pad":
            try need(3)
            func n(_ i: Int) -> Int { if case .int(let v)? = args[i] { return Int(max(0, v)) }; return 0 }
            return .string(String(repeating: " ", count: n(1)) + text(0) + String(repeating: " ", count: n(2)))
        case "truncate":
            try need(2)
            guard case .int(let n)? = args[1] else { return .string(text(0)) }
            return .string(String(text(0).prefix(Int(max(0, n)))))
        case "len":
            try need(1)
            switch args[0] {
            case .array(let a)?: return .int(Int64(a.count))
            case .object(let o)?: return .int(Int64(o.count))
            case .string(let s)?: return .int(Int64(s.utf8.count))
            default: throw CNCError(.invalidArgument, "template: error calling len: len of \(typeName(args[0]))")
            }
        case "index":
            guard var v = args.first ?? nil else { return nil }
            for key in args.dropFirst() {
                switch (v, key) {
                case (.array(let a), .int(let i)?):
                    guard i >= 0 && Int(i) < a.count else {
                        throw CNCError(.invalidArgument, "template: error calling index: index out of range: \(i)")
                    }
                    v = a[Int(i)]
                case (.object(let o), .string(let k)?):
                    guard let next = o[k] else { return nil }
                    v = next
                case (.null, _): return nil
                default: throw CNCError(.invalidArgument, "template: error calling index: cannot index \(typeName(v))")
                }
            }
            return v
        case "print": return .string(args.map { $0.map(plain) ?? "<nil>" }.joined())
        case "println": return .string(args.map { $0.map(plain) ?? "<nil>" }.joined(separator: " ") + "\n")
        case "printf":
            guard !args.isEmpty else { try need(1); return nil }
            return .string(printf(text(0), Array(args.dropFirst())))
        case "not": try need(1); return .bool(!Scope.truthy(args[0]))
        case "and": return args.first(where: { !Scope.truthy($0) }) ?? args.last ?? nil
        case "or": return args.first(where: { Scope.truthy($0) }) ?? args.last ?? nil
        case "eq":
            guard args.count >= 2 else { try need(2); return nil }
            return .bool(args.dropFirst().contains { compare(args[0], $0) == 0 })
        case "ne": try need(2); return .bool(compare(args[0], args[1]) != 0)
        case "lt": try need(2); return .bool(compare(args[0], args[1]) < 0)
        case "le": try need(2); return .bool(compare(args[0], args[1]) <= 0)
        case "gt": try need(2); return .bool(compare(args[0], args[1]) > 0)
        case "ge": try need(2); return .bool(compare(args[0], args[1]) >= 0)
        default:
            throw CNCError(.invalidArgument, "template parsing error: template: :1: function \"\(name)\" not defined")
        }
    }

    /// -1, 0, 1; numbers compare as numbers, everything else as printed.
    static func compare(_ a: JSONValue?, _ b: JSONValue?) -> Int {
        func number(_ v: JSONValue?) -> Double? {
            switch v { case .int(let i)?: return Double(i); case .double(let d)?: return d; default: return nil }
        }
        if let x = number(a), let y = number(b) { return x < y ? -1 : (x > y ? 1 : 0) }
        let x = a.map(plain) ?? "", y = b.map(plain) ?? ""
        return x < y ? -1 : (x > y ? 1 : 0)
    }

    /// Go's fmt verbs that templates use: %s %v %d %q %%, with an optional width (%-12s).
    static func printf(_ format: String, _ args: [JSONValue?]) -> String {
        var out = ""
        var next = 0
        var chars = Array(format)[...]
        while let c = chars.popFirst() {
            guard c == "%" else { out.append(c); continue }
            var spec = ""
            while let f = chars.first, f == "-" || f.isNumber { spec.append(f); chars = chars.dropFirst() }
            guard let verb = chars.popFirst() else { out += "%!(NOVERB)"; break }
            if verb == "%" { out += "%"; continue }
            guard next < args.count else { out += "%!\(verb)(MISSING)"; continue }
            let arg = args[next]
            next += 1
            var s = arg.map(plain) ?? "<nil>"
            if verb == "q" { s = "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            if let width = Int(spec.filter(\.isNumber)), s.count < width {
                let fill = String(repeating: " ", count: width - s.count)
                s = spec.hasPrefix("-") ? s + fill : fill + s
            }
            out += s
        }
        return out
    }
}
