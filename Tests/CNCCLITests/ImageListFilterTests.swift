import CNCCore
import Foundation
import CNCImageStore
import Testing
@testable import CNCCLI

/// `cnc images --filter`: docker's reference globs and dangling, and its refusals.
@Suite struct ImageListFilterTests {
    @Test(arguments: [
        ("bb", "bb", true), ("b*", "bb", true), ("bb:*", "bb:1", true), ("*:1", "bb:1", true), ("b?", "bb", true),
        ("*", "library/bb", false), ("*/bb", "library/bb", true), ("bb", "bbx", false), ("app:v*", "app:v2", true), ("app:v*", "app:latest", false),
    ])
    func globAsPathMatch(_ pattern: String, _ text: String, _ matches: Bool) {
        #expect(ImageList.glob(pattern, text) == matches)
    }

    @Test func filtersSelectAndRefuse() throws {
        func summary(_ repo: String, _ tag: String) throws -> ImageSummary {
            let d = "sha256:" + String(repeating: "a", count: 64)
            let json = #"{"repository":"\#(repo)","tag":"\#(tag)","digest":"","id":"\#(d)","manifestDigest":"\#(d)","size":0}"#
            return try JSONDecoder().decode(ImageSummary.self, from: Data(json.utf8))
        }
        let rows = [try summary("bb", "1"), try summary("app", "v2"), try summary("<none>", "<none>")]
        func names(_ f: [String]) throws -> [String] { try rows.filter(ImageList.matcher(f)).map { $0.repository + ":" + $0.tag } }
        #expect(try names(["reference=bb"]) == ["bb:1"])
        #expect(try names(["reference=bb", "reference=app:*"]) == ["bb:1", "app:v2"])
        #expect(try names(["dangling=true"]) == ["<none>:<none>"])
        #expect(try names(["dangling=false", "reference=a*"]) == ["app:v2"])
        #expect { try ImageList.matcher(["bogus=1"]) } throws: { "\($0)".contains("Invalid filter 'bogus'") }
        #expect { try ImageList.matcher(["dangling=maybe"]) } throws: { "\($0)".contains("Invalid filter 'dangling=maybe'") }
        #expect { try ImageList.matcher(["before=bb"]) } throws: { "\($0)".contains("not supported yet") }
    }
}
