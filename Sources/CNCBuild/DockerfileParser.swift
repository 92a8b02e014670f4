/// Reads a Dockerfile as BuildKit's parser does (frontend/dockerfile/parser): parser directives
/// at the top, comments, line continuations with the escape character (comment and blank lines
/// inside a continuation are skipped, a blank one with a warning), heredocs after RUN/COPY/ADD,
/// then each logical line becomes a typed `Instruction`. Never crashes on any input: physical
/// lines are capped as BuildKit's scanner caps them, nesting is bounded, and every refusal is a
/// `DockerfileError` that names the line.
public enum DockerfileParser {
    /// bufio.Scanner's limit in BuildKit: a longer physical line fails the parse.
    public static let maxLineBytes = 65_535
    /// Larger files are refused before parsing (BuildKit has no such cap; 8 MiB is far above any real one).
    public static let maxFileBytes = 8 << 20

    public static func parse(_ bytes: [UInt8], path: String = "Dockerfile") throws(DockerfileError) -> Dockerfile {
        guard bytes.count <= maxFileBytes else {
            throw DockerfileError(file: path, line: 1, "Dockerfile is \(bytes.count) bytes, more than the \(maxFileBytes) cnc reads")
        }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path)
    }

    public static func parse(_ text: String, path: String = "Dockerfile") throws(DockerfileError) -> Dockerfile {
        // Split on the scalar: "\r\n" is one Character, so a Character split would miss CRLF lines.
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map(Substring.init)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var index = 0
        var currentLine = 0
        var directives = DirectiveScanner()
        var escape: Unicode.Scalar = "\\"
        var comments: [String] = []
        var instructions: [Instruction] = []
        var warnings: [BuildWarning] = []
        var seenFrom = false

        func nextLine() throws(DockerfileError) -> Substring? {
            guard index < lines.count else { return nil }
            var line = lines[index]
            index += 1
            if index == 1, line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
            guard line.utf8.count < maxLineBytes else {
                throw DockerfileError(file: path, line: index, "dockerfile line greater than max allowed size of \(maxLineBytes)")
            }
            return line
        }

        while let raw = try nextLine() {
            let trimmed = trimNewline(raw).drop { isGoSpace($0.unicodeScalars.first ?? "a") }
            if isComment(trimmed) {
                let comment = trimmed.dropFirst().trimmingSpaces()
                if comment.isEmpty { comments = [] } else { comments.append(comment) }
            }
            do throws(DirectiveFailure) {
                if let d = try directives.scan(trimmed, line: currentLine + 1) {
                    comments.removeLast()
                    switch d.name {
                    case "escape":
                        guard d.value == "`" || d.value == "\\", let s = d.value.unicodeScalars.first else {
                            throw DirectiveFailure(message: "invalid escape token '\(d.value)' does not match ` or \\")
                        }
                        escape = s
                    case "syntax":
                        warnings.append(BuildWarning(line: d.line, message: "the syntax directive (\(d.value)) is ignored: cnc builds with its own frontend, which follows docker/dockerfile:1"))
                    default: break
                    }
                }
            } catch {
                throw DockerfileError(file: path, line: currentLine + 1, error.message)
            }
            currentLine += 1
            let startLine = currentLine
            var (buffer, endOfLine) = trimContinuation(isComment(trimmed) ? "" : trimmed, escape: escape)
            if endOfLine, buffer.isEmpty { continue }
            var hasEmptyContinuation = false
            while !endOfLine, let next = try nextLine() {
                currentLine += 1
                let line = trimNewline(next)
                if isComment(line) { continue }
                if line.allSatisfy({ isGoSpace($0.unicodeScalars.first ?? "a") }) {
                    hasEmptyContinuation = true
                    continue
                }
                let part: Substring
                (part, endOfLine) = trimContinuation(line, escape: escape)
                buffer += part
            }
            let logical = String(buffer)
            if hasEmptyContinuation {
                warnings.append(BuildWarning(line: currentLine, message: "Empty continuation line found in: \(logical)"))
            }
            var instruction = try InstructionParser.parse(
                logical, escape: escape, line: startLine, endLine: currentLine, comments: comments, path: path)
            // Only ARG may come before the first FROM (BuildKit's instructions.Parse).
            seenFrom = seenFrom || instruction.kind == .from
            if !seenFrom, instruction.kind != .arg {
                throw DockerfileError(file: path, line: startLine, instruction: instruction.kind.name, "no build stage in current context")
            }
            if instruction.canContainHeredoc, logical.contains("<<") {
                let docs: [Heredoc]
                do { docs = try heredocs(in: logical) } catch {
                    throw DockerfileError(file: path, line: startLine, instruction: instruction.kind.name, error.message)
                }
                for var doc in docs {
                    var terminated = false
                    while let next = try nextLine() {
                        currentLine += 1
                        var candidate = trimNewline(next)
                        if doc.chomp { candidate = candidate.drop { $0 == "\t" } }
                        if candidate == doc.name {
                            terminated = true
                            break
                        }
                        doc.content += String(next)
                        doc.content += "\n"
                    }
                    guard terminated else {
                        throw DockerfileError(file: path, line: startLine, instruction: instruction.kind.name, "unterminated heredoc")
                    }
                    instruction.heredocs.append(doc)
                }
                instruction.endLine = currentLine
            }
            instructions.append(instruction)
            comments = []
        }
        guard !instructions.isEmpty else {
            throw DockerfileError(file: path, line: max(currentLine, 1), "file with no instructions")
        }
        return Dockerfile(path: path, escape: escape, directives: directives.found, instructions: instructions, warnings: warnings)
    }

    /// The heredoc words of a logical line (`<<EOF`, `<<-EOF`, `3<<'EOF'`), in order.
    static func heredocs(in line: String) throws(ShellLexer.Failure) -> [Heredoc] {
        var lexer = ShellLexer()
        lexer.rawQuotes = true
        lexer.rawEscapes = true
        lexer.skipUnsetEnv = true
        guard let words = try? lexer.process(line, env: [:]).words else { return [] }
        var docs: [Heredoc] = []
        for word in words { if let doc = try heredoc(word) { docs.append(doc) } }
        return docs
    }

    /// `^(\d*)<<(-?)([^<]*)$` with a one-word delimiter; quoting any part of it turns expansion off.
    static func heredoc(_ word: String) throws(ShellLexer.Failure) -> Heredoc? {
        guard let marker = word.range(of: "<<") else { return nil }
        let fd = word[..<marker.lowerBound]
        guard fd.allSatisfy(\.isASCII), fd.allSatisfy(\.isNumber) else { return nil }
        var rest = word[marker.upperBound...]
        let chomp = rest.hasPrefix("-")
        if chomp { rest = rest.dropFirst() }
        guard !rest.isEmpty, !rest.contains("<") else { return nil }
        var lexer = ShellLexer()
        lexer.skipUnsetEnv = true
        let words = try lexer.process(String(rest), env: [:]).words
        guard words.count == 1 else { return nil }
        lexer.rawQuotes = true
        let raw = try lexer.process(String(rest), env: [:]).words
        guard raw.count == 1 else {
            throw ShellLexer.Failure(message: "internal lexing of heredoc produced inconsistent results: \(rest)")
        }
        func quotes(_ s: String) -> Int { s.filter { $0 == "'" || $0 == "\"" }.count }
        return Heredoc(name: words[0], content: "", expand: quotes(words[0]) == quotes(raw[0]), chomp: chomp,
                       fileDescriptor: Int(fd) ?? 0)
    }

    static func trimNewline(_ s: Substring) -> Substring {
        var scalars = s.unicodeScalars
        while let last = scalars.last, last == "\r" || last == "\n" { scalars.removeLast() }
        return Substring(scalars)
    }

    static func isComment(_ s: Substring) -> Bool {
        s.first { !isGoSpace($0.unicodeScalars.first ?? "a") } == "#"
    }

    /// BuildKit's `([^E])E[ \t]*$|^E[ \t]*$` (E the escape): an escape at the end continues the
    /// line unless it is itself escaped.
    static func trimContinuation(_ s: Substring, escape: Unicode.Scalar) -> (Substring, Bool) {
        let scalars = s.unicodeScalars
        var end = scalars.endIndex
        while end > scalars.startIndex, scalars[scalars.index(before: end)] == " " || scalars[scalars.index(before: end)] == "\t" {
            end = scalars.index(before: end)
        }
        guard end > scalars.startIndex else { return (s, true) }
        let last = scalars.index(before: end)
        guard scalars[last] == escape else { return (s, true) }
        if last > scalars.startIndex, scalars[scalars.index(before: last)] == escape { return (s, true) }
        return (Substring(scalars[..<last]), false)
    }
}

