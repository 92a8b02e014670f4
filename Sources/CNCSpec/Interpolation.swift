import Foundation

/// Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
/// `${VAR:?message}`, `${VAR?message}`, `${VAR:+replacement}`, `${VAR+replacement}`, `$$`
/// for a literal `$`. Defaults and replacements may themselves hold variables.
public struct Interpolator: Sendable {
    public var variables: [String: String]

    public init(variables: [String: String]) { self.variables = variables }

    public enum Failure: Error, Equatable, Sendable {
        case required(name: String, message: String)
        case syntax(String)

        public var message: String {
            switch self {
            case .required(let name, let message):
                return message.isEmpty ? "required variable \(name) is not set" : "required variable \(name) is not set: \(message)"
            case .syntax(let why): return why
            }
        }
    }

    /// `text` with every variable replaced.
    public func interpolate(_ text: String) throws(Failure) -> String {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return text }
        let chars = Array(text.unicodeScalars)
        var i = 0
        return try expand(chars, &i, stopAtBrace: false)
    }

    private static func isNameStart(_ c: Unicode.Scalar) -> Bool { c == "_" || (c.isASCII && c.properties.isAlphabetic) }
    private static func isNameChar(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || (c >= "0" && c <= "9") }

    private func expand(_ c: [Unicode.Scalar], _ i: inout Int, stopAtBrace: Bool) throws(Failure) -> String {
        var out = String.UnicodeScalarView()
        var depth = 0
        while i < c.count {
            let ch = c[i]
            if stopAtBrace {
                if ch == "{" { depth += 1 }
                if ch == "}" {
                    if depth == 0 { return String(out) }
                    depth -= 1
                }
            }
            guard ch == "$" else { out.append(ch); i += 1; continue }
            guard i + 1 < c.count else { out.append(ch); i += 1; continue }
            let next = c[i + 1]
            if next == "$" { out.append("$"); i += 2; continue }
            if Self.isNameStart(next) {
                var j = i + 1
                while j < c.count, Self.isNameChar(c[j]) { j += 1 }
                let name = String(String.UnicodeScalarView(c[(i + 1)..<j]))
                out.append(contentsOf: (variables[name] ?? "").unicodeScalars)
                i = j
                continue
            }
            guard next == "{" else { out.append(ch); i += 1; continue }
            i += 2
            let nameStart = i
            while i < c.count, Self.isNameChar(c[i]) { i += 1 }
            let name = String(String.UnicodeScalarView(c[nameStart..<i]))
            guard !name.isEmpty, let first = name.unicodeScalars.first, Self.isNameStart(first) else {
                throw .syntax("invalid interpolation format: \"${\" must be followed by a variable name (use $$ for a literal $)")
            }
            guard i < c.count else { throw .syntax("invalid interpolation format: missing \"}\" after ${\(name)") }
            if c[i] == "}" {
                i += 1
                out.append(contentsOf: (variables[name] ?? "").unicodeScalars)
                continue
            }
            var op = String(c[i])
            i += 1
            if op == ":" {
                guard i < c.count, "-?+".unicodeScalars.contains(c[i]) else {
                    throw .syntax("invalid interpolation format for ${\(name)...}: expected :-, :?, :+, -, ? or + after the name")
                }
                op += String(c[i])
                i += 1
            }
            guard ["-", "?", "+", ":-", ":?", ":+"].contains(op) else {
                throw .syntax("invalid interpolation format for ${\(name)...}: unexpected \"\(op)\" (expected :-, :?, :+, -, ? or +)")
            }
            let arg = try expand(c, &i, stopAtBrace: true)
            guard i < c.count, c[i] == "}" else { throw .syntax("invalid interpolation format: missing \"}\" after ${\(name)\(op)") }
            i += 1
            let value = variables[name]
            let unsetOrEmpty = value == nil || value == ""
            switch op {
            case "-": out.append(contentsOf: (value ?? arg).unicodeScalars)
            case ":-": out.append(contentsOf: (unsetOrEmpty ? arg : value ?? "").unicodeScalars)
            case "?":
                guard let value else { throw .required(name: name, message: arg) }
                out.append(contentsOf: value.unicodeScalars)
            case ":?":
                guard let value, !value.isEmpty else { throw .required(name: name, message: arg) }
                out.append(contentsOf: value.unicodeScalars)
            case "+": if value != nil { out.append(contentsOf: arg.unicodeScalars) }
            default: if !unsetOrEmpty { out.append(contentsOf: arg.unicodeScalars) }
            }
        }
        return String(out)
    }
}

/// `.env` files: `KEY=VALUE` lines, `#` comments, optional `export `, single quotes (literal),
/// double quotes (with \n, \t, \", \\ escapes and interpolation), unquoted values (trailing
/// ` #comment` removed, interpolation applied).
public enum EnvFile {
    public struct Problem: Error, Sendable { public var line: Int; public var message: String }

    /// The variables of `text`, in order; `base` serves interpolation inside values.
    public static func parse(_ text: String, base: [String: String] = [:]) throws(Problem) -> [(String, String)] {
        var result: [(String, String)] = []
        var known = base
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var body = trimmed
            if body.hasPrefix("export ") { body = body.dropFirst(7).drop(while: { $0 == " " }) }
            guard let eq = body.firstIndex(of: "=") else {
                // A bare name takes its value from the environment, as Compose does.
                let name = String(body).trimmingSpaces
                guard isValidName(name) else { throw Problem(line: n + 1, message: "\"\(name)\" is not KEY=VALUE") }
                if let v = known[name] { result.append((name, v)) }
                continue
            }
            let key = String(body[..<eq]).trimmingSpaces
            guard isValidName(key) else { throw Problem(line: n + 1, message: "\"\(key)\" is not a valid variable name") }
            var value = body[body.index(after: eq)...].drop(while: { $0 == " " || $0 == "\t" })
            let interpolator = Interpolator(variables: known)
            var text: String
            if value.hasPrefix("'") {
                value = value.dropFirst()
                guard let end = value.firstIndex(of: "'") else { throw Problem(line: n + 1, message: "unterminated single quote") }
                text = String(value[..<end])
            } else if value.hasPrefix("\"") {
                value = value.dropFirst()
                var out = ""
                var closed = false
                var it = value.makeIterator()
                while let ch = it.next() {
                    if ch == "\"" { closed = true; break }
                    if ch == "\\", let e = it.next() {
                        switch e {
                        case "n": out.append("\n")
                        case "t": out.append("\t")
                        case "r": out.append("\r")
                        default: out.append(e)
                        }
                    } else { out.append(ch) }
                }
                guard closed else { throw Problem(line: n + 1, message: "unterminated double quote") }
                do { text = try interpolator.interpolate(out) } catch { throw Problem(line: n + 1, message: error.message) }
            } else {
                if let hash = value.range(of: " #") { value = value[..<hash.lowerBound] }
                do { text = try interpolator.interpolate(String(value).trimmingSpaces) } catch {
                    throw Problem(line: n + 1, message: error.message)
                }
            }
            known[key] = text
            result.append((key, text))
        }
        return result
    }

    static func isValidName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f == "_" || (f.isASCII && f.properties.isAlphabetic) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || $0 == "." || $0 == "-" || ($0.isASCII && ($0.properties.isAlphabetic || ($0 >= "0" && $0 <= "9"))) }
    }
}
