/// BuildKit's shell-word processing (frontend/dockerfile/shell, Dockerfile 1.x stable): quotes,
/// the escape character, and variable substitution — `$VAR`, `${VAR}`, `${VAR:-word}`,
/// `${VAR-word}`, `${VAR:+word}`, `${VAR+word}`, `${VAR:?msg}`, `${VAR?msg}`, `${VAR#pat}`,
/// `${VAR##pat}`, `${VAR%pat}`, `${VAR%%pat}`, `${VAR/pat/repl}`, `${VAR//pat/repl}` (patterns:
/// `*` and `?`, no bracket expressions, as BuildKit). Substitution never runs a command.
public struct ShellLexer: Sendable {
    public var escape: Unicode.Scalar
    /// Keep quote characters in the result (heredoc detection).
    public var rawQuotes = false
    /// Keep escape characters in the result.
    public var rawEscapes = false
    /// Leave an unset variable's reference as written (`$X` stays `$X`).
    public var skipUnsetEnv = false
    /// Quotes are plain characters (BuildKit's SkipProcessQuotes: COPY/ADD heredoc contents,
    /// where only `$` and the escape character are special).
    public var skipProcessQuotes = false

    /// Deepest `${a:-${b:-...}}` nesting accepted: hostile input fails, never overflows the stack.
    public static let maxNesting = 64

    public init(escape: Unicode.Scalar = "\\") { self.escape = escape }

    public struct Result: Sendable, Equatable {
        /// The word after quote removal and substitution.
        public var value: String
        /// The same, split on unquoted whitespace.
        public var words: [String]
        /// Variables that were referenced and set / referenced and unset.
        public var matched: Set<String>
        public var unmatched: Set<String>
    }

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Processes `word` against `env` (a variable is set when it has a key, even with an empty value).
    public func process(_ word: String, env: [String: String]) throws(Failure) -> Result {
        var state = LexState(lexer: self, source: Array(word.unicodeScalars), env: env)
        do {
            let (value, words) = try state.processStopOn(nil, rawEscapes: rawEscapes)
            return Result(value: value, words: words, matched: state.matched, unmatched: state.unmatched)
        } catch {
            throw Failure(message: "failed to process \(StepText.quoteJSON(word)): \(error.message)")
        }
    }

    /// The substituted word (quotes removed).
    public func word(_ word: String, env: [String: String]) throws(Failure) -> String {
        try process(word, env: env).value
    }
}

/// Whitespace as Go's unicode.IsSpace sees it.
func isGoSpace(_ c: Unicode.Scalar) -> Bool {
    switch c.value {
    case 0x09...0x0D, 0x20, 0x85, 0xA0: true
    default: c.value > 0xFF && c.properties.isWhitespace
    }
}

private struct WordsBuilder {
    var word = ""
    var words: [String] = []
    var inWord = false

    mutating func addChar(_ c: Unicode.Scalar) {
        if isGoSpace(c) {
            if inWord, !word.isEmpty {
                words.append(word)
                word = ""
                inWord = false
            }
        } else {
            addRawChar(c)
        }
    }
    mutating func addRawChar(_ c: Unicode.Scalar) { word.unicodeScalars.append(c); inWord = true }
    mutating func addString(_ s: String) { for c in s.unicodeScalars { addChar(c) } }
    mutating func addRawString(_ s: String) { word += s; inWord = true }
    mutating func finish() -> [String] {
        if !word.isEmpty { words.append(word); word = ""; inWord = false }
        return words
    }
}

private struct LexState {
    let lexer: ShellLexer
    let source: [Unicode.Scalar]
    let env: [String: String]
    var pos = 0
    var rawEscapes = false
    var depth = 0
    var matched: Set<String> = []
    var unmatched: Set<String> = []

    init(lexer: ShellLexer, source: [Unicode.Scalar], env: [String: String]) {
        self.lexer = lexer
        self.source = source
        self.env = env
        rawEscapes = lexer.rawEscapes
    }

    func peek() -> Unicode.Scalar? { pos < source.count ? source[pos] : nil }
    mutating func next() -> Unicode.Scalar? {
        guard pos < source.count else { return nil }
        defer { pos += 1 }
        return source[pos]
    }

    mutating func processStopOn(_ stop: Unicode.Scalar?, rawEscapes raw: Bool) throws(ShellLexer.Failure) -> (String, [String]) {
        depth += 1
        guard depth <= ShellLexer.maxNesting else {
            throw ShellLexer.Failure(message: "syntax error: substitutions nested deeper than \(ShellLexer.maxNesting) levels")
        }
        let saved = rawEscapes
        rawEscapes = raw
        defer { rawEscapes = saved; depth -= 1 }
        var result = ""
        var words = WordsBuilder()
        while let ch = peek() {
            if let stop, ch == stop {
                pos += 1
                return (result, words.finish())
            }
            if ch == "$" {
                let tmp = try processDollar()
                result += tmp
                words.addString(tmp)
            } else if ch == "'", !lexer.skipProcessQuotes {
                let tmp = try processSingleQuote()
                result += tmp
                words.addRawString(tmp)
            } else if ch == "\"", !lexer.skipProcessQuotes {
                let tmp = try processDoubleQuote()
                result += tmp
                words.addRawString(tmp)
            } else {
                var c = ch
                pos += 1
                if c == lexer.escape {
                    if rawEscapes {
                        words.addRawChar(c)
                        result.unicodeScalars.append(c)
                    }
                    guard let n = next() else { break }
                    c = n
                    words.addRawChar(c)
                } else {
                    words.addChar(c)
                }
                result.unicodeScalars.append(c)
            }
        }
        if let stop {
            throw ShellLexer.Failure(message: "unexpected end of statement while looking for matching \(Character(stop))")
        }
        return (result, words.finish())
    }