struct DirectiveFailure: Error { var message: String }

/// The directive scan: only lines before the first non-directive line, each directive once.
struct DirectiveScanner {
    static let known: Set<String> = ["syntax", "escape", "check"]
    var done = false
    var seen: Set<String> = []
    var found: [ParserDirective] = []

    mutating func scan(_ line: Substring, line number: Int) throws(DirectiveFailure) -> ParserDirective? {
        guard !done else { return nil }
        guard line.hasPrefix("#") else { done = true; return nil }
        let body = line.dropFirst().trimmingSpaces()
        guard let eq = body.firstIndex(of: "=") else { done = true; return nil }
        let key = body[..<eq].trimmingSpaces()
        let value = body[body.index(after: eq)...].trimmingSpaces()
        guard let first = key.unicodeScalars.first, first.isASCIILetter,
              key.unicodeScalars.allSatisfy({ $0.isASCIILetter || ("0"..."9").contains($0) }),
              !value.isEmpty, Self.known.contains(key.lowercased())
        else {
            done = true
            return nil
        }
        let name = key.lowercased()
        guard seen.insert(name).inserted else {
            throw DirectiveFailure(message: "only one \(name) parser directive can be used")
        }
        let d = ParserDirective(name: name, value: value, line: number)
        found.append(d)
        return d
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}

extension Instruction {
    /// RUN, COPY and ADD in shell form (or as an ONBUILD trigger) may carry heredocs.
    var canContainHeredoc: Bool {
        if case .onbuild(let inner) = command { return inner.canContainHeredoc }
        return [.run, .copy, .add].contains(kind) && !isJSON
    }
}
