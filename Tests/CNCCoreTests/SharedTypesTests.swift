import CNCCore
import Foundation
import Testing

/// Types shared by the spec, the runtime and the planner keep each side's wire form.
@Suite struct SharedTypesTests {
    @Test func ulimitsKeepComposesShapeAndMeanUnlimited() throws {
        let json = #"{"nofile":{"hard":2048,"soft":1024},"nproc":{"hard":-1,"soft":-1}}"#
        let u = try JSONDecoder().decode(Ulimits.self, from: Data(json.utf8))
        #expect(u.all.map(\.name) == ["nofile", "nproc"])
        #expect(u.all[1].soft == UInt64.max && u.all[1].hard == UInt64.max)
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        #expect(String(decoding: try e.encode(u), as: UTF8.self) == json)
        #expect(throws: CNCError.self) { try Ulimit(name: "nofiles", soft: 1, hard: 1) }
        #expect(throws: CNCError.self) { try Ulimit(name: "nofile", soft: 2, hard: 1) }
    }

    @Test(arguments: [("none", "none"), ("host", "host"), ("bridge", "bridge"), ("default", "bridge"),
                      ("container:db", "container:db"), ("service:db", "service:db")])
    func composeNetworkModes(text: String, normalized: String) throws {
        let m = try #require(NetworkMode(composeNetworkMode: text))
        #expect(m.description == normalized)
        #expect(try NetworkMode(parsing: m.description) == m)
    }

    @Test func composeRefusesWhatOnlyTheCLITakes() {
        #expect(NetworkMode(composeNetworkMode: "mynet") == nil)
        #expect(NetworkMode(composeNetworkMode: "container:") == nil)
        #expect(throws: CNCError.self) { try NetworkMode(parsing: "") }
    }

    @Test func containerStatusIsActive() {
        #expect(ContainerStatus.allCases.filter(\.isActive) == [.running, .paused, .restarting])
    }
}
