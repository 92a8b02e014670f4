import CNCCore

extension GoTemplate {
    /// One argument of a command: a field path from dot (`.A.B`, `.` is dot itself), a variable
    /// with an optional path (`$`, `$v.A`), a literal, a function name, or a parenthesised pipeline.
    /// Fields and variables keep Go's position of their node (`at`: a byte offset in the
    /// template), which execution errors name as `:LINE:COL:`.
    indirect enum Term: Equatable {
        case field([String], at: Int)
        case variable(String, [String], at: Int)
        case literal(JSONValue)
        case function(String)
        case pipeline(Pipeline, [String])
    }

    /// `cmd | cmd | ...`: each command is its terms; a command's result becomes the last
    /// argument of the next. `declare` holds the variables a range/with/assignment binds.
    struct Pipeline: Equatable {
        var declare: [String] = []
        var commands: [[Term]] = []
    }

    indirect enum Node {
        case text(String)
        case action(Pipeline)
        case range(Pipeline, body: [Node], otherwise: [Node])
        case when(Pipeline, body: [Node], otherwise: [Node])
        case with(Pipeline, body: [Node], otherwise: [Node])
    }

    /// Turns the text into nodes, reporting Go's parse errors.
    struct Parser {
        /// An action's text comes with the byte offset where it begins in the template.
        enum Token { case text(String), action(String, at: Int) }
        var tokens: [Token] = []
        var position = 0
        /// Where the last `{{else ...}}` parseList returned begins.
        var elseAt = 0

        init(_ text: String) { tokens = Self.lex(text) }

        /// Splits text and actions, applying `{{-` / `-}}` trimming of the text beside them.
        static func lex(_ text: String) -> [Token] {
            var tokens: [Token] = []
            var rest = Substring(text)
            var trimNext = false
            while let open = rest.range(of: "{{") {
                var before = String(rest[..<open.lowerBound])
                if trimNext { before = String(before.drop(while: \.isWhitespace)) }
                var inner = rest[open.upperBound...]
                guard let close = Self.closing(inner) else {
                    tokens.append(.text(before))
                    tokens.append(.action("\u{0}unclosed", at: 0))
                    return tokens
                }
                var body = inner[..<close.lowerBound]
                if body.hasPrefix("- ") || body == "-" { body = body.dropFirst(); before = String(before.reversed().drop(while: \.isWhitespace).reversed()) }
                trimNext = body.hasSuffix(" -")
                if trimNext { body = body.dropLast() }
                if !before.isEmpty { tokens.append(.text(before)) }
                let start = body.drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }.startIndex
                tokens.append(.action(String(body).trimmingSpaces, at: text.utf8.distance(from: text.startIndex, to: start)))
                inner = inner[close.upperBound...]
                rest = inner
            }
            let tail = trimNext ? String(rest.drop(while: \.isWhitespace)) : String(rest)
            if !tail.isEmpty { tokens.append(.text(tail)) }
            return tokens
        }

        /// The `}}` that closes an action, skipping ones inside string literals.
        static func closing(_ s: Substring) -> Range<Substring.Index>? {
            var quoted = false
            var i = s.startIndex
            while i < s.endIndex {
                let c = s[i]
                if quoted && c == "\\" { i = s.index(after: i); if i < s.endIndex { i = s.index(after: i) }; continue }
                if c == "\"" { quoted.toggle() }
                if !quoted && s[i...].hasPrefix("}}") { return i..<s.index(i, offsetBy: 2) }
                i = s.index(after: i)
            }
            return nil
        }

        mutating func parse() throws -> [Node] {
            let (nodes, end) = try parseList()
            if let end { throw GoTemplate.error(":1: unexpected {{\(end)}}") }
            var variables = ["$"]
            try Self.checkVariables(nodes, &variables)
            return nodes
        }