    mutating func processSingleQuote() throws(ShellLexer.Failure) -> String {
        var result = ""
        let open = next()
        if lexer.rawQuotes, let open { result.unicodeScalars.append(open) }
        while true {
            guard let ch = next() else {
                throw ShellLexer.Failure(message: "unexpected end of statement while looking for matching single-quote")
            }
            if ch == "'" {
                if lexer.rawQuotes { result.unicodeScalars.append(ch) }
                return result
            }
            result.unicodeScalars.append(ch)
        }
    }

    mutating func processDoubleQuote() throws(ShellLexer.Failure) -> String {
        var result = ""
        let open = next()
        if lexer.rawQuotes, let open { result.unicodeScalars.append(open) }
        while true {
            guard let p = peek() else {
                throw ShellLexer.Failure(message: "unexpected end of statement while looking for matching double-quote")
            }
            if p == "\"" {
                pos += 1
                if lexer.rawQuotes { result.unicodeScalars.append(p) }
                return result
            }
            if p == "$" {
                result += try processDollar()
                continue
            }
            var ch = p
            pos += 1
            if ch == lexer.escape {
                if rawEscapes { result.unicodeScalars.append(ch) }
                guard let n = peek() else { continue }
                if n == "\"" || n == "$" || n == lexer.escape {
                    ch = n
                    pos += 1
                }
            }
            result.unicodeScalars.append(ch)
        }
    }

    mutating func lookup(_ name: String) -> String? {
        if let v = env[name] {
            matched.insert(name)
            return v
        }
        unmatched.insert(name)
        return nil
    }

    mutating func processDollar() throws(ShellLexer.Failure) -> String {
        pos += 1
        if peek() != "{" {
            let name = processName()
            if name.isEmpty { return "$" }
            let value = lookup(name)
            if value == nil, lexer.skipUnsetEnv { return "$" + name }
            return value ?? ""
        }
        pos += 1
        switch peek() {
        case nil: throw ShellLexer.Failure(message: "syntax error: missing '}'")
        case "{", "}", ":": throw ShellLexer.Failure(message: "syntax error: bad substitution")
        default: break
        }
        let name = processName()
        guard var ch = next() else { throw ShellLexer.Failure(message: "syntax error: missing '}'") }
        var modifier = String(Character(ch))
        var nullIsUnset = false
        switch ch {
        case "}":
            let value = lookup(name)
            if value == nil, lexer.skipUnsetEnv { return "${\(name)}" }
            return value ?? ""
        case ":", "+", "-", "?", "#", "%":
            if ch == ":" {
                nullIsUnset = true
                guard let n = next() else { throw ShellLexer.Failure(message: "syntax error: missing '}'") }
                ch = n
                modifier.unicodeScalars.append(n)
            }
            let (word, _) = try stopOnBrace(rawEscapes: ch == "#" || ch == "%")
            let value = lookup(name)
            if value == nil, lexer.skipUnsetEnv { return "${\(name)\(modifier)\(word)}" }
            let unset = value == nil || (nullIsUnset && value == "")
            switch ch {
            case "-": return unset ? word : (value ?? "")
            case "+": return unset ? "" : word
            case "?":
                if value == nil { throw ShellLexer.Failure(message: "\(name): \(word.isEmpty ? "is not allowed to be unset" : word)") }
                if nullIsUnset, value == "" { throw ShellLexer.Failure(message: "\(name): \(word.isEmpty ? "is not allowed to be empty" : word)") }
                return value ?? ""
            case "#", "%":
                var pattern = word
                var greedy = false
                if let first = pattern.unicodeScalars.first, first == ch {
                    greedy = true
                    pattern.unicodeScalars.removeFirst()
                }
                let glob = try ShellPattern(pattern)
                return ch == "#" ? glob.trimPrefix(value ?? "", longest: greedy) : glob.trimSuffix(value ?? "", longest: greedy)
            default:
                throw ShellLexer.Failure(message: "unsupported modifier (\(modifier)) in substitution")
            }
        case "/":
            let all = peek() == "/"
            if all { pos += 1 }
            let pattern: String
            do { (pattern, _) = try processStopOn("/", rawEscapes: true) } catch {
                if peek() == nil { throw ShellLexer.Failure(message: "syntax error: missing '/' in ${}") }
                throw error
            }
            let (replacement, _) = try stopOnBrace(rawEscapes: true)
            let value = lookup(name)
            if value == nil, lexer.skipUnsetEnv { return "${\(name)/\(pattern)/\(replacement)}" }
            return try ShellPattern(pattern).replace(in: value ?? "", with: replacement, all: all)
        default:
            throw ShellLexer.Failure(message: "unsupported modifier (\(modifier)) in substitution")
        }
    }

    private mutating func stopOnBrace(rawEscapes raw: Bool) throws(ShellLexer.Failure) -> (String, [String]) {
        do { return try processStopOn("}", rawEscapes: raw) } catch {
            if peek() == nil { throw ShellLexer.Failure(message: "syntax error: missing '}'") }
            throw error
        }
    }

    mutating func processName() -> String {
        var name = ""
        while let ch = peek() {
            if name.isEmpty, ch.properties.numericType == .decimal {
                while let d = peek(), d.properties.numericType == .decimal {
                    name.unicodeScalars.append(d)
                    pos += 1
                }
                return name
            }
            if name.isEmpty, "@*#?-$!0".unicodeScalars.contains(ch) {
                pos += 1
                return String(Character(ch))
            }
            guard ch.properties.isAlphabetic || ch.properties.numericType == .decimal || ch == "_" else { break }
            name.unicodeScalars.append(ch)
            pos += 1
        }
        return name
    }
}
