import CNCCore
import Foundation

extension GoTemplate {
    /// Runs parsed nodes: dot, `$` (the root) and the variables of enclosing blocks. A value
    /// is nil where Go has "no value" (a missing map key): printed as `<no value>`, false.
    struct Scope {
        var variables: [[String: JSONValue]]
        /// Go's `missingkey=error` (GoTemplate.missingKeyIsError).
        var strict = false
        /// The template's text, for the `:LINE:COL:` of an execution error.
        var source = ""

        init(root: JSONValue, strict: Bool = false, source: String = "") {
            variables = [["$": root]]
            self.strict = strict
            self.source = source
        }

        mutating func run(_ nodes: [Node], dot: JSONValue, into out: inout String) throws {
            for node in nodes {
                switch node {
                case .text(let t): out += t
                case .action(let pipe):
                    let v = try evaluate(pipe, dot: dot)
                    if pipe.declare.isEmpty { out += v.map(GoTemplate.plain) ?? "<no value>" }
                case .when(let pipe, let body, let otherwise):
                    try nested { try $0.run(Self.truthy(try $0.evaluate(pipe, dot: dot)) ? body : otherwise, dot: dot, into: &out) }
                case .with(let pipe, let body, let otherwise):
                    try nested { s in
                        let v = try s.evaluate(pipe, dot: dot)
                        if Self.truthy(v), let v { try s.run(body, dot: v, into: &out) } else { try s.run(otherwise, dot: dot, into: &out) }
                    }
                case .range(let pipe, let body, let otherwise):
                    try nested { s in
                        let items: [(JSONValue, JSONValue)]
                        switch try s.evaluate(Pipeline(commands: pipe.commands), dot: dot) {
                        case .array(let a)?: items = a.enumerated().map { (.int(Int64($0.offset)), $0.element) }
                        case .object(let o)?: items = o.keys.sorted().map { (.string($0), o[$0] ?? .null) }
                        case .int(let n)?: items = (0..<max(0, n)).map { (.int($0), .int($0)) }
                        case nil, .null?: items = []
                        case let v?: throw CNCError(.invalidArgument, "template: range can't iterate over \(GoTemplate.plain(v))")
                        }
                        if items.isEmpty { try s.run(otherwise, dot: dot, into: &out); return }
                        for (key, element) in items {
                            switch pipe.declare.count {
                            case 1: s.variables[s.variables.count - 1][pipe.declare[0]] = element
                            case 2:
                                s.variables[s.variables.count - 1][pipe.declare[0]] = key
                                s.variables[s.variables.count - 1][pipe.declare[1]] = element
                            default: break
                            }
                            try s.run(body, dot: element, into: &out)
                        }
                    }
                }
            }
        }

        mutating func nested(_ body: (inout Scope) throws -> Void) throws {
            variables.append([:])
            defer { variables.removeLast() }
            try body(&self)
        }

        mutating func evaluate(_ pipe: Pipeline, dot: JSONValue) throws -> JSONValue? {
            var result: JSONValue??
            for command in pipe.commands {
                result = .some(try call(command, dot: dot, piped: result))
            }
            let value = result ?? nil
            if let name = pipe.declare.first, pipe.declare.count == 1 { variables[variables.count - 1][name] = value ?? .null }
            return value
        }

        mutating func call(_ command: [Term], dot: JSONValue, piped: JSONValue??) throws -> JSONValue? {
            guard let head = command.first else { return nil }
            if case .function(let name) = head {
                var args: [JSONValue?] = []
                for t in command.dropFirst() { args.append(try value(t, dot: dot)) }
                if let piped { args.append(piped) }
                return try GoTemplate.function(name, args)
            }
            guard command.count == 1, piped == nil else {
                throw CNCError(.invalidArgument, "template: can't give argument to non-function \(command.count > 1 ? "value" : "pipeline")")
            }
            return try value(head, dot: dot)
        }

        mutating func value(_ term: Term, dot: JSONValue) throws -> JSONValue? {
            switch term {
            case .literal(let v): return v
            case .field(let path, let at):
                return try located(at, path.isEmpty ? "." : path.map { "." + $0 }.joined()) { try GoTemplate.lookup(path, in: dot, strict: strict) }
            case .variable(let name, let path, let at):
                guard let v = variables.reversed().first(where: { $0[name] != nil })?[name] else {
                    throw CNCError(.invalidArgument, "template: undefined variable \"\(name)\"")
                }
                return try located(at, name + path.map { "." + $0 }.joined()) { try GoTemplate.lookup(path, in: v, strict: strict) }
            case .pipeline(let p, let path):
                let v = try evaluate(p, dot: dot)
                do { return path.isEmpty ? v : try GoTemplate.lookup(path, in: v ?? .null) } catch let f as ExecFailure { throw CNCError(.invalidArgument, "template: \(f.message)") }
            case .function(let name): return try GoTemplate.function(name, [])
            }
        }

        /// Go's execution error of the node `node` at byte `at`: `template: :LINE:COL: executing
        /// "" at <NODE>: MESSAGE` (COL counts bytes from 0 in its line), behind docker's
        /// "template parsing error: " in inspect's strict mode.
        func located(_ at: Int, _ node: String, _ body: () throws -> JSONValue?) throws -> JSONValue? {
            do { return try body() } catch let f as ExecFailure {
                let before = source.utf8.prefix(max(0, at))
                let line = 1 + before.filter { $0 == 10 }.count
                let column = before.count - (before.lastIndex(of: 10).map { before.distance(from: before.startIndex, to: $0) + 1 } ?? 0)
                let message = "template: :\(line):\(column): executing \"\" at <\(node)>: \(f.message)"
                throw CNCError(.invalidArgument, strict ? "template parsing error: " + message : message)
            }
        }

        static func truthy(_ v: JSONValue?) -> Bool {
            switch v {
            case nil, .null?: return false
            case .bool(let b)?: return b
            case .int(let i)?: return i != 0
            case .double(let d)?: return d != 0
            case .string(let s)?: return !s.isEmpty
            case .array(let a)?: return !a.isEmpty
            case .object(let o)?: return !o.isEmpty
            }
        }
    }

    /// An execution error in Go's words, before Scope.located adds where it happened.
    struct ExecFailure: Error { let message: String }

    /// Follows field names from `value`: exact names first, else case-insensitively (docker's
    /// documents are Go structs, whose fields the templates name in any case). A missing key of
    /// a map is "no value" (`strict`: an error in Go's words, as docker's inspect has it); a
    /// field of something that is not a map is an error.
    static func lookup(_ path: [String], in value: JSONValue, strict: Bool = false) throws -> JSONValue? {
        var v: JSONValue? = value
        for key in path {
            switch v {
            case .object(let o)?:
                v = o[key] ?? o.first(where: { $0.key.lowercased() == key.lowercased() })?.value
                if v == nil && strict { throw ExecFailure(message: "map has no entry for key \"\(key)\"") }
            case nil, .null?:
                return nil
            default:
                // docker's inspect runs strict templates over the raw JSON, whose values are
                // all Go's `interface {}`.
                throw ExecFailure(message: "can't evaluate field \(key) in type \(strict ? "interface {}" : typeName(v))")
            }
        }
        return v
    }

    static func typeName(_ v: JSONValue?) -> String {
        switch v {
        case .bool?: return "bool"
        case .int?: return "int"
        case .double?: return "float64"
        case .string?: return "string"
        case .array?: return "[]interface {}"
        default: return "interface {}"
        }
    }
}
