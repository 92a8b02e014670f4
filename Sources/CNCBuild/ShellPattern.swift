/// The patterns of `${VAR#pat}`, `${VAR%pat}` and `${VAR/pat/repl}`: `*` any string, `?` one
/// character, `\*` `\?` `\\` literal (bracket expressions are not supported, as in BuildKit).
/// `#`/`%` take the shortest match, `##`/`%%` the longest; `/` replaces the longest leftmost match.
struct ShellPattern {
    enum Token: Equatable { case star, any, literal(Character) }
    let tokens: [Token]

    init(_ pattern: String) throws(ShellLexer.Failure) {
        var out: [Token] = []
        var chars = Array(pattern)[...]
        while let c = chars.popFirst() {
            switch c {
            case "*": out.append(.star)
            case "?": out.append(.any)
            case "\\":
                if chars.first == "}" || chars.first == "/" { continue }
                guard let n = chars.popFirst(), n == "*" || n == "?" || n == "\\" else {
                    throw ShellLexer.Failure(message: "invalid pattern (\(pattern)) in substitution: invalid escape '\\\(chars.first.map(String.init) ?? "")'")
                }
                out.append(.literal(n))
            default: out.append(.literal(c))
            }
        }
        tokens = out
    }

    /// For each end index e in start...text.count: whether text[start..<e] matches the whole pattern.
    /// One pass of a set-of-states simulation: O(text × pattern), no backtracking.
    func matchEnds(_ text: [Character], from start: Int) -> [Bool] {
        let m = tokens.count
        var states = [Bool](repeating: false, count: m + 1)
        states[0] = true
        func close(_ s: inout [Bool]) {
            for k in 0..<m where s[k] && tokens[k] == .star { s[k + 1] = true }
        }
        close(&states)
        var ends = [Bool](repeating: false, count: text.count - start + 1)
        ends[0] = states[m]
        var i = start
        while i < text.count {
            var next = [Bool](repeating: false, count: m + 1)
            var any = false
            for k in 0..<m where states[k] {
                switch tokens[k] {
                case .star: next[k] = true; any = true
                case .any: next[k + 1] = true; any = true
                case .literal(let l): if l == text[i] { next[k + 1] = true; any = true }
                }
            }
            guard any else { break }
            close(&next)
            states = next
            i += 1
            ends[i - start] = states[m]
        }
        return ends
    }

    func trimPrefix(_ value: String, longest: Bool) -> String {
        let text = Array(value)
        let ends = matchEnds(text, from: 0)
        let candidates = longest ? Array(ends.indices.reversed()) : Array(ends.indices)
        guard let e = candidates.first(where: { ends[$0] }) else { return value }
        return String(text[e...])
    }

    func trimSuffix(_ value: String, longest: Bool) -> String {
        let reversed = ShellPattern(tokens: tokens.reversed())
        let text = Array(value)
        let ends = reversed.matchEnds(text.reversed(), from: 0)
        let candidates = longest ? Array(ends.indices.reversed()) : Array(ends.indices)
        guard let e = candidates.first(where: { ends[$0] }) else { return value }
        return String(text[..<(text.count - e)])
    }

    func replace(in value: String, with replacement: String, all: Bool) -> String {
        let text = Array(value)
        var out = ""
        var i = 0
        var replaced = false
        while i <= text.count {
            if !replaced || all, let end = matchEnds(text, from: i).lastIndex(of: true) {
                out += replacement
                replaced = true
                if end == 0 {
                    if i < text.count { out.append(text[i]) }
                    i += 1
                } else {
                    i += end
                }
                continue
            }
            if i < text.count { out.append(text[i]) }
            i += 1
        }
        return out
    }

    private init(tokens: [Token]) { self.tokens = tokens }
}
