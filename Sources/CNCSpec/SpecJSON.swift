import CNCCore
import Foundation

/// Model -> JSONValue tree (the input of CanonicalJSON and of per-section hashes).
enum SpecJSON {
    static func tree<T: Encodable>(_ value: T) throws -> JSONValue {
        do {
            return try JSONValueEncoder.encode(value)
        } catch {
            throw CNCError.failed("encode", "\(T.self) as JSON", code: .internal, cause: error)
        }
    }
}

/// Edit distance, for "did you mean" suggestions.
enum Suggest {
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev = Array(0...y.count)
        var prevPrev = prev
        var cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                // A swap of two neighbours ("SIGTREM") is one typo, not two.
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { cur[j] = Swift.min(cur[j], prevPrev[j - 2] + 1) }
            }
            prevPrev = prev
            swap(&prev, &cur)
        }
        return prev[y.count]
    }

    /// The nearest candidate within a distance that still reads as a typo, else nil.
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        let lower = word.lowercased()
        var best: (String, Int)?
        for c in candidates {
            let d = distance(lower, c.lowercased())
            if let b = best, d >= b.1 { continue }
            best = (c, d)
        }
        guard let (c, d) = best else { return nil }
        let limit = Swift.max(2, lower.count / 3)
        if d <= limit { return c }
        // Prefix-ish typos such as "mem" -> "mem_limit" read better than nothing.
        if lower.count >= 3, c.lowercased().hasPrefix(lower) { return c }
        return nil
    }

    /// ` (did you mean "x"?)` or an empty string.
    static func hint(_ word: String, in candidates: [String]) -> String {
        nearest(word, in: candidates).map { " (did you mean \"\($0)\"?)" } ?? ""
    }
}
