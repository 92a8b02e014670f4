/// `.dockerignore` as Docker reads and applies it (moby/patternmatcher): one pattern a line,
/// `#` lines are comments, surrounding spaces trimmed, each pattern cleaned like filepath.Clean
/// with a leading `/` dropped; Go filepath.Match syntax (`*` `?` `[...]` `\`) plus `**` for any
/// number of directories; `!` re-includes; the last matching line wins; a path is excluded when
/// it or one of its parent directories matches.
public struct DockerIgnore: Sendable, Equatable {
    public struct Pattern: Sendable, Equatable {
        public var text: String
        public var exclusion: Bool
        let glob: PathGlob
    }

    public private(set) var patterns: [Pattern]

    public init(patterns lines: [String]) {
        patterns = lines.compactMap(Self.pattern)
    }

    /// Parses a .dockerignore file's text.
    public init(text: String) {
        var t = Substring(text)
        if t.hasPrefix("\u{FEFF}") { t = t.dropFirst() }
        let lines = t.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String(Substring($0)) }
        self.init(patterns: lines.filter { !$0.hasPrefix("#") })
    }

    static func pattern(_ line: String) -> Pattern? {
        var p = line.trimmingSpaces()
        guard !p.isEmpty else { return nil }
        let exclusion = p.hasPrefix("!")
        if exclusion { p = String(p.dropFirst()).trimmingSpaces() }
        if !p.isEmpty {
            p = cleanPath(p)
            if p.count > 1, p.hasPrefix("/") { p.removeFirst() }
        }
        return Pattern(text: p, exclusion: exclusion, glob: PathGlob(p))
    }

    /// Go's filepath.Clean for slash paths.
    public static func cleanPath(_ p: String) -> String {
        let rooted = p.hasPrefix("/")
        var out: [Substring] = []
        for part in p.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if let last = out.last, last != ".." { out.removeLast() } else if !rooted { out.append(part) }
            default: out.append(part)
            }
        }
        let joined = out.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// True when the context's `path` (slash-separated, relative) is excluded.
    public func excludes(_ path: String) -> Bool {
        let file = Self.cleanPath(path)
        let parents = file.split(separator: "/").dropLast().map(String.init)
        var matched = false
        for p in patterns where p.exclusion == matched {
            var match = p.glob.matches(file)
            if !match, !parents.isEmpty {
                for i in parents.indices where p.glob.matches(parents[...i].joined(separator: "/")) {
                    match = true
                    break
                }
            }
            if match { matched = !p.exclusion }
        }
        return matched
    }

    /// True when some `!` pattern could re-include a path under the excluded directory `dir`:
    /// only then must the walker look inside it.
    public func mayReinclude(under dir: String) -> Bool {
        patterns.contains { $0.exclusion }
    }

    /// The ignore file that applies: `<Dockerfile>.dockerignore` beside the Dockerfile wins over
    /// the context's `.dockerignore` (BuildKit). Returns the path to read, or nil.
    public static func file(context: String, dockerfile: String?, exists: (String) -> Bool) -> String? {
        if let df = dockerfile, exists(df + ".dockerignore") { return df + ".dockerignore" }
        let root = context.hasSuffix("/") ? context + ".dockerignore" : context + "/.dockerignore"
        return exists(root) ? root : nil
    }
}

/// A compiled path pattern: patternmatcher's regexp made into tokens and matched by a
/// set-of-states simulation (no backtracking, no recursion: hostile patterns stay linear).
struct PathGlob: Sendable, Equatable {
    enum Token: Sendable, Equatable {
        case literal(Character)
        /// `?`: one character that is not `/`.
        case one
        /// `*`: any run without `/`.
        case star
        /// `**/` or inner `**`: `(.*/)?` — nothing, or anything that ends with `/`.
        case anyDirs
        /// A trailing `**`: anything.
        case rest
        case set(negated: Bool, ranges: [ClosedRange<Character>])
    }

    let tokens: [Token]
    let matchesEverything: Bool

    init(_ pattern: String) {
        var out: [Token] = []
        var chars = Array(pattern)[...]
        var everything = false
        while let c = chars.popFirst() {
            switch c {
            case "*":
                if chars.first == "*" {
                    chars.removeFirst()
                    if chars.first == "/" { chars.removeFirst() }
                    if chars.isEmpty {
                        if out.isEmpty { everything = true } else { out.append(.rest) }
                    } else {
                        out.append(.anyDirs)
                    }
                } else {
                    out.append(.star)
                }
            case "?": out.append(.one)
            case "\\":
                if let n = chars.popFirst() { out.append(.literal(n)) } else { out.append(.literal("\\")) }
            case "[":
                // A class as Go's regexp reads it (patternmatcher passes it through): `^` negates.
                var body = chars
                var negated = false
                if body.first == "^" { negated = true; body.removeFirst() }
                var ranges: [ClosedRange<Character>] = []
                var closed = false
                while let x = body.popFirst() {
                    if x == "]", !ranges.isEmpty { closed = true; break }
                    var lo = x
                    if lo == "\\", let e = body.popFirst() { lo = e }
                    if body.first == "-", body.dropFirst().first.map({ $0 != "]" }) == true {
                        body.removeFirst()
                        var hi = body.removeFirst()
                        if hi == "\\", let e = body.popFirst() { hi = e }
                        if lo <= hi { ranges.append(lo...hi) }
                    } else {
                        ranges.append(lo...lo)
                    }
                }
                if closed {
                    chars = body
                    out.append(.set(negated: negated, ranges: ranges))
                } else {
                    out.append(.literal("["))  // an unclosed class never matches in Go; a literal is the closest harmless reading
                }
            default: out.append(.literal(c))
            }
        }
        tokens = out
        matchesEverything = everything
    }

    func matches(_ path: String) -> Bool {
        if matchesEverything { return true }
        let text = Array(path)
        let m = tokens.count
        // on[k]: at token k; inner[k]: inside an anyDirs token k after consuming at least one character.
        var on = [Bool](repeating: false, count: m + 1)
        var inner = [Bool](repeating: false, count: m + 1)
        on[0] = true
        func close(_ on: inout [Bool]) {
            for k in 0..<m where on[k] {
                if tokens[k] == .star || tokens[k] == .anyDirs || tokens[k] == .rest { on[k + 1] = true }
            }
        }
        close(&on)
        for c in text {
            var nOn = [Bool](repeating: false, count: m + 1)
            var nInner = [Bool](repeating: false, count: m + 1)
            var alive = false
            for k in 0..<m {
                if inner[k] {
                    nInner[k] = true
                    if c == "/" { nOn[k + 1] = true }
                    alive = true
                }
                guard on[k] else { continue }
                switch tokens[k] {
                case .literal(let l): if l == c { nOn[k + 1] = true; alive = true }
                case .one: if c != "/" { nOn[k + 1] = true; alive = true }
                case .star: if c != "/" { nOn[k] = true; alive = true }
                case .rest: nOn[k] = true; alive = true
                case .anyDirs:
                    nInner[k] = true
                    if c == "/" { nOn[k + 1] = true }
                    alive = true
                case .set(let negated, let ranges):
                    let hit = ranges.contains { $0.contains(c) }
                    if hit != negated, c != "/" || !negated { nOn[k + 1] = true; alive = true }
                }
            }
            guard alive else { return false }
            close(&nOn)
            on = nOn
            inner = nInner
        }
        return on[m]
    }
}
