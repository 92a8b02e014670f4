import Testing
@testable import CNCSpec

@Suite struct InterpolationTests {
    let interp = Interpolator(variables: ["SET": "value", "EMPTY": "", "PORT": "8080"])

    @Test(arguments: [
        ("plain", "plain"),
        ("$SET", "value"),
        ("${SET}", "value"),
        ("x${SET}y", "xvaluey"),
        ("${UNSET}", ""),
        ("$UNSET-", "-"),
        ("${UNSET:-def}", "def"),
        ("${EMPTY:-def}", "def"),
        ("${EMPTY-def}", ""),
        ("${UNSET-def}", "def"),
        ("${SET:-def}", "value"),
        ("${SET:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET+alt}", ""),
        ("${UNSET:-${PORT}}", "8080"),
        ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
        ("$$SET", "$SET"),
        ("$${SET}", "${SET}"),
        ("cost: 5$", "cost: 5$"),
        ("${SET:?must}", "value"),
    ])
    func expands(_ input: String, _ expected: String) throws {
        #expect(try interp.interpolate(input) == expected)
    }

    @Test(arguments: [
        ("${UNSET:?set it}", "required variable UNSET is not set: set it"),
        ("${EMPTY:?}", "required variable EMPTY is not set"),
        ("${UNSET?}", "required variable UNSET is not set"),
        ("${SET", "missing \"}\""),
        ("${}", "must be followed by a variable name"),
        ("${SET!x}", "unexpected \"!\""),
    ])
    func failures(_ input: String, _ fragment: String) {
        do {
            _ = try interp.interpolate(input)
            Issue.record("\(input) interpolated")
        } catch {
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test func emptyButSetPassesTheNonColonRequiredForm() throws {
        #expect(try interp.interpolate("${EMPTY?}") == "")
    }

    @Test func envFileSyntax() throws {
        let text = """
        # comment
        A=1
        export B = two words # trailing comment
        C='single $A'
        D="double $A\\n"
        E=${A}-x

        F
        """
        let vars = try EnvFile.parse(text, base: ["F": "from-env"])
        let d = Dictionary(vars, uniquingKeysWith: { $1 })
        #expect(d["A"] == "1")
        #expect(d["B"] == "two words")
        #expect(d["C"] == "single $A")
        #expect(d["D"] == "double 1\n")
        #expect(d["E"] == "1-x")
        #expect(d["F"] == "from-env")
    }

    @Test func envFileErrorsNameTheLine() {
        do {
            _ = try EnvFile.parse("A=1\nB=\"open\n")
            Issue.record("parsed")
        } catch {
            #expect(error.line == 2)
        }
    }
}