        /// Go's parse-time rule: a variable is used only where it is declared: from its `:=` to
        /// the `end` of the block it is in (a range/with/if's own variables: through its end).
        static func checkVariables(_ nodes: [Node], _ variables: inout [String]) throws {
            func check(_ pipe: Pipeline) throws {
                for term in pipe.commands.joined() {
                    switch term {
                    case .variable(let name, _, _):
                        guard variables.contains(name) else { throw GoTemplate.error(":1: undefined variable \"\(name)\"") }
                    case .pipeline(let inner, _): try check(inner)
                    default: break
                    }
                }
            }
            for node in nodes {
                switch node {
                case .text: break
                case .action(let pipe):
                    variables += pipe.declare
                    try check(pipe)
                case .range(let pipe, let body, let otherwise), .when(let pipe, let body, let otherwise), .with(let pipe, let body, let otherwise):
                    let outer = variables.count
                    variables += pipe.declare
                    try check(pipe)
                    try checkVariables(body, &variables)
                    try checkVariables(otherwise, &variables)
                    variables.removeLast(variables.count - outer)
                }
            }
        }

        /// Nodes up to an `end`/`else` (returned) or the end of input (nil).
        mutating func parseList() throws -> ([Node], String?) {
            var nodes: [Node] = []
            while position < tokens.count {
                let token = tokens[position]
                position += 1
                switch token {
                case .text(let t): nodes.append(.text(t))
                case .action(let a, let at):
                    if a == "\u{0}unclosed" { throw GoTemplate.error(":1: unclosed action") }
                    if a.hasPrefix("/*") { continue }
                    let word = a.prefix { !$0.isWhitespace }
                    switch word {
                    case "end": return (nodes, "end")
                    case "else": elseAt = at; return (nodes, a)
                    case "range", "if", "with":
                        let pipe = try Self.pipeline(String(a.dropFirst(word.count)), keyword: String(word), at: at + word.utf8.count)
                        nodes.append(try block(String(word), pipe))
                    default:
                        nodes.append(.action(try Self.pipeline(a, keyword: nil, at: at)))
                    }
                }
            }
            return (nodes, nil)
        }

        /// The body (and `else` part) of a range/if/with, through its `end`.
        mutating func block(_ keyword: String, _ pipe: Pipeline) throws -> Node {
            let (body, end) = try parseList()
            var otherwise: [Node] = []
            guard let end else { throw GoTemplate.error(":1: unexpected EOF") }
            if end != "end" {
                let rest = String(end.dropFirst(4)).trimmingSpaces
                if rest.isEmpty {
                    let (e, close) = try parseList()
                    guard close == "end" else { throw GoTemplate.error(":1: expected end; found \(close.map { "{{\($0)}}" } ?? "EOF")") }
                    otherwise = e
                } else if rest.hasPrefix("if ") || rest.hasPrefix("with ") {
                    // `else if X` is `else` + a nested `if X ... end` sharing this block's end.
                    let inner = String(rest.prefix { !$0.isWhitespace })
                    let at = elseAt + end.utf8.count - rest.utf8.count + inner.utf8.count
                    otherwise = [try block(inner, try Self.pipeline(String(rest.dropFirst(inner.count)), keyword: inner, at: at))]
                } else {
                    throw GoTemplate.error(":1: unexpected \"\(rest)\" in else")
                }
            }
            switch keyword {
            case "range": return .range(pipe, body: body, otherwise: otherwise)
            case "with": return .with(pipe, body: body, otherwise: otherwise)
            default: return .when(pipe, body: body, otherwise: otherwise)
            }
        }

        /// `[$a[, $b] :=] cmd [| cmd ...]`; `at`: the byte offset of `text` in the template.
        static func pipeline(_ text: String, keyword: String?, at base: Int) throws -> Pipeline {
            var words = try words(text)
            var pipe = Pipeline()
            if let assign = words.firstIndex(where: { $0.text == ":=" }) {
                pipe.declare = words[..<assign].map { $0.text.hasSuffix(",") ? String($0.text.dropLast()) : $0.text }.filter { !$0.isEmpty }
                guard pipe.declare.allSatisfy({ $0.hasPrefix("$") }) else { throw GoTemplate.error(":1: bad variable declaration in \(text)") }
                words = Array(words[(assign + 1)...])
            }
            var command: [Term] = []
            for (w, offset) in words {
                if w == "|" {
                    guard !command.isEmpty else { throw GoTemplate.error(":1: missing command in pipeline") }
                    pipe.commands.append(command)
                    command = []
                } else {
                    command.append(try term(w, at: base + offset))
                }
            }
            guard !command.isEmpty else { throw GoTemplate.error(":1: missing value for \(keyword ?? "command")") }
            pipe.commands.append(command)
            return pipe
        }

