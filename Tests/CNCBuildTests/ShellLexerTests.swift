@testable import CNCBuild
import Testing

@Suite struct ShellLexerTests {
    static let env = ["A": "hello", "E": "", "P": "/usr/local/bin/app.tar.gz", "S": "a b"]

    @Test(arguments: [
        ("$A", "hello"), ("${A}", "hello"), ("x${A}y", "xhelloy"), ("$U", ""), ("${U}", ""),
        ("${U:-def}", "def"), ("${E:-def}", "def"), ("${E-def}", ""), ("${U-def}", "def"), ("${A:-def}", "hello"),
        ("${A:+alt}", "alt"), ("${E:+alt}", ""), ("${E+alt}", "alt"), ("${U+alt}", ""),
        ("\\$A", "$A"), ("'$A'", "$A"), ("\"$A\"", "hello"), ("\"\\$A\"", "$A"), ("$", "$"), ("a$-b", "ab"),
        ("${P#*/}", "usr/local/bin/app.tar.gz"), ("${P##*/}", "app.tar.gz"), ("${P%.*}", "/usr/local/bin/app.tar"),
        ("${P%%.*}", "/usr/local/bin/app"), ("${P/local/opt}", "/usr/opt/bin/app.tar.gz"), ("${P//a/A}", "/usr/locAl/bin/App.tAr.gz"),
        ("${U:-${A}}", "hello"), ("${U:-'x y'}", "x y"),
    ] as [(String, String)])
    func substitutes(input: String, expected: String) throws {
        #expect(try ShellLexer().word(input, env: Self.env) == expected)
    }

    @Test(arguments: [
        ("${A", "missing '}'"), ("${}", "bad substitution"), ("${:x}", "bad substitution"), ("'abc", "single-quote"),
        ("\"abc", "double-quote"), ("${U:?must be set}", "U: must be set"), ("${U?}", "U: is not allowed to be unset"),
        ("${E:?}", "E: is not allowed to be empty"), ("${A:x}", "unsupported modifier (:x)"), ("${A!}", "unsupported modifier (!)"),
    ] as [(String, String)])
    func refusesBadSyntax(input: String, fragment: String) {
        #expect {
            _ = try ShellLexer().word(input, env: Self.env)
        } throws: { error in
            "\(error)".contains(fragment) && "\(error)".contains("failed to process")
        }
    }

    @Test func backtickEscapeAndWords() throws {
        let r = try ShellLexer(escape: "`").process("`$A $S \"q r\"", env: Self.env)
        #expect(r.value == "$A a b q r")
        #expect(r.words == ["$A", "a", "b", "q r"])
        #expect(r.matched == ["S"])
    }

    @Test func reportsUnmatchedAndSkipsUnset() throws {
        var l = ShellLexer()
        #expect(try l.process("$A $NOPE ${X:-1}", env: Self.env).unmatched == ["NOPE", "X"])
        l.skipUnsetEnv = true
        #expect(try l.word("$NOPE ${N2} ${N3:-d}", env: [:]) == "$NOPE ${N2} ${N3:-d}")
    }

    @Test func deepNestingFailsInsteadOfOverflowing() {
        let deep = String(repeating: "${U:-", count: 10_000) + "x" + String(repeating: "}", count: 10_000)
        #expect(throws: ShellLexer.Failure.self) { try ShellLexer().word(deep, env: [:]) }
    }

    @Test func hostilePatternsStayFast() throws {
        let value = String(repeating: "a", count: 2_000)
        let out = try ShellLexer().word("${V##*a*a*a*a*b}", env: ["V": value])
        #expect(out == value)
    }
}
