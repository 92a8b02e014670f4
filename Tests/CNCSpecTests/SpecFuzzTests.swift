import CNCCore
import CNCTestSupport
import Foundation
import Testing
@testable import CNCSpec

/// Property: whatever bytes arrive, the compiler returns a model or errors with positions —
/// never a crash, never a hang. Seeds are fixed so a failure reproduces.
@Suite struct SpecFuzzTests {
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            var z = state
            z = (z ^ (z >> 33)) &* 0xff51afd7ed558ccd
            return z ^ (z >> 33)
        }
        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
    }

    static let tokens: [String] = [
        ":", "- ", "\n", "  ", "{", "}", "[", "]", "&a ", "*a", "<<: *a\n", "'", "\"", "#", "${X}", "${X:?}", "$$", "!!str ",
        "---\n", "~", "null", "true", "-1", "0", "99999999999999999999", "1e400", "512X", "\t", "\u{0}", "é", "services:",
        "image: ", "ports: ", "- \"8080:80\"", "depends_on: [", "mem_limit: ", "cpus: ", "volumes:", "/dev/zero", "include: [",
    ]

    func check(_ bytes: [UInt8]) {
        // CPU time of this thread, not the wall clock: other tests' load must not fail this.
        func load() {
            do {
                let loaded = try SpecLoader.load(SpecLoadOptions(files: ["-"], stdin: bytes, environment: ["X": "1"], workingDirectory: "/nonexistent-cnc-fuzz"))
                // A model must also encode (the config hash input).
                _ = try? CanonicalJSON.encode(loaded.app)
            } catch {
                #expect(!error.errors.isEmpty)
                #expect(error.errors.allSatisfy { $0.mark != nil }, "error without a position: \(error.errors.filter { $0.mark == nil })")
            }
        }
        let (_, cpu) = threadCPUTime { load() }
        #expect(cpu < .seconds(2), "slow input: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
    }

    static func seeds() -> [[UInt8]] {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/specs/valid"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
        return files.compactMap { FileManager.default.contents(atPath: dir + "/" + $0).map { [UInt8]($0) } }
    }

    @Test func mutatedSpecsNeverCrashOrHang() {
        let seeds = Self.seeds()
        #expect(!seeds.isEmpty)
        var rng = Rng(state: 0xC0FFEE)
        for _ in 0..<400 {
            var b = seeds[rng.below(seeds.count)]
            for _ in 0...rng.below(6) {
                switch rng.below(5) {
                case 0 where !b.isEmpty: b[rng.below(b.count)] = UInt8(truncatingIfNeeded: rng.next())
                case 1 where !b.isEmpty: b.remove(at: rng.below(b.count))
                case 2: b.insert(contentsOf: Array(Self.tokens[rng.below(Self.tokens.count)].utf8), at: rng.below(b.count + 1))
                case 3 where b.count > 2:
                    // Move a slice (reorders lines and indentation).
                    let a = rng.below(b.count), len = min(rng.below(40), b.count - a)
                    let slice = Array(b[a..<(a + len)])
                    b.removeSubrange(a..<(a + len))
                    b.insert(contentsOf: slice, at: rng.below(b.count + 1))
                default: b = Array(b.prefix(rng.below(b.count + 1)))
                }
            }
            check(b)
        }
    }

    @Test func randomBytesNeverCrashOrHang() {
        var rng = Rng(state: 42)
        for _ in 0..<300 {
            let n = rng.below(512)
            check((0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        }
    }

    @Test func randomTokenSoupNeverCrashesOrHangs() {
        var rng = Rng(state: 7)
        for _ in 0..<300 {
            var s = "services:\n  web:\n    "
            for _ in 0..<rng.below(30) { s += Self.tokens[rng.below(Self.tokens.count)] }
            check(Array(s.utf8))
        }
    }
}
