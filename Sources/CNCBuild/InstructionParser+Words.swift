import Foundation

/// Word-level helpers of BuildKit's parser: splitCommand, extractBuilderFlags, parseWords,
/// parseNameVal and the JSON (exec) form.
extension InstructionParser {
    /// The keyword, the leading `--flag` words and the rest of the line.
    static func splitCommand(_ line: String) -> (String, [String], String) {
        let trimmed = line.trimmingSpaces()
        let scalars = Array(trimmed.unicodeScalars)
        var i = 0
        while i < scalars.count, !isSplitSpace(scalars[i]) { i += 1 }
        let keyword = String(String.UnicodeScalarView(scalars[..<i]))
        while i < scalars.count, isSplitSpace(scalars[i]) { i += 1 }
        guard i < scalars.count else { return (keyword, [], "") }
        let (rest, flags) = extractBuilderFlags(Array(scalars[i...]))
        return (keyword, flags, rest.trimmingSpaces())
    }

    /// `[\t\v\f\r ]`: BuildKit's reWhitespace.
    static func isSplitSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\u{0B}" || c == "\u{0C}" || c == "\r" }

    /// Leading words that start with `--` are flags (quotes removed, `\` escapes); `--` alone ends them.
    static func extractBuilderFlags(_ line: [Unicode.Scalar]) -> (String, [String]) {
        enum Phase { case spaces, word, quote }
        var words: [String] = []
        var phase = Phase.spaces
        var word = String.UnicodeScalarView()
        var quote: Unicode.Scalar = "\0"
        var blankOK = false
        var pos = 0
        func rest(_ from: Int) -> String { String(String.UnicodeScalarView(line[from...])) }
        while pos <= line.count {
            let ch: Unicode.Scalar = pos < line.count ? line[pos] : "\0"
            if phase == .spaces {
                if pos == line.count { break }
                if isGoSpace(ch) { pos += 1; continue }
                if ch != "-" || pos + 1 == line.count || line[pos + 1] != "-" { return (rest(pos), words) }
                phase = .word
            }
            if pos == line.count {
                let w = String(word)
                if w != "--", blankOK || !w.isEmpty { words.append(w) }
                break
            }
            if phase == .word {
                if isGoSpace(ch) {
                    phase = .spaces
                    let w = String(word)
                    if w == "--" { return (rest(pos), words) }
                    if blankOK || !w.isEmpty { words.append(w) }
                    word = String.UnicodeScalarView()
                    blankOK = false
                    pos += 1
                    continue
                }
                if ch == "'" || ch == "\"" {
                    quote = ch
                    blankOK = true
                    phase = .quote
                    pos += 1
                    continue
                }
                var c = ch
                if c == "\\" {
                    if pos + 1 == line.count { pos += 1; continue }
                    pos += 1
                    c = line[pos]
                }
                word.append(c)
                pos += 1
                continue
            }
            // .quote
            if ch == quote {
                phase = .word
                pos += 1
                continue
            }
            var c = ch
            if c == "\\" {
                if pos + 1 == line.count { phase = .word; pos += 1; continue }
                pos += 1
                c = line[pos]
            }
            word.append(c)
            pos += 1
        }
        return ("", words)
    }

    /// Words split on unquoted whitespace, quotes and escapes kept (they are removed at substitution).
    static func parseWords(_ rest: String, escape: Unicode.Scalar) -> [String] {
        enum Phase { case spaces, word, quote }
        let s = Array(rest.unicodeScalars)
        var words: [String] = []
        var phase = Phase.spaces
        var quote: Unicode.Scalar = "\0"
        var blankOK = false
        var word = String.UnicodeScalarView()
        var pos = 0
        while pos <= s.count {
            if phase == .spaces {
                if pos == s.count { break }
                if isGoSpace(s[pos]) { pos += 1; continue }
                phase = .word
            }
            if pos == s.count {
                if blankOK || !word.isEmpty { words.append(String(word)) }
                break
            }
            var ch = s[pos]
            if phase == .word {
                if isGoSpace(ch) {
                    phase = .spaces
                    if blankOK || !word.isEmpty { words.append(String(word)) }
                    word = String.UnicodeScalarView()
                    blankOK = false
                    pos += 1
                    continue
                }
                if ch == "'" || ch == "\"" {
                    quote = ch
                    blankOK = true
                    phase = .quote
                }
                if ch == escape {
                    if pos + 1 == s.count { pos += 1; continue }
                    word.append(ch)
                    pos += 1
                    ch = s[pos]
                }
                word.append(ch)
                pos += 1
                continue
            }
            // .quote
            if ch == quote { phase = .word }
            if ch == escape, quote != "'" {
                if pos + 1 == s.count { phase = .word; pos += 1; continue }
                pos += 1
                word.append(ch)
                ch = s[pos]
            }
            word.append(ch)
            pos += 1
        }
        return words
    }

