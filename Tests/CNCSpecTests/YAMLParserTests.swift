import CNCTestSupport
import Testing
@testable import CNCSpec

@Suite struct YAMLParserTests {
    func parse(_ text: String) -> (YAMLNode?, [SpecDiagnostic]) {
        var d: [SpecDiagnostic] = []
        let n = YAMLParser.parse(Array(text.utf8), file: "t.yaml", diagnostics: &d)
        return (n, d)
    }

    func value(_ node: YAMLNode?, _ key: String) -> YAMLNode? {
        guard case .mapping(let pairs)? = node?.content else { return nil }
        return pairs.first { $0.key.scalar == key }?.value
    }

    @Test func everyNodeKeepsLineAndColumn() {
        let (root, diags) = parse("a:\n  b:   hello\n  c: [1, 2]\n")
        #expect(diags.isEmpty)
        let b = value(value(root, "a"), "b")
        #expect(b?.mark == SourceMark(file: "t.yaml", line: 2, column: 8))
        guard case .sequence(let items)? = value(value(root, "a"), "c")?.content else { Issue.record("no list"); return }
        #expect(items.map(\.mark.column) == [7, 10])
    }

    @Test func mergeKeysGiveWayToExplicitKeysAndEarlierSources() {
        let (root, diags) = parse("""
        x: &x {a: 1, b: 1}
        y: &y {b: 2, c: 2}
        z:
          <<: [*x, *y]
          a: 0
        """)
        #expect(diags.isEmpty)
        let z = value(root, "z")
        #expect(value(z, "a")?.scalar == "0")
        #expect(value(z, "b")?.scalar == "1")
        #expect(value(z, "c")?.scalar == "2")
    }

    @Test func quotedScalarsAreNeverNumbersOrBooleans() {
        let (root, _) = parse("a: '1'\nb: 1\nc: \"true\"\nd: true\ne: ~\nf: !!str 5\n")
        #expect(value(root, "a")?.int == nil)
        #expect(value(root, "b")?.int == 1)
        #expect(value(root, "c")?.bool == nil)
        #expect(value(root, "d")?.bool == true)
        #expect(value(root, "e")?.isNull == true)
        #expect(value(root, "f")?.int == nil)
    }

    @Test func aliasBombIsAnErrorAndFast() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 { text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        let ((root, diags), cpu) = threadCPUTime { parse(text) }
        #expect(root == nil)
        #expect(diags.contains { $0.message.contains("alias bomb") })
        #expect(cpu < .seconds(2), "rejecting the bomb took \(cpu) of CPU")
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let (root, diags) = parse(String(repeating: "[", count: 5000))
        #expect(root == nil)
        #expect(!diags.isEmpty)
    }

    @Test(arguments: [
        ("a: [1, 2", "invalid YAML"),
        ("a: 1\na: 2\n", "duplicate key \"a\""),
        ("a: *nope\n", "unknown alias *nope"),
        ("a: 1\n---\nb: 2\n", "one YAML document"),
        ("a: !custom x\n", "unsupported YAML tag"),
    ])
    func syntaxProblemsHavePositions(_ text: String, _ fragment: String) {
        let (_, diags) = parse(text)
        #expect(diags.contains { $0.message.contains(fragment) && $0.mark != nil }, "\(diags)")
    }
}
