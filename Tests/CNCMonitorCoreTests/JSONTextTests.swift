import CNCMonitorCore
import Foundation
import Testing

@Suite struct JSONTextTests {
    static let golden: [(String, String)] = [
        ("", #""""#),
        ("plain", #""plain""#),
        ("say \"hi\"", #""say \"hi\"""#),
        (#"C:\dir"#, #""C:\\dir""#),
        ("a\nb\r\n\tc", #""a\nb\r\n\tc""#),
        ("\u{0}\u{1}\u{8}\u{b}\u{c}\u{1b}\u{1f}", #""\u0000\u0001\u0008\u000b\u000c\u001b\u001f""#),
        (" ~\u{7f}", "\" ~\u{7f}\""),
        ("/path/ok", #""/path/ok""#),
        ("héllo wörld ✓ 日本 🐳", "\"héllo wörld ✓ 日本 🐳\""),
        ("e\u{301}", "\"e\u{301}\""),
    ]

    @Test(arguments: golden)
    func escapes(_ input: String, _ json: String) {
        #expect(JSONText.quoted(input) == json)
    }

    /// Strings a log line may carry: what Foundation's decoder reads back is the input.
    static let samples: [String] = golden.map(\.0) + [
        String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self),
        String(decoding: [0x66, 0xff, 0xfe, 0x6f, 0xc3], as: UTF8.self),  // invalid UTF-8, replaced
        String(repeating: "\"\\\n", count: 20),
        "\u{2028}\u{2029}\u{feff}\u{10ffff}",
    ]

    @Test(arguments: samples)
    func foundationReadsItBack(_ input: String) throws {
        let decoded = try JSONDecoder().decode(String.self, from: Data(JSONText.quoted(input).utf8))
        #expect(decoded == input)
    }

    /// Where both escape the same way (no control character beyond \n \r \t), the text is
    /// the same as JSONEncoder's.
    @Test(arguments: samples.filter { $0.unicodeScalars.allSatisfy { $0.value >= 0x20 || "\n\r\t".unicodeScalars.contains($0) } })
    func matchesJSONEncoder(_ input: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let foundation = String(decoding: try encoder.encode(input), as: UTF8.self)
        #expect(JSONText.quoted(input) == foundation)
    }
}