    static func whitespaceSplit(_ s: String) -> [String] {
        s.unicodeScalars.split(whereSeparator: isSplitSpace).map { String(String.UnicodeScalarView($0)) }
    }

    /// ENV and LABEL: `KEY value...` (legacy: one pair, the value is the rest of the line) or `K=V ...`.
    static func nameValues(_ rest: String, instruction: String, escape: Unicode.Scalar) throws(Failure) -> ([KeyValue], Bool) {
        let words = parseWords(rest, escape: escape)
        guard let first = words.first else { throw Failure(message: "\(instruction) requires at least one argument") }
        if !first.contains("=") {
            let scalars = Array(rest.unicodeScalars)
            guard let sep = scalars.firstIndex(where: isSplitSpace) else {
                throw Failure(message: "\(instruction) must have two arguments")
            }
            var valueStart = sep
            while valueStart < scalars.count, isSplitSpace(scalars[valueStart]) { valueStart += 1 }
            let key = String(String.UnicodeScalarView(scalars[..<sep]))
            let value = String(String.UnicodeScalarView(scalars[valueStart...]))
            return ([KeyValue(key: key, value: value)], true)
        }
        var pairs: [KeyValue] = []
        for word in words {
            guard let eq = word.firstIndex(of: "=") else {
                throw Failure(message: "Syntax error - can't find = in \"\(word)\". Must be of the form: name=value")
            }
            let key = String(word[..<eq])
            guard !key.isEmpty else { throw Failure(message: "\(instruction) names can not be blank") }
            pairs.append(KeyValue(key: key, value: String(word[word.index(after: eq)...])))
        }
        return (pairs, false)
    }

    /// A JSON array of strings, or nil when `rest` is not JSON (then it is shell form). A JSON
    /// array with a non-string element is an error, as in BuildKit.
    static func parseJSON(_ rest: String) throws(Failure) -> [String]? {
        let text = rest.drop { isGoSpace($0.unicodeScalars.first ?? "a") }
        guard text.hasPrefix("[") else { return nil }
        // Deep nesting is never a valid exec form: refuse before any recursive parser sees it.
        guard text.utf8.lazy.filter({ $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "{") }).count <= 256 else { return nil }
        guard let any = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: []), let array = any as? [Any] else {
            return nil
        }
        var out: [String] = []
        for element in array {
            guard let s = element as? String, !(element is NSNumber) else {
                throw Failure(message: "when using JSON array syntax, arrays must be comprised of strings only")
            }
            out.append(s)
        }
        return out
    }

    static func maybeJSON(_ rest: String) throws(Failure) -> CommandLine {
        if rest.isEmpty { return .exec([]) }
        if let argv = try parseJSON(rest) { return .exec(argv) }
        return .shell(rest)
    }

    static func maybeJSONToList(_ rest: String) throws(Failure) -> ([String], Bool) {
        if let list = try parseJSON(rest) { return (list, true) }
        return (whitespaceSplit(rest), false)
    }
}

/// Go's time.ParseDuration: `[-+]?([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+` or `0`; nanoseconds.
enum GoDuration {
    static func parse(_ text: String) -> Int64? {
        var s = Substring(text)
        var negative = false
        if let f = s.first, f == "-" || f == "+" { negative = f == "-"; s = s.dropFirst() }
        if s == "0" { return 0 }
        guard !s.isEmpty else { return nil }
        var total = 0.0
        while !s.isEmpty {
            let number = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1, let value = Double(number) else { return nil }
            s = s.dropFirst(number.count)
            let unit = s.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            s = s.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            default: return nil
            }
            total += value * scale
            guard total < 9.2e18 else { return nil }
        }
        return Int64(negative ? -total : total)
    }
}