        /// The term `w`, which begins at byte `at` of the template. A field or variable with a
        /// path has the position Go gives its chain: that of its second part (`.B` of `.A.B`).
        static func term(_ w: String, at: Int) throws -> Term {
            if w.hasPrefix("("), let close = w.lastIndex(of: ")") {
                // `(pipeline)` or `(pipeline).Field.Path`.
                let path = w[w.index(after: close)...]
                guard path.isEmpty || path.hasPrefix(".") else { throw GoTemplate.error(":1: bad character in \"\(w)\"") }
                return .pipeline(try pipeline(String(w[w.index(after: w.startIndex)..<close]), keyword: nil, at: at + 1), path.split(separator: ".").map(String.init))
            }
            if w.hasPrefix("\"") || w.hasPrefix("`") {
                guard w.count >= 2, w.last == w.first else { throw GoTemplate.error(":1: unterminated quoted string") }
                return .literal(.string(unquote(String(w.dropFirst().dropLast()))))
            }
            if w == "." { return .field([], at: at) }
            if w.hasPrefix(".") {
                let path = w.dropFirst().split(separator: ".").map(String.init)
                return .field(path, at: path.count > 1 ? at + 1 + path[0].utf8.count : at)
            }
            if w.hasPrefix("$") {
                let parts = w.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                return .variable(parts[0], Array(parts.dropFirst()), at: parts.count > 1 ? at + parts[0].utf8.count : at)
            }
            if w == "true" || w == "false" { return .literal(.bool(w == "true")) }
            if w == "nil" { return .literal(.null) }
            if let i = Int64(w) { return .literal(.int(i)) }
            if let d = Double(w) { return .literal(.double(d)) }
            guard w.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { throw GoTemplate.error(":1: bad character in \"\(w)\"") }
            guard GoTemplate.functionNames.contains(w) else { throw GoTemplate.error(":1: function \"\(w)\" not defined") }
            return .function(w)
        }

        static func unquote(_ s: String) -> String {
            var out = ""
            var escaped = false
            for c in s {
                if escaped {
                    switch c { case "n": out.append("\n"); case "t": out.append("\t"); default: out.append(c) }
                    escaped = false
                } else if c == "\\" { escaped = true } else { out.append(c) }
            }
            return out
        }

        /// Words of an action, each with its byte offset in `s`: quoted strings and
        /// parenthesised groups stay whole, `|` and `:=` stand alone.
        static func words(_ s: String) throws -> [(text: String, offset: Int)] {
            var words: [(text: String, offset: Int)] = []
            var cur = ""
            var start = 0, offset = 0
            var depth = 0
            var quote: Character?
            func flush() { if !cur.isEmpty { words.append((cur, start)); cur = "" } }
            for c in s {
                defer { offset += c.utf8.count }
                if cur.isEmpty { start = offset }
                if let q = quote {
                    cur.append(c)
                    if c == q && !(q == "\"" && cur.hasSuffix("\\\"") && !cur.hasSuffix("\\\\\"")) { quote = nil }
                    continue
                }
                switch c {
                case "\"", "`": quote = c; cur.append(c)
                case "(": depth += 1; cur.append(c)
                case ")":
                    depth -= 1
                    guard depth >= 0 else { throw GoTemplate.error(":1: unexpected right paren") }
                    cur.append(c)
                case "|" where depth == 0: flush(); words.append(("|", offset))
                case let w where (w == " " || w == "\t" || w == "\n") && depth == 0: flush()
                default: cur.append(c)
                }
            }
            guard quote == nil else { throw GoTemplate.error(":1: unterminated quoted string") }
            guard depth == 0 else { throw GoTemplate.error(":1: unclosed left paren") }
            flush()
            return words
        }
    }
}
