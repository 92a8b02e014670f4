import CNCCore

extension GoTemplate {
    /// One argument of a command: a field path from dot (`.A.B`, `.` is dot itself), a variable
    /// with an optional path (`$`, `$v.A`), a literal, a function name, or a parenthesised pipeline.
    indirect enum Term: Equatable {
        case field([String])
        case variable(String, [String])
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
        enum Token { case text(String), action(String) }
        var tokens: [Token] = []
        var position = 0

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
                    tokens.append(.action("\u{0}unclosed"))
                    return tokens
                }
                var body = inner[..<close.lowerBound]
                if body.hasPrefix("- ") || body == "-" { body = body.dropFirst(); before = String(before.reversed().drop(while: \.isWhitespace).reversed()) }
                trimNext = body.hasSuffix(" -")
                if trimNext { body = body.dropLast() }
                if !before.isEmpty { tokens.append(.text(before)) }
                tokens.append(.action(String(body).trimmingSpaces))
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
            return nodes
        }

        /// Nodes up to an `end`/`else` (returned) or the end of input (nil).
        mutating func parseList() throws -> ([Node], String?) {
            var nodes: [Node] = []
            while position < tokens.count {
                let token = tokens[position]
                position += 1
                switch token {
                case .text(let t): nodes.append(.text(t))
                case .action(let a):
                    if a == "\u{0}unclosed" { throw GoTemplate.error(":1: unclosed action") }
                    if a.hasPrefix("/*") { continue }
                    let word = a.prefix { !$0.isWhitespace }
                    switch word {
                    case "end": return (nodes, "end")
                    case "else": return (nodes, a)
                    case "range", "if", "with":
                        let pipe = try Self.pipeline(String(a.dropFirst(word.count)), keyword: String(word))
                        nodes.append(try block(String(word), pipe))
                    default:
                        nodes.append(.action(try Self.pipeline(a, keyword: nil)))
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
                    otherwise = [try block(inner, try Self.pipeline(String(rest.dropFirst(inner.count)), keyword: inner))]
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

        /// `[$a[, $b] :=] cmd [| cmd ...]`.
        static func pipeline(_ text: String, keyword: String?) throws -> Pipeline {
            var words = try words(text)
            var pipe = Pipeline()
            if let assign = words.firstIndex(of: ":=") {
                pipe.declare = words[..<assign].map { $0.hasSuffix(",") ? String($0.dropLast()) : $0 }.filter { !$0.isEmpty }
                guard pipe.declare.allSatisfy({ $0.hasPrefix("$") }) else { throw GoTemplate.error(":1: bad variable declaration in \(text)") }
                words = Array(words[(assign + 1)...])
            }
            var command: [Term] = []
            for w in words {
                if w == "|" {
                    guard !command.isEmpty else { throw GoTemplate.error(":1: missing command in pipeline") }
                    pipe.commands.append(command)
                    command = []
                } else {
                    command.append(try term(w))
                }
            }
            guard !command.isEmpty else { throw GoTemplate.error(":1: missing value for \(keyword ?? "command")") }
            pipe.commands.append(command)
            return pipe
        }

        static func term(_ w: String) throws -> Term {
            if w.hasPrefix("("), let close = w.lastIndex(of: ")") {
                // `(pipeline)` or `(pipeline).Field.Path`.
                let path = w[w.index(after: close)...]
                guard path.isEmpty || path.hasPrefix(".") else { throw GoTemplate.error(":1: bad character in \"\(w)\"") }
                return .pipeline(try pipeline(String(w[w.index(after: w.startIndex)..<close]), keyword: nil), path.split(separator: ".").map(String.init))
            }
            if w.hasPrefix("\"") || w.hasPrefix("`") {
                guard w.count >= 2, w.last == w.first else { throw GoTemplate.error(":1: unterminated quoted string") }
                return .literal(.string(unquote(String(w.dropFirst().dropLast()))))
            }
            if w == "." { return .field([]) }
            if w.hasPrefix(".") { return .field(w.dropFirst().split(separator: ".").map(String.init)) }
            if w.hasPrefix("$") {
                let parts = w.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                return .variable(parts[0], Array(parts.dropFirst()))
            }
            if w == "true" || w == "false" { return .literal(.bool(w == "true")) }
            if w == "nil" { return .literal(.null) }
            if let i = Int64(w) { return .literal(.int(i)) }
            if let d = Double(w) { return .literal(.double(d)) }
            guard w.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { throw GoTemplate.error(":1: bad character in \"\(w)\"") }
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

        /// Words of an action: quoted strings and parenthesised groups stay whole, `|` and
        /// `:=` stand alone.
        static func words(_ s: String) throws -> [String] {
            var words: [String] = []
            var cur = ""
            var depth = 0
            var quote: Character?
            func flush() { if !cur.isEmpty { words.append(cur); cur = "" } }
            for c in s {
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
                case "|" where depth == 0: flush(); words.append("|")
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
