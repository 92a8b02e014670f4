import CNCSystem
import Foundation
import Testing

@Suite struct NulTerminatedTests {
    @Test func stopsAtTheFirstNul() {
        #expect(String(nulTerminated: [104, 105, 0, 120, 0]) == "hi")
        #expect(String(nulTerminated: [0, 104]) == "")
        #expect(String(nulTerminated: []) == "")
    }

    @Test func takesTheWholeBufferWithoutANul() {
        #expect(String(nulTerminated: [104, 105]) == "hi")
    }

    @Test func decodesUTF8AndRepairsInvalidBytes() {
        let e = "é".utf8.map { CChar(bitPattern: $0) }
        #expect(String(nulTerminated: e + [0]) == "é")
        #expect(String(nulTerminated: [CChar(bitPattern: 0xFF), 0]) == "\u{FFFD}")
    }

    @Test func currentDirectoryMatchesFoundation() throws {
        #expect(try FileSystem.currentDirectory() == FileManager.default.currentDirectoryPath)
    }
}
