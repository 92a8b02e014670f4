import CNCCore
import Foundation
import Testing
@testable import CNCSpec

/// Compose `userns_mode` and the app-wide `x-cnc: {userns: ...}`.
@Suite struct SpecUsernsTests {
    @Test func appWideSettingFillsServicesThatSayNothing() throws {
        let dir = try SpecDir(["app.yaml": """
            services:
              web: {image: nginx}
              db: {image: postgres, userns_mode: "auto:size=1000"}
              tool: {image: busybox, userns_mode: host}
            x-cnc:
              userns: private
            """])
        let app = try dir.load().app
        #expect(app.services["web"]?.usernsMode == "auto")
        #expect(app.services["db"]?.usernsMode == "auto:size=1000")
        #expect(app.services["tool"]?.usernsMode == "host")
        // It is part of the config: changing it recreates the container.
        let sections = try #require(try app.services["db"]?.hashSections())
        #expect(sections["userns_mode"] == .string("auto:size=1000"))
    }

    @Test func badModesAreSpecErrorsAtTheirPlace() throws {
        let dir = try SpecDir(["app.yaml": """
            services:
              web: {image: nginx, userns_mode: keep-id}
            x-cnc:
              userns: sideways
            """])
        #expect { try dir.load() } throws: { e in
            let text = (e as? SpecErrors)?.description ?? ""
            return text.contains("app.yaml:2:") && text.contains("services.web.userns_mode: \"keep-id\": keep-id is only supported in rootless mode")
                && text.contains("app.yaml:4:") && text.contains("x-cnc.userns: \"sideways\": --userns: invalid USER mode")
        }
    }
}
